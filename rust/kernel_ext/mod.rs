// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that Linux 6.12's `kernel` crate lacks.
//!
//! Each module mirrors the upstream (or proposed upstream) name and shape, so
//! the driver can move to the real `kernel` crate API when it exists.  All
//! `unsafe` code of rloop lives here; every block names the C contract it
//! relies on in a `// SAFETY:` comment.

pub(crate) mod block;
pub(crate) mod cpu;
pub(crate) mod cred;
pub(crate) mod dax;
pub(crate) mod delay;
pub(crate) mod errno;
pub(crate) mod fs;
pub(crate) mod iov;
pub(crate) mod loop_params;
pub(crate) mod loop_uapi;
pub(crate) mod memremap;
pub(crate) mod miscdevice;
pub(crate) mod module;
pub(crate) mod page;
pub(crate) mod sysfs;
pub(crate) mod task;
pub(crate) mod task_work;
pub(crate) mod workqueue;
pub(crate) mod xarray;
