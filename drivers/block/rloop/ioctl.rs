// SPDX-License-Identifier: GPL-2.0

//! The device ioctls: binding, status, capacity, block size (the
//! `LOOP_*` ioctls of lo_ioctl() and lo_compat_ioctl()).

use crate::device::{loop_size, Binding, Lifecycle, LoopDevice, State};
use crate::kernel_ext::{
    block::{
        mq::{queue_data_of_file, DiskRef},
        BlockDevice, Claim, ClaimHolder, BLK_OPEN_EXCL, BLK_OPEN_WRITE,
    },
    cred, errno,
    fs::{File, FileKind},
    loop_uapi::{
        flags::*, ioctl::*, CompatLoopInfo, LoopConfig, LoopInfo, LoopInfo64, Zeroed,
        LO_CRYPT_CRYPTOAPI, LO_CRYPT_XOR, LO_KEY_SIZE, LO_NAME_SIZE,
    },
    module::ModuleRef,
    workqueue::{OwnedQueue, WQ_UNBOUND_FREEZABLE},
};
use kernel::{
    prelude::*,
    sync::Arc,
    types::{ARef, AsBytes, FromBytes},
    uaccess::UserSlice,
};

impl LoopDevice {
    /// `LOOP_SET_FD` / `LOOP_CONFIGURE` (loop_configure()).
    pub(crate) fn configure(
        &self,
        bdev: &BlockDevice,
        mode: u32,
        config: &LoopConfig,
    ) -> Result<i32> {
        static HOLDER: ClaimHolder = ClaimHolder::new();
        let disk = bdev.disk();
        let NewBacking {
            file,
            has_write,
            has_fsync,
            is_loop,
        } = NewBacking::get(config.fd)?;
        // Not opened exclusively: claim the device for the change, so that
        // nobody (a mount) holds it meanwhile.  Held through the partition
        // rescan, released last.
        let _claim = claim(bdev, mode, &HOLDER)?;
        let _validate = is_loop.then(|| self.validator.mutex.lock());
        let _config = self.config.lock();
        if self.shared.lock().state != State::Unbound {
            return Err(EBUSY);
        }
        validate_file(&file, disk.devt())?;
        let info = &config.info;
        if info.lo_flags & !LOOP_CONFIGURE_SETTABLE_FLAGS != 0 {
            return Err(EINVAL);
        }
        check_info(info)?;
        let mut lo_flags = info.lo_flags;
        if !file.is_writable() || mode & BLK_OPEN_WRITE == 0 || !has_write {
            lo_flags |= LO_FLAGS_READ_ONLY;
        }
        let want_dio = lo_flags & LO_FLAGS_DIRECT_IO != 0;
        if self.part_shift != 0 {
            lo_flags |= LO_FLAGS_PARTSCAN;
        }
        // 0 means 512; the block layer validates the rest when the limits
        // are set below (EINVAL and "Invalid logical block size"), before
        // anything else changes.
        let block_size = config.block_size;
        let read_only = lo_flags & LO_FLAGS_READ_ONLY != 0;

        let number = self.number;
        self.wq.get_or_create(|| {
            OwnedQueue::new(format_args!("loop{}", number), WQ_UNBOUND_FREEZABLE)
        })?;
        // rloop stays loaded while bound (loop.c's `__module_get`); taken
        // before the disk changes, so that its failure changes nothing.
        let lifecycle = Lifecycle {
            disk: disk.to_aref(),
            module: ModuleRef::get()?,
        };

        disk.set_limits(&Self::limits(
            &file,
            block_size,
            has_fsync && !read_only,
            want_dio,
        ))?;
        // Direct I/O where asked for and possible; otherwise the device
        // runs buffered and says so (loop_update_dio()).
        if want_dio && !Self::can_use_dio(&file, disk.logical_block_size(), info.lo_offset) {
            lo_flags &= !LO_FLAGS_DIRECT_IO;
        }
        // No uevents while reconfiguring: one change event when bound.
        let quiet = disk.suppress_uevents();
        disk.force_media_change();
        disk.set_read_only(read_only);
        let old_gfp = file.set_gfp_noio();
        let sectors = loop_size(info.lo_offset, info.lo_sizelimit, &file);
        let binding = match Arc::new(
            Binding {
                file,
                read_only,
                has_fsync,
                old_gfp,
            },
            GFP_KERNEL,
        ) {
            Ok(b) => b,
            Err(e) => {
                // `file` moved into the failed allocation and was dropped;
                // the gfp mask stays NOIO until the file is closed, which
                // is harmless.  Allocation failure here is the only exit
                // after changing the disk, as in loop.c.
                disk.set_read_only(false);
                return Err(e.into());
            }
        };
        {
            let mut shared = self.shared.lock();
            shared.binding = Some(binding);
            shared.lifecycle = Some(lifecycle);
            shared.flags = lo_flags;
            shared.offset = info.lo_offset;
            shared.sizelimit = info.lo_sizelimit;
            shared.file_name = info.lo_file_name;
            shared.file_name[LO_NAME_SIZE - 1] = 0;
        }
        // loop_sysfs_init(): best effort, as in loop.c.
        if disk.add_attributes::<Self>().is_err() {
            pr_warn!("loop{}: cannot create sysfs attributes\n", self.number);
        }
        disk.set_capacity_and_notify(sectors);

        self.set_state(&mut self.shared.lock(), State::Bound);
        let partscan = lo_flags & LO_FLAGS_PARTSCAN != 0;
        if partscan {
            disk.set_suppress_part_scan(false);
        }
        drop(quiet);
        disk.uevent_change();
        drop(_config);
        drop(_validate);

        if partscan {
            self.rescan(disk);
        }
        Ok(0)
    }

