// SPDX-License-Identifier: GPL-2.0

//! The clear after the last close (__loop_clr_fd()), deferred through
//! task_work (REQUIREMENTS.md section 5).

use crate::device::{Lifecycle, LoopDevice, State};
use crate::kernel_ext::{
    block::mq::DiskRef,
    loop_params,
    loop_uapi::{flags::*, LO_NAME_SIZE},
    module::ModulePinned,
    task_work::{Deferred, DeferredItem},
};
use kernel::{
    prelude::*,
    sync::{Arc, ArcBorrow},
};

impl LoopDevice {
    /// `release` (lo_release()), under `disk->open_mutex`: only the last
    /// close counts, and it only changes the state and queues the clear
    /// (seed 003): task_work in the closer's context, or the module's
    /// rundown workqueue (not the device's own) for kernel threads, exiting
    /// tasks and `force_async_clear`.
    pub(crate) fn release(dev: ArcBorrow<'_, LoopDevice>, disk: &DiskRef, pinned: &ModulePinned) {
        if disk.openers() > 0 {
            return;
        }
        let need_clear = {
            let mut shared = dev.shared.lock();
            if shared.state == State::Bound && shared.flags & LO_FLAGS_AUTOCLEAR != 0 {
                dev.set_state(&mut shared, State::Rundown);
            }
            shared.state == State::Rundown
        };
        if !need_clear {
            return;
        }
        let Some(fallback) = crate::RUNDOWN_WQ.get(pinned) else {
            return;
        };
        let dev: Arc<LoopDevice> = dev.into();
        let force = loop_params::force_async_clear();
        if let Err((e, _)) = Deferred::queue(dev, fallback, force) {
            // Already queued: that clear will do.
            pr_debug!("rundown already queued ({:?})\n", e);
        }
    }

    /// The deferred part of the clear (__loop_clr_fd()): runs with no lock
    /// held, from task_work before the last closer returns to user space, or
    /// on the module's rundown workqueue.  Returns the binding's lifecycle
    /// references for the caller to release after its last use of the
    /// device.
    fn clear(&self) -> Option<Lifecycle> {
        let config = self.config.lock();
        let (b, lifecycle, flags) = {
            let mut shared = self.shared.lock();
            if shared.state != State::Rundown {
                return None;
            }
            let b = shared.binding.take()?;
            let lifecycle = shared.lifecycle.take()?;
            shared.offset = 0;
            shared.sizelimit = 0;
            shared.file_name = [0; LO_NAME_SIZE];
            (b, lifecycle, shared.flags)
        };
        let disk = &*lifecycle.disk;
        // Back to 512-byte blocks; the rest (write cache, rotational,
        // discard) stays until the next bind, as in loop.c.  On failure the
        // old limits stay, harmless for an unbound device.
        let _ = disk.set_block_size(512);
        disk.invalidate();
        disk.remove_attributes();
        disk.uevent_change();
        b.file.restore_gfp(b.old_gfp);
        disk.force_media_change();
        // The partition rescan takes open_mutex: not under our mutex.
        drop(config);
        if flags & LO_FLAGS_PARTSCAN != 0 {
            if let Err(e) = disk.rescan_partitions() {
                pr_warn!(
                    "__loop_clr_fd: partition scan of loop{} failed (rc={})\n",
                    self.number,
                    e.to_errno()
                );
            }
        }
        if self.part_shift == 0 {
            disk.set_suppress_part_scan(true);
        }
        {
            let mut shared = self.shared.lock();
            self.set_flags(&mut shared, 0);
            self.set_state(&mut shared, State::Unbound);
        }
        // The backing file: its last reference, since no request holds one
        // past its end (io.rs), so fput closes it before the closer returns
        // to user space (seed 003: the backing file system can be unmounted
        // right after).
        drop(b);
        Some(lifecycle)
    }
}

impl DeferredItem for LoopDevice {
    /// The clear, then the releases in the order that keeps each one's
    /// code alive: the device (its last reference may free it here, in the
    /// closer's context or the rundown queue, never on the I/O path), then
    /// the disk, then the module, whose put runs in core code after this
    /// returns (`ModuleRef`).
    fn run(this: Arc<Self>) {
        let lifecycle = this.clear();
        // Widens the window for LOOP_CTL_REMOVE and rmmod (tests).
        crate::device::debug_delay();
        drop(this);
        if let Some(lifecycle) = lifecycle {
            lifecycle.release();
        }
    }
}
