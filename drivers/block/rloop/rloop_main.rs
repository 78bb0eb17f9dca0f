// SPDX-License-Identifier: GPL-2.0

//! rloop: the Linux loop block device, in Rust.
//!
//! A drop-in replacement for `drivers/block/loop.c` of Linux 6.12: module
//! name `loop`, block major 7, disks `loopN`, `/dev/loop-control` with
//! `LOOP_CTL_ADD`/`REMOVE`/`GET_FREE`, parameters `max_loop`, `max_part`
//! and `hw_queue_depth`, on-demand creation of `/dev/loopN`.
//!
//! One file per concept, as rnull: [`control`] (the device index and
//! `/dev/loop-control`), [`device`] (one loop device: state, locks, block
//! device operations), [`ioctl`] (the `LOOP_*` ioctls: dispatch, capacity,
//! block size, direct I/O), [`bind`] (binding a backing file, changing and
//! clearing it), [`status`] (`LOOP_GET/SET_STATUS` and the `loop_info`
//! conversions), [`io`] (requests, served from the device's worker),
//! [`sysfs`] (`loop/` attributes) and [`autoclear`] (the clear after the
//! last close, through task_work).
//! Documentation/design.rst has the design.
//!
//! There is no `unsafe` here: it lives behind the abstractions in
//! `rust/kernel_ext/`.

use kernel::{c_str, prelude::*, sync::Arc};

#[path = "../../../rust/kernel_ext/mod.rs"]
mod kernel_ext;

#[deny(unsafe_code)]
mod autoclear;
#[deny(unsafe_code)]
mod bind;
#[deny(unsafe_code)]
mod control;
#[deny(unsafe_code)]
mod device;
#[deny(unsafe_code)]
mod io;
#[deny(unsafe_code)]
mod ioctl;
#[deny(unsafe_code)]
mod mem;
#[deny(unsafe_code)]
mod pool;
#[deny(unsafe_code)]
mod status;
#[deny(unsafe_code)]
mod sysfs;

use control::{LoopControl, Registry};
use kernel_ext::workqueue::{GlobalQueue, GlobalQueueGuard, WQ_UNBOUND_FREEZABLE};
use kernel_ext::{
    block::MajorRegistration, loop_params, loop_uapi, miscdevice::MiscDeviceRegistration,
};
use mem::{MemDisk, RdaxDisk};

/// `LOOP_MAJOR` from `include/uapi/linux/major.h`.
const LOOP_MAJOR: u32 = 7;
/// `MINORBITS` from `include/linux/kdev_t.h`.
const MINORBITS: u32 = 20;
/// `DISK_MAX_PARTS` from `include/linux/blkdev.h`.
const DISK_MAX_PARTS: u32 = 256;

module! {
    type: RLoop,
    name: "loop",
    author: "rloop developers",
    description: "Loop block device (rloop, Rust)",
    license: "GPL",
}

/// Where clears run when task_work cannot (kernel threads, exiting tasks):
/// not a device's own queue, whose last reference such a clear may drop.
pub(crate) static RUNDOWN_WQ: GlobalQueue = GlobalQueue::new();

struct RLoop {
    registry: Arc<Registry>,
    rundown_wq: Option<GlobalQueueGuard>,
    major: Option<MajorRegistration<Registry>>,
    control: Option<MiscDeviceRegistration<LoopControl>>,
    /// The memory-backed disks `rdaxN` (each holds its slice of the DAX
    /// pool, if any: the pool goes with the last of them).
    mem_disks: KVec<RdaxDisk>,
}

impl kernel::Module for RLoop {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        loop_uapi::check_layouts()?;

        // Partition minors, as loop_init(): max_part rounds up to a power of
        // two minus one.  Bad values fail the load with EINVAL and no
        // message, as in loop.c.
        let max_part = loop_params::max_part();
        let part_shift = if max_part > 0 {
            let shift = 32 - (max_part as u32).leading_zeros();
            if (1u64 << shift) > u64::from(DISK_MAX_PARTS) {
                return Err(EINVAL);
            }
            loop_params::set_max_part(((1u32 << shift) - 1) as i32);
            shift
        } else {
            0
        };
        // loop.c compares the int with an unsigned long: a negative
        // max_loop is too large as well.
        let max_loop = loop_params::max_loop();
        if max_loop < 0 || i64::from(max_loop) > 1i64 << (MINORBITS - part_shift) {
            return Err(EINVAL);
        }

        let rundown_wq = RUNDOWN_WQ.create(format_args!("loop-rundown"), WQ_UNBOUND_FREEZABLE)?;
        let registry = Registry::new(part_shift)?;
        let major =
            MajorRegistration::<Registry>::new(LOOP_MAJOR, c_str!("loop"), registry.clone())
                .map_err(|_| EIO)?;

        // Pre-create the devices given by max_loop (loop.c ignores errors).
        for i in 0..max_loop {
            let _ = registry.add(i);
        }
        // Memory-backed disks (rdax_nr, rdax_size): all or nothing.
        // On the ZONE_DEVICE pool when there is one (rdax_pool), else RAM.
        let mut mem_disks = KVec::new();
        let kib = loop_params::rdax_size_kib();
        let nr = loop_params::rdax_nr().max(0);
        let pool = if nr > 0 {
            pool::Pool::setup(loop_params::rdax_pool())
        } else {
            None
        };
        for i in 0..nr {
            match MemDisk::create(i as u32, kib, pool.as_ref()) {
                Ok(d) => mem_disks.push(d, GFP_KERNEL)?,
                Err(e) => {
                    pr_err!("cannot create rdax{} ({} KiB): {:?}\n", i, kib, e);
                    return Err(e);
                }
            }
        }
        // Last, so that no error path deregisters it with files open.
        let control = MiscDeviceRegistration::<LoopControl>::register(registry.clone())?;
        pr_info!("module loaded\n");
        Ok(RLoop {
            registry,
            rundown_wq: Some(rundown_wq),
            major: Some(major),
            control: Some(control),
            mem_disks,
        })
    }
}

impl Drop for RLoop {
    fn drop(&mut self) {
        // As loop_exit(): no more probes or control ioctls, then remove every
        // device.  No disk is open (open disks pin the module).
        drop(self.major.take());
        drop(self.control.take());
        self.registry.remove_all();
        drop(core::mem::replace(&mut self.mem_disks, KVec::new()));
        // Last: drains the clears still returning (see RUNDOWN_WQ).
        drop(self.rundown_wq.take());
    }
}