    /// `LOOP_CHANGE_FD` (loop_change_fd()): swaps the backing file of a
    /// read-only device for another of the same size, queue frozen.
    pub(crate) fn change_fd(&self, disk: &DiskRef, fd: u32) -> Result<i32> {
        let NewBacking {
            file,
            has_fsync,
            is_loop,
            ..
        } = NewBacking::get(fd)?;
        let validate = is_loop.then(|| self.validator.mutex.lock());
        let config = self.config.lock();
        let (old, flags, offset, sizelimit) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => {
                    (b.clone(), shared.flags, shared.offset, shared.sizelimit)
                }
                _ => return Err(ENXIO),
            }
        };
        // Only a read-only device may change its backing file.
        if flags & LO_FLAGS_READ_ONLY == 0 {
            return Err(EINVAL);
        }
        validate_file(&file, disk.devt())?;
        if loop_size(offset, sizelimit, &file) != loop_size(offset, sizelimit, &old.file) {
            return Err(EINVAL);
        }
        let old_gfp = file.set_gfp_noio();
        let new = Arc::new(
            Binding {
                file,
                read_only: old.read_only,
                has_fsync,
                old_gfp,
            },
            GFP_KERNEL,
        )?;
        disk.force_media_change();
        {
            let _frozen = disk.freeze();
            old.file.restore_gfp(old.old_gfp);
            self.shared.lock().binding = Some(new);
            self.update_dio(disk, flags & LO_FLAGS_DIRECT_IO != 0, true);
        }
        drop(config);
        drop(validate);
        // Puts the old file outside every lock.
        drop(old);
        if flags & LO_FLAGS_PARTSCAN != 0 {
            self.rescan(disk);
        }
        Ok(0)
    }

    /// `LOOP_CLR_FD` (loop_clr_fd()): marks the device for clearing at the
    /// last close; with no other opener it also stops new opens.
    pub(crate) fn clr_fd(&self, disk: &DiskRef) -> Result<i32> {
        // As loop.c: under the global lock, so a chain walk that found this
        // device's file sees either the old state or the rundown.
        let _validate = self.validator.mutex.lock();
        let mut shared = self.shared.lock();
        if shared.state != State::Bound {
            return Err(ENXIO);
        }
        shared.flags |= LO_FLAGS_AUTOCLEAR;
        if disk.openers() == 1 {
            self.set_state(&mut shared, State::Rundown);
        }
        Ok(0)
    }

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

    /// `LOOP_SET_STATUS(64)` (loop_set_status()): offset, size limit, name,
    /// and the flags user space may change (set AUTOCLEAR/PARTSCAN, clear
    /// AUTOCLEAR).  The queue is frozen while the offset changes.
    pub(crate) fn set_status(&self, disk: &DiskRef, info: &LoopInfo64) -> Result<i32> {
        let config = self.config.lock();
        let (b, prev_flags, size_changed) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => (
                    b.clone(),
                    shared.flags,
                    shared.offset != info.lo_offset || shared.sizelimit != info.lo_sizelimit,
                ),
                _ => return Err(ENXIO),
            }
        };
        if size_changed {
            disk.sync_and_invalidate();
        }
        let frozen = disk.freeze();
        check_info(info)?;
        let mut flags = info.lo_flags & LOOP_SET_STATUS_SETTABLE_FLAGS;
        flags |= prev_flags & !LOOP_SET_STATUS_SETTABLE_FLAGS;
        flags |= prev_flags & !LOOP_SET_STATUS_CLEARABLE_FLAGS;
        {
            let mut shared = self.shared.lock();
            shared.offset = info.lo_offset;
            shared.sizelimit = info.lo_sizelimit;
            shared.file_name = info.lo_file_name;
            shared.file_name[LO_NAME_SIZE - 1] = 0;
            shared.flags = flags;
        }
        if size_changed {
            disk.set_capacity_and_notify(loop_size(info.lo_offset, info.lo_sizelimit, &b.file));
        }
        // The offset may rule direct I/O out (or in again).
        self.update_dio(disk, prev_flags & LO_FLAGS_DIRECT_IO != 0, true);
        drop(frozen);
        let partscan = flags & LO_FLAGS_PARTSCAN != 0 && prev_flags & LO_FLAGS_PARTSCAN == 0;
        if partscan {
            disk.set_suppress_part_scan(false);
        }
        drop(config);
        // Never under our mutex or frozen: the rescan takes open_mutex.
        if partscan {
            self.rescan(disk);
        }
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
        // limits unchanged.
        disk.set_limits(&Self::limits(
            &b.file,
            block_size,
            b.has_fsync && !b.read_only,
            dio,
        ))?;
        self.update_dio(disk, dio, true);
        Ok(0)
    }

    /// The status of a bound device (loop_get_status()), with the backing
    /// file's numbers read without `lo_mutex` held.
    pub(crate) fn status(&self) -> Result<LoopInfo64> {
        let mut info = LoopInfo64::zeroed();
        let file = {
            let shared = self.shared.lock();
            let b = match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => b,
                _ => return Err(ENXIO),
            };
            info.lo_number = self.number;
            info.lo_offset = shared.offset;
            info.lo_sizelimit = shared.sizelimit;
            info.lo_flags = shared.flags;
            info.lo_file_name = shared.file_name;
            b.file.clone()
        };
        let st = file.stat()?;
        info.lo_device = st.dev;
        info.lo_inode = st.ino;
        info.lo_rdevice = st.rdev;
        Ok(info)
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
    fn update_dio(&self, disk: &DiskRef, want: bool, frozen: bool) -> bool {
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
        if dio {
            shared.flags |= LO_FLAGS_DIRECT_IO;
        } else {
            shared.flags &= !LO_FLAGS_DIRECT_IO;
        }
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

/// Claims `bdev` for `holder` unless it was opened exclusively (the opener
/// then holds it already).
fn claim<'a>(
    bdev: &'a BlockDevice,
    mode: u32,
    holder: &'static ClaimHolder,
) -> Result<Option<Claim<'a>>> {
    if mode & BLK_OPEN_EXCL != 0 {
        return Ok(None);
    }
    bdev.prepare_to_claim(holder).map(Some)
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

