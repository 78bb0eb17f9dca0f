// SPDX-License-Identifier: GPL-2.0

//! The device ioctls (lo_ioctl() and lo_compat_ioctl()): the dispatch,
//! and the ioctls that change the geometry or the I/O mode of a bound
//! device (`LOOP_SET_CAPACITY`, `LOOP_SET_BLOCK_SIZE`,
//! `LOOP_SET_DIRECT_IO`).  Binding is in [`crate::bind`], the status calls
//! in [`crate::status`].

use crate::bind::claim;
use crate::device::{loop_size, LoopDevice, State};
use crate::kernel_ext::{
    block::{mq::DiskRef, BlockDevice, ClaimHolder, BLK_OPEN_WRITE},
    cred,
    loop_uapi::{flags::*, ioctl::*, CompatLoopInfo, LoopConfig, LoopInfo, LoopInfo64, Zeroed},
};
use crate::status::{from_compat_info, from_old_info, to_compat_info, to_old_info};
use kernel::{
    prelude::*,
    types::{AsBytes, FromBytes},
    uaccess::UserSlice,
};

impl LoopDevice {
    /// `LOOP_SET_CAPACITY` (loop_set_capacity()): re-reads the backing size.
    pub(crate) fn set_capacity(&self, disk: &DiskRef) -> Result<i32> {
        let _config = self.config.lock();
        let (offset, sizelimit, b) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => (shared.offset, shared.sizelimit, b.clone()),
                _ => return Err(ENXIO),
            }
        };
        disk.set_capacity_and_notify(loop_size(offset, sizelimit, &b.file));
        Ok(0)
    }

    /// `LOOP_SET_BLOCK_SIZE` (loop_set_block_size()).
    pub(crate) fn set_block_size(&self, bdev: &BlockDevice, mode: u32, arg: usize) -> Result<i32> {
        static HOLDER: ClaimHolder = ClaimHolder::new();
        let disk = bdev.disk();
        // As configure(): never change a device somebody else holds.
        let _claim = claim(bdev, mode, &HOLDER)?;
        let _config = self.config.lock();
        let (b, dio) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => (b.clone(), shared.flags & LO_FLAGS_DIRECT_IO != 0),
                _ => return Err(ENXIO),
            }
        };
        // As loop.c: the unsigned long is compared whole, then cut to the
        // unsigned int of loop_update_limits() (2^32 + 512 sets 512, 2^40
        // the default size); the block layer validates what remains.
        if u64::from(disk.logical_block_size()) == arg as u64 {
            return Ok(0);
        }
        let block_size = arg as u32;
        disk.sync_and_invalidate();
        let _frozen = disk.freeze();
        // queue_limits_commit_update() validates the size: EINVAL leaves the
        // limits unchanged, and loop.c re-checks the mode all the same
        // (loop_update_dio(): an O_DIRECT backing fd asks for direct I/O).
        let set = disk.set_limits(&Self::limits(
            &b.file,
            block_size,
            b.has_fsync && !b.read_only,
            dio,
        ));
        self.update_dio(disk, dio || b.file.is_o_direct(), true);
        set.map(|()| 0)
    }

    /// The device ioctls (lo_ioctl()).
    pub(crate) fn ioctl(&self, bdev: &BlockDevice, mode: u32, cmd: u32, arg: usize) -> Result<i32> {
        let disk = bdev.disk();
        let writable_or_admin = || mode & BLK_OPEN_WRITE != 0 || cred::capable_sys_admin();
        match cmd {
            LOOP_SET_FD => {
                // The legacy case: a zeroed config with only the fd set.
                let mut config = LoopConfig::zeroed();
                config.fd = arg as u32;
                self.configure(bdev, mode, &config)
            }
            LOOP_CONFIGURE => {
                let config: LoopConfig = read_user(arg)?;
                self.configure(bdev, mode, &config)
            }
            LOOP_CLR_FD => self.clr_fd(disk),
            LOOP_GET_STATUS64 => {
                if arg == 0 {
                    return Err(EINVAL);
                }
                write_user(arg, &self.status()?)
            }
            LOOP_GET_STATUS => {
                if arg == 0 {
                    return Err(EINVAL);
                }
                write_user(arg, &to_old_info(&self.status()?)?)
            }
            LOOP_SET_CAPACITY => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                self.set_capacity(disk)
            }
            LOOP_SET_DIRECT_IO => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                self.set_direct_io(disk, arg != 0)
            }
            LOOP_SET_STATUS64 => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                // Copied before any lock (no lo_mutex -> mmap_lock edge).
                let info: LoopInfo64 = read_user(arg)?;
                self.set_status(disk, &info)
            }
            LOOP_SET_STATUS => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                let old: LoopInfo = read_user(arg)?;
                self.set_status(disk, &from_old_info(&old))
            }
            LOOP_SET_BLOCK_SIZE => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                self.set_block_size(bdev, mode, arg)
            }
            LOOP_CHANGE_FD => self.change_fd(disk, arg as u32),
            _ => Err(EINVAL),
        }
    }

    /// The ioctls of a 32-bit caller (lo_compat_ioctl()): the old status
    /// calls through `compat_loop_info`; the others have the same layout
    /// (`compat_ptr` is the identity on x86_64).  Anything else is not a
    /// loop ioctl (`ENOTTY`).
    pub(crate) fn compat_ioctl(
        &self,
        bdev: &BlockDevice,
        mode: u32,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        let disk = bdev.disk();
        match cmd {
            LOOP_SET_STATUS => {
                if mode & BLK_OPEN_WRITE == 0 && !cred::capable_sys_admin() {
                    return Err(EPERM);
                }
                let info: CompatLoopInfo = read_user(arg)?;
                self.set_status(disk, &from_compat_info(&info))
            }
            LOOP_GET_STATUS => {
                if arg == 0 {
                    return Err(EINVAL);
                }
                write_user(arg, &to_compat_info(&self.status()?)?)
            }
            LOOP_SET_CAPACITY | LOOP_CLR_FD | LOOP_GET_STATUS64 | LOOP_SET_STATUS64
            | LOOP_CONFIGURE | LOOP_SET_FD | LOOP_CHANGE_FD | LOOP_SET_BLOCK_SIZE
            | LOOP_SET_DIRECT_IO => self.ioctl(bdev, mode, cmd, arg),
            _ => Err(ENOTTY),
        }
    }

    /// `LOOP_SET_DIRECT_IO` (loop_set_dio()): `EINVAL` if the mode asked
    /// for is impossible (the device stays as it was).
    fn set_direct_io(&self, disk: &DiskRef, on: bool) -> Result<i32> {
        let _config = self.config.lock();
        self.require_bound()?;
        if self.update_dio(disk, on, false) == on {
            Ok(0)
        } else {
            Err(EINVAL)
        }
    }

    /// __loop_update_dio(): switches a bound device to direct I/O if `want`
    /// and possible, else to buffered I/O; returns the mode it is in.  A
    /// change syncs the backing file and flips the mode with the queue
    /// frozen (unless the caller has it `frozen` already), so no request
    /// sees both.  Called with `lo_mutex` held: nothing under it waits for
    /// our queue's I/O except the freeze, as in loop.c.
    pub(crate) fn update_dio(&self, disk: &DiskRef, want: bool, frozen: bool) -> bool {
        let (b, cur, offset) = {
            let shared = self.shared.lock();
            let Some(b) = shared.binding.clone() else {
                return false;
            };
            (b, shared.flags & LO_FLAGS_DIRECT_IO != 0, shared.offset)
        };
        let dio = want && Self::can_use_dio(&b.file, disk.logical_block_size(), offset);
        if dio == cur {
            return dio;
        }
        // Dirty pages first, as loop.c; a failure shows up in later I/O.
        let _ = b.file.fsync();
        let _frozen = (!frozen).then(|| disk.freeze());
        let mut shared = self.shared.lock();
        let flags = if dio {
            shared.flags | LO_FLAGS_DIRECT_IO
        } else {
            shared.flags & !LO_FLAGS_DIRECT_IO
        };
        self.set_flags(&mut shared, flags);
        dio
    }

    /// `ENXIO` unless bound.
    pub(crate) fn require_bound(&self) -> Result {
        if self.shared.lock().state == State::Bound {
            Ok(())
        } else {
            Err(ENXIO)
        }
    }
}

/// Copies an ioctl argument structure from user space (`EFAULT`).
fn read_user<T: FromBytes>(arg: usize) -> Result<T> {
    UserSlice::new(arg, core::mem::size_of::<T>())
        .reader()
        .read()
}

/// Copies an ioctl result structure to user space (`EFAULT`), after every
/// lock is dropped.
fn write_user<T: AsBytes>(arg: usize, value: &T) -> Result<i32> {
    UserSlice::new(arg, core::mem::size_of::<T>())
        .writer()
        .write(value)?;
    Ok(0)
}
