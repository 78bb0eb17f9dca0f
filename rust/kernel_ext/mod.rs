// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that Linux 6.12's `kernel` crate lacks.
//!
//! Each module mirrors the upstream (or proposed upstream) name and shape, so
//! the driver can move to the real `kernel` crate API when it exists.  All
//! `unsafe` code of rloop lives here; every block names the C contract it
//! relies on in a `// SAFETY:` comment.

pub(crate) mod block;
pub(crate) mod loop_uapi;