/// A file about to back a device (`LOOP_SET_FD`, `LOOP_CONFIGURE`,
/// `LOOP_CHANGE_FD`).
struct NewBacking {
    file: ARef<File>,
    has_write: bool,
    has_fsync: bool,
    /// It is one of our loop devices (the chain walk needs the validator).
    is_loop: bool,
}

impl NewBacking {
    /// `fget` and loop_check_backing_file(): `EBADF` for a bad fd, `EINVAL`
    /// for a file that cannot be read, or is open for writing but cannot
    /// be written.
    fn get(fd: u32) -> Result<Self> {
        let file = File::fget(fd)?;
        let (has_read, has_write, has_fsync) = file.ops();
        if !has_read || (file.is_writable() && !has_write) {
            return Err(EINVAL);
        }
        let is_loop = queue_data_of_file::<LoopDevice>(&file).is_some();
        Ok(Self {
            file,
            has_write,
            has_fsync,
            is_loop,
        })
    }
}

/// loop_validate_file(): a regular file, a block device, or a bound loop
/// device whose chain does not lead back to `own` (`EBADF`); a loop device
/// in the chain that is not bound gives `EINVAL`, as does any other kind of
/// file.  Called with the validator held.
fn validate_file(file: &File, own: u32) -> Result {
    let mut next: Option<ARef<File>> = None;
    loop {
        let f: &File = next.as_deref().unwrap_or(file);
        let following = match f.kind() {
            FileKind::Regular => return Ok(()),
            FileKind::Other => return Err(EINVAL),
            FileKind::Block(rdev) => {
                let Some(l) = queue_data_of_file::<LoopDevice>(f) else {
                    return Ok(());
                };
                if rdev == own {
                    return Err(EBADF);
                }
                let shared = l.shared.lock();
                match (shared.state, &shared.binding) {
                    (State::Bound, Some(b)) => b.file.clone(),
                    _ => return Err(EINVAL),
                }
            }
        };
        next = Some(following);
    }
}

