// SPDX-License-Identifier: GPL-2.0

//! The device index and `/dev/loop-control`.
//!
//! [`Registry`] is loop.c's `loop_index_idr` with `loop_ctl_mutex`: the
//! devices by number, each with its disk and a visibility flag.  A device is
//! reserved (invisible) while its disk is being added or deleted, so the
//! number stays taken and the control ioctls skip it; `add_disk` and
//! `del_gendisk` run without the registry lock held.  Lock order:
//! registry -> device state (`lo_mutex`).

use crate::device::{LoopDevice, Validator};
use crate::kernel_ext::{
    block::{mq::GenDisk, Probe},
    loop_params,
    loop_uapi::ioctl::*,
    miscdevice::MiscDevice,
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    sync::{Arc, ArcBorrow, Mutex},
};

/// `MINORMASK` from `include/linux/kdev_t.h`.
const MINORMASK: u32 = (1 << crate::MINORBITS) - 1;

struct Entry {
    dev: Arc<LoopDevice>,
    /// `None` while the disk is being added or deleted.
    disk: Option<GenDisk<LoopDevice>>,
    /// loop.c's `idr_visible`: found by the control ioctls.
    visible: bool,
}

/// All loop devices, by number.
#[pin_data]
pub(crate) struct Registry {
    #[pin]
    devices: Mutex<RBTree<u32, Entry>>,
    part_shift: u32,
    validator: Arc<Validator>,
}

impl Registry {
    /// An empty registry; disks get `1 << part_shift` minors each.
    pub(crate) fn new(part_shift: u32) -> Result<Arc<Self>> {
        let validator = Validator::new()?;
        Arc::pin_init(
            pin_init!(Registry {
                devices <- new_mutex!(RBTree::new(), "rloop:loop_ctl_mutex"),
                part_shift,
                validator,
            }),
            GFP_KERNEL,
        )
    }

    /// Adds device `i`, or the lowest free number if `i < 0` (loop_add());
    /// returns its number.  `EEXIST` if `i` is taken.
    pub(crate) fn add(&self, i: i32) -> Result<i32> {
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let dev = {
            let mut devices = self.devices.lock();
            let number = if i >= 0 {
                let n = i as u32;
                if devices.get(&n).is_some() {
                    return Err(EEXIST);
                }
                n
            } else {
                // The keys come in order: the first gap is the lowest free.
                let mut n = 0u32;
                for k in devices.keys() {
                    if *k != n {
                        break;
                    }
                    n = n.checked_add(1).ok_or(ENOSPC)?;
                }
                if n > i32::MAX as u32 {
                    return Err(ENOSPC);
                }
                n
            };
            let dev = LoopDevice::new(number, self.part_shift, self.validator.clone())?;
            devices.insert(reservation.into_node(
                number,
                Entry {
                    dev: dev.clone(),
                    disk: None,
                    visible: false,
                },
            ));
            dev
        };
        let number = dev.number();
        match dev.add_disk() {
            Ok(disk) => {
                let mut devices = self.devices.lock();
                if let Some(entry) = devices.get_mut(&number) {
                    entry.disk = Some(disk);
                    entry.visible = true;
                }
                Ok(number as i32)
            }
            Err(e) => {
                // The entry (maybe the last reference to the device, whose
                // drop destroys its workqueues) is dropped after the lock.
                let entry = self.devices.lock().remove(&number);
                drop(entry);
                Err(e)
            }
        }
    }

    /// Removes device `idx` if it is unbound and not open
    /// (loop_control_remove()): `ENODEV` if there is no such device,
    /// `EBUSY` if it is in use.
    pub(crate) fn remove(&self, idx: i32) -> Result {
        if idx < 0 {
            static WARNED: AtomicBool = AtomicBool::new(false);
            if !WARNED.swap(true, Ordering::Relaxed) {
                pr_warn!("deleting an unspecified loop device is not supported.\n");
            }
            return Err(EINVAL);
        }
        let number = idx as u32;
        let disk = {
            let mut devices = self.devices.lock();
            let entry = devices.get_mut(&number).ok_or(ENODEV)?;
            if !entry.visible {
                return Err(ENODEV);
            }
            let openers = entry.disk.as_ref().map_or(0, |d| d.openers());
            entry.dev.start_deleting(openers)?;
            entry.visible = false;
            entry.disk.take()
        };
        // del_gendisk() without our locks held; the number stays reserved.
        drop(disk);
        // As lo_free_disk(): the device (usually its last reference, whose
        // drop destroys its workqueues) goes after loop_ctl_mutex is
        // released, so lockdep sees no loop_ctl_mutex -> (wq_completion)
        // edge.
        let entry = self.devices.lock().remove(&number);
        Self::debug_delay();
        drop(entry);
        Ok(())
    }

    /// Sleeps `debug_delay_ms` (debug knob) between the removal of a device
    /// from the index and the drop of its last reference, for the tests.
    fn debug_delay() {
        let ms = loop_params::debug_delay_ms();
        if ms > 0 {
            crate::kernel_ext::task::msleep(ms);
        }
    }

    /// The number of an unbound device, adding one if there is none
    /// (loop_control_get_free()).
    pub(crate) fn get_free(&self) -> Result<i32> {
        {
            let devices = self.devices.lock();
            for (n, entry) in devices.iter() {
                if entry.visible && entry.dev.is_unbound() {
                    return Ok(*n as i32);
                }
            }
        }
        self.add(-1)
    }

    /// Removes every device, at module exit (no opener can exist: open
    /// disks pin the module).
    pub(crate) fn remove_all(&self) {
        loop {
            let entry = {
                let mut devices = self.devices.lock();
                let Some(number) = devices.keys().next().copied() else {
                    break;
                };
                devices.remove(&number)
            };
            // del_gendisk() without the registry lock held.
            drop(entry);
        }
    }
}

/// On-demand creation: opening `/dev/loopN` (or a `mknod`ed node) of a
/// missing device adds it (loop_probe()).
impl Probe for Registry {
    type Ptr = Arc<Registry>;

    fn probe(registry: ArcBorrow<'_, Registry>, devt: u32) {
        let idx = (devt & MINORMASK) >> registry.part_shift;
        let max_loop = loop_params::max_loop();
        if loop_params::max_loop_specified() && max_loop > 0 && idx >= max_loop as u32 {
            return;
        }
        let _ = registry.add(idx as i32);
    }
}

/// `/dev/loop-control`.
pub(crate) struct LoopControl;

#[vtable]
impl MiscDevice for LoopControl {
    type Ptr = Arc<Registry>;

    fn ioctl(registry: ArcBorrow<'_, Registry>, cmd: u32, arg: usize) -> Result<isize> {
        // loop.c passes the argument on as an int.
        let parm = arg as i32;
        let ret = match cmd {
            LOOP_CTL_ADD => registry.add(parm)?,
            LOOP_CTL_REMOVE => registry.remove(parm).map(|()| 0)?,
            LOOP_CTL_GET_FREE => registry.get_free()?,
            _ => return Err(crate::kernel_ext::errno::enosys()),
        };
        Ok(ret as isize)
    }
}
