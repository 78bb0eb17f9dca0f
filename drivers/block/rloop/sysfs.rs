// SPDX-License-Identifier: GPL-2.0

//! `/sys/block/loopN/loop/` (loop_sysfs_init()).

use crate::device::LoopDevice;
use crate::kernel_ext::{
    loop_uapi::flags::*,
    sysfs::{DiskAttributes, SysfsBuf},
};
use core::fmt::Write;
use kernel::{prelude::*, sync::ArcBorrow};

/// `/sys/block/loopN/loop/`, in the shim's order: `backing_file`,
/// `offset`, `sizelimit`, `autoclear`, `partscan`, `dio`.
impl DiskAttributes for LoopDevice {
    fn show(dev: ArcBorrow<'_, LoopDevice>, index: usize, out: &mut SysfsBuf) -> Result {
        if index == 0 {
            // Empty while being unbound, as loop.c.
            return match dev.binding() {
                Some(b) => out.write_path(&b.file),
                None => Ok(()),
            };
        }
        let (flags, offset, sizelimit) = {
            let shared = dev.shared.lock();
            (shared.flags, shared.offset, shared.sizelimit)
        };
        let flag = |f: u32| u8::from(flags & f != 0);
        match index {
            1 => writeln!(out, "{}", offset),
            2 => writeln!(out, "{}", sizelimit),
            3 => writeln!(out, "{}", flag(LO_FLAGS_AUTOCLEAR)),
            4 => writeln!(out, "{}", flag(LO_FLAGS_PARTSCAN)),
            5 => writeln!(out, "{}", flag(LO_FLAGS_DIRECT_IO)),
            _ => return Err(EINVAL),
        }
        .map_err(|_| EINVAL)
    }
}