/// The checks of loop_set_status_from_info().
fn check_info(info: &LoopInfo64) -> Result {
    if info.lo_encrypt_key_size as usize > LO_KEY_SIZE {
        return Err(EINVAL);
    }
    match info.lo_encrypt_type {
        0 => {}
        LO_CRYPT_XOR => {
            pr_warn!("support for the xor transformation has been removed.\n");
            return Err(EINVAL);
        }
        LO_CRYPT_CRYPTOAPI => {
            pr_warn!("support for cryptoloop has been removed.  Use dm-crypt instead.\n");
            return Err(EINVAL);
        }
        _ => return Err(EINVAL),
    }
    if info.lo_offset > i64::MAX as u64 || info.lo_sizelimit > i64::MAX as u64 {
        return Err(errno::eoverflow());
    }
    Ok(())
}

/// loop_info -> loop_info64 (loop_info64_from_old()).
fn from_old_info(info: &LoopInfo) -> LoopInfo64 {
    let mut info64 = LoopInfo64::zeroed();
    info64.lo_number = info.lo_number as u32;
    info64.lo_device = info.lo_device;
    info64.lo_inode = info.lo_inode;
    info64.lo_rdevice = info.lo_rdevice;
    // An int widened to loff_t and stored unsigned, as C does: a negative
    // offset becomes huge and gets EOVERFLOW.
    info64.lo_offset = i64::from(info.lo_offset) as u64;
    info64.lo_encrypt_type = info.lo_encrypt_type as u32;
    info64.lo_encrypt_key_size = info.lo_encrypt_key_size as u32;
    info64.lo_flags = info.lo_flags as u32;
    info64.lo_init = info.lo_init;
    if info64.lo_encrypt_type == LO_CRYPT_CRYPTOAPI {
        info64.lo_crypt_name = info.lo_name;
    } else {
        info64.lo_file_name = info.lo_name;
    }
    info64.lo_encrypt_key = info.lo_encrypt_key;
    info64
}

/// loop_info64 -> loop_info (loop_info64_to_old()): `EOVERFLOW` where a
/// value does not fit the old layout.
fn to_old_info(info64: &LoopInfo64) -> Result<LoopInfo> {
    let mut info = LoopInfo::zeroed();
    info.lo_number = info64.lo_number as i32;
    info.lo_device = info64.lo_device;
    info.lo_inode = info64.lo_inode;
    info.lo_rdevice = info64.lo_rdevice;
    info.lo_offset = i32::try_from(info64.lo_offset).map_err(|_| errno::eoverflow())?;
    info.lo_encrypt_type = info64.lo_encrypt_type as i32;
    info.lo_encrypt_key_size = info64.lo_encrypt_key_size as i32;
    info.lo_flags = info64.lo_flags as i32;
    info.lo_name = info64.lo_file_name;
    info.lo_name[LO_NAME_SIZE - 1] = 0;
    Ok(info)
}

/// compat_loop_info -> loop_info64 (loop_info64_from_compat()): the
/// encryption fields are ignored, as in loop.c.
fn from_compat_info(info: &CompatLoopInfo) -> LoopInfo64 {
    let mut info64 = LoopInfo64::zeroed();
    info64.lo_number = info.lo_number as u32;
    info64.lo_device = u64::from(info.lo_device);
    info64.lo_inode = u64::from(info.lo_inode);
    info64.lo_rdevice = u64::from(info.lo_rdevice);
    // Sign-extended, then unsigned: a negative offset gets EOVERFLOW.
    info64.lo_offset = i64::from(info.lo_offset) as u64;
    info64.lo_flags = info.lo_flags as u32;
    info64.lo_file_name = info.lo_name;
    info64
}

/// loop_info64 -> compat_loop_info (loop_info64_to_compat()): `EOVERFLOW`
/// where a device number, the inode or the offset does not fit.
fn to_compat_info(info64: &LoopInfo64) -> Result<CompatLoopInfo> {
    let overflow = |_| errno::eoverflow();
    let mut info = CompatLoopInfo::zeroed();
    info.lo_number = info64.lo_number as i32;
    info.lo_device = u16::try_from(info64.lo_device).map_err(overflow)?;
    info.lo_inode = u32::try_from(info64.lo_inode).map_err(overflow)?;
    info.lo_rdevice = u16::try_from(info64.lo_rdevice).map_err(overflow)?;
    info.lo_offset = i32::try_from(info64.lo_offset).map_err(overflow)?;
    info.lo_flags = info64.lo_flags as i32;
    info.lo_name = info64.lo_file_name;
    Ok(info)
}
