// SPDX-License-Identifier: GPL-2.0

//! rloop: the Linux loop block device, in Rust.
//!
//! A drop-in replacement for `drivers/block/loop.c` (module name `loop`,
//! block major 7).  This is the skeleton: it checks the uAPI layouts and
//! owns block major 7 while loaded.  The driver proper lands with the core
//! issue; see Documentation/design.rst.

use kernel::{c_str, prelude::*};

#[path = "../../../rust/kernel_ext/mod.rs"]
mod kernel_ext;

use kernel_ext::{block::MajorRegistration, loop_uapi};

/// `LOOP_MAJOR` from `include/uapi/linux/major.h`.
const LOOP_MAJOR: u32 = 7;

module! {
    type: RLoop,
    name: "loop",
    author: "rloop developers",
    description: "Loop block device (rloop, Rust)",
    license: "GPL",
}

struct RLoop {
    major: MajorRegistration,
}

impl kernel::Module for RLoop {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        loop_uapi::check_layouts()?;
        let major = MajorRegistration::new(LOOP_MAJOR, c_str!("loop"))?;
        pr_info!("rloop registered block major {}\n", major.major());
        Ok(RLoop { major })
    }
}

impl Drop for RLoop {
    fn drop(&mut self) {
        pr_info!("rloop unregistering block major {}\n", self.major.major());
    }
}
