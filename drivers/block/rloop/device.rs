// SPDX-License-Identifier: GPL-2.0

//! One loop device: its state, backing file, block device operations and
//! request queue.
//!
//! Mirrors `struct loop_device` of drivers/block/loop.c, with the locking of
//! REQUIREMENTS.md section 5:
//!
//! * `shared` (`rloop:lo_lock`, a leaf spinlock) holds the state word, the
//!   flags, the user-visible configuration and the current [`Binding`].
//!   Every write of the state holds it.  `open` and `release` (called
//!   under `disk->open_mutex`) take only this lock, so there is no
//!   open_mutex -> lo_mutex edge at all; the I/O path takes a reference to
//!   the binding under it and does the file I/O with no lock held.
//! * `config` (`rloop:lo_mutex`) serialises the operations that change the
//!   configuration (bind, clear, capacity); they take `shared` inside it.
//!   Nothing that takes `open_mutex` or waits for our I/O runs under it.

use crate::kernel_ext::{
    block::{
        mq::{
            self, flags, queue_data_of_file, DiskRef, GenDisk, GenDiskBuilder, Limits, Op,
            Operations, Request, TagSet,
        },
        BLK_OPEN_WRITE,
    },
    cred, errno,
    fs::{File, FileKind, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE},
    loop_params,
    loop_uapi::{
        flags::*, ioctl::*, LoopConfig, LoopInfo, LoopInfo64, LO_CRYPT_CRYPTOAPI, LO_CRYPT_XOR,
        LO_KEY_SIZE, LO_NAME_SIZE,
    },
    module::ModuleRef,
    sysfs::{DiskAttributes, SysfsBuf},
    task::NoIoScope,
    task_work::{Deferred, DeferredItem},
    workqueue::{LazyQueue, OwnedQueue, WQ_UNBOUND_FREEZABLE},
};
use core::{
    fmt::Write,
    sync::atomic::{AtomicBool, Ordering},
};
use kernel::{
    bindings::gfp_t,
    new_mutex, new_spinlock,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
    types::{ARef, AsBytes, FromBytes},
    uaccess::UserSlice,
};

/// Largest request, in sectors: loop.c's "historic block max_sectors cap".
const MAX_HW_SECTORS: u32 = 2560;
/// `SECTOR_SHIFT`.
const SECTOR_SHIFT: u32 = 9;

/// `lo_state` of loop.c.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    /// No backing file.
    Unbound,
    /// Bound to a backing file.
    Bound,
    /// Being cleared after the last close; opens fail with `ENXIO`.
    Rundown,
    /// Being removed through `LOOP_CTL_REMOVE`; opens fail with `ENXIO`.
    Deleting,
}

/// What a bound device does I/O on.  Immutable: a change of offset or size
/// limit would publish a new one.  Dropping the last reference puts the
/// file, the module and the disk references.
struct Binding {
    file: ARef<File>,
    read_only: bool,
    has_fsync: bool,
    /// The backing file's page-cache gfp mask before we bound it.
    old_gfp: gfp_t,
    /// Our disk, for the deferred clear (which runs outside any callback).
    disk: ARef<DiskRef>,
    /// rloop stays loaded while a device is bound (loop.c's `__module_get`).
    _module: ModuleRef,
}

/// State under `lo_lock`.
struct Shared {
    state: State,
    flags: u32,
    offset: u64,
    sizelimit: u64,
    file_name: [u8; LO_NAME_SIZE],
    /// What the I/O path uses; `Some` exactly while bound or in rundown.
    binding: Option<Arc<Binding>>,
}

/// loop.c's `loop_validate_mutex`: serialises walks of loop-device chains
/// with the state changes of devices that back other loop devices.  Taken
/// before any device's `lo_mutex`.
#[pin_data]
pub(crate) struct Validator {
    #[pin]
    mutex: Mutex<()>,
}

impl Validator {
    /// The one validator of the module.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Validator {
                mutex <- new_mutex!((), "rloop:loop_validate_mutex"),
            }),
            GFP_KERNEL,
        )
    }
}

/// A loop device (`loopN`).
#[pin_data]
pub(crate) struct LoopDevice {
    number: u32,
    part_shift: u32,
    validator: Arc<Validator>,
    /// `lo_lock`: state, flags, configuration, binding (leaf).
    #[pin]
    shared: SpinLock<Shared>,
    /// `lo_mutex`: serialises configuration changes.
    #[pin]
    config: Mutex<()>,
    /// The device's workqueue: created at the first bind, destroyed only
    /// when the device is freed (after its disk).
    #[pin]
    wq: LazyQueue,
    /// The clear after the last close (no allocation in `release`).
    #[pin]
    rundown: Deferred<LoopDevice>,
}

impl LoopDevice {
    /// A new, unbound device number `number`.
    pub(crate) fn new(
        number: u32,
        part_shift: u32,
        validator: Arc<Validator>,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(LoopDevice {
                number,
                part_shift,
                validator,
                shared <- new_spinlock!(
                    Shared {
                        state: State::Unbound,
                        flags: 0,
                        offset: 0,
                        sizelimit: 0,
                        file_name: [0; LO_NAME_SIZE],
                        binding: None,
                    },
                    "rloop:lo_lock"
                ),
                config <- new_mutex!((), "rloop:lo_mutex"),
                wq <- LazyQueue::new(),
                rundown <- Deferred::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// The device number N of `loopN`.
    pub(crate) fn number(&self) -> u32 {
        self.number
    }

    /// Creates and adds the disk `loopN` for this device, with minors
    /// `N << part_shift` onwards.
    pub(crate) fn add_disk(self: &Arc<Self>) -> Result<GenDisk<Self>> {
        let part_shift = self.part_shift;
        let first_minor = i32::try_from(self.number)
            .ok()
            .and_then(|n| n.checked_shl(part_shift))
            .filter(|m| (m >> part_shift) as u32 == self.number)
            .ok_or(EINVAL)?;
        let depth = u32::try_from(loop_params::hw_queue_depth()).map_err(|_| EINVAL)?;
        let tagset = Arc::pin_init(
            TagSet::new(
                1,
                depth,
                1,
                flags::SHOULD_MERGE | flags::STACKING | flags::NO_SCHED_BY_DEFAULT,
            ),
            GFP_KERNEL,
        )?;
        GenDiskBuilder::new()
            .max_hw_sectors(MAX_HW_SECTORS)
            .devt(crate::LOOP_MAJOR, first_minor, 1 << part_shift)
            .suppress_part_scan(part_shift == 0)
            .media_change_events(true)
            .build(format_args!("loop{}", self.number), tagset, self.clone())
    }

    /// Whether the device is unbound (a candidate for `LOOP_CTL_GET_FREE`).
    pub(crate) fn is_unbound(&self) -> bool {
        self.shared.lock().state == State::Unbound
    }

    /// Marks the device as being deleted if it is unbound and `openers` is
    /// 0 (loop_control_remove()); `EBUSY` otherwise.
    pub(crate) fn start_deleting(&self, openers: u32) -> Result {
        let mut shared = self.shared.lock();
        if shared.state != State::Unbound || openers > 0 {
            return Err(EBUSY);
        }
        shared.state = State::Deleting;
        Ok(())
    }

    /// The current binding.
    fn binding(&self) -> Option<Arc<Binding>> {
        self.shared.lock().binding.clone()
    }

    /// The binding and offset for one request.  Offset changes freeze the
    /// queue, so they never happen while a request is in flight.
    fn io_snapshot(&self) -> Option<(Arc<Binding>, u64)> {
        let shared = self.shared.lock();
        shared.binding.clone().map(|b| (b, shared.offset))
    }

    /// The queue limits for `file` with `block_size` (loop_update_limits()).
    fn limits(file: &File, block_size: u32, write_cache: bool) -> Limits {
        let backing = file.backing_limits();
        Limits {
            block_size,
            write_cache,
            rotational: backing.rotational,
            max_discard_sectors: backing.max_discard_sectors,
            discard_granularity: backing.discard_granularity,
        }
    }

    /// `LOOP_SET_FD` / `LOOP_CONFIGURE` (loop_configure()).
    fn configure(&self, disk: &DiskRef, mode: u32, config: &LoopConfig) -> Result<i32> {
        let NewBacking {
            file,
            has_write,
            has_fsync,
            is_loop,
        } = NewBacking::get(config.fd)?;
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
        // Direct I/O is not implemented yet: the device runs buffered, and
        // reports it, as loop.c does where direct I/O is impossible.
        lo_flags &= !LO_FLAGS_DIRECT_IO;
        if self.part_shift != 0 {
            lo_flags |= LO_FLAGS_PARTSCAN;
        }
        let block_size = match config.block_size {
            0 => 512,
            bs if (512..=kernel::page::PAGE_SIZE as u32).contains(&bs) && bs.is_power_of_two() => {
                bs
            }
            _ => return Err(EINVAL),
        };
        let read_only = lo_flags & LO_FLAGS_READ_ONLY != 0;

        let number = self.number;
        self.wq.get_or_create(|| {
            OwnedQueue::new(format_args!("loop{}", number), WQ_UNBOUND_FREEZABLE)
        })?;

        disk.set_limits(&Self::limits(&file, block_size, has_fsync && !read_only))?;
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
                disk: disk.to_aref(),
                _module: ModuleRef::get(),
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

        self.shared.lock().state = State::Bound;
        let partscan = lo_flags & LO_FLAGS_PARTSCAN != 0;
        if partscan {
            disk.set_suppress_part_scan(false);
        }
        drop(_config);
        drop(_validate);

        if partscan {
            self.rescan(disk);
        }
        Ok(0)
    }

    /// `LOOP_CHANGE_FD` (loop_change_fd()): swaps the backing file of a
    /// read-only device for another of the same size, queue frozen.
    fn change_fd(&self, disk: &DiskRef, fd: u32) -> Result<i32> {
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
                disk: disk.to_aref(),
                _module: ModuleRef::get(),
            },
            GFP_KERNEL,
        )?;
        disk.force_media_change();
        {
            let _frozen = disk.freeze();
            old.file.restore_gfp(old.old_gfp);
            self.shared.lock().binding = Some(new);
        }
        drop(config);
        drop(validate);
        // Puts the old file (and our references) outside every lock.
        drop(old);
        if flags & LO_FLAGS_PARTSCAN != 0 {
            self.rescan(disk);
        }
        Ok(0)
    }

    /// `LOOP_CLR_FD` (loop_clr_fd()): marks the device for clearing at the
    /// last close; with no other opener it also stops new opens.
    fn clr_fd(&self, disk: &DiskRef) -> Result<i32> {
        // As loop.c: under the global lock, so a chain walk that found this
        // device's file sees either the old state or the rundown.
        let _validate = self.validator.mutex.lock();
        let mut shared = self.shared.lock();
        if shared.state != State::Bound {
            return Err(ENXIO);
        }
        shared.flags |= LO_FLAGS_AUTOCLEAR;
        if disk.openers() == 1 {
            shared.state = State::Rundown;
        }
        Ok(0)
    }

    /// `LOOP_SET_CAPACITY` (loop_set_capacity()): re-reads the backing size.
    fn set_capacity(&self) -> Result<i32> {
        let _config = self.config.lock();
        let (offset, sizelimit, b) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => (shared.offset, shared.sizelimit, b.clone()),
                _ => return Err(ENXIO),
            }
        };
        b.disk
            .set_capacity_and_notify(loop_size(offset, sizelimit, &b.file));
        Ok(0)
    }

    /// `LOOP_SET_STATUS(64)` (loop_set_status()): offset, size limit, name,
    /// and the flags user space may change (set AUTOCLEAR/PARTSCAN, clear
    /// AUTOCLEAR).  The queue is frozen while the offset changes.
    fn set_status(&self, disk: &DiskRef, info: &LoopInfo64) -> Result<i32> {
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
    fn set_block_size(&self, disk: &DiskRef, arg: usize) -> Result<i32> {
        let _config = self.config.lock();
        let b = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => b.clone(),
                _ => return Err(ENXIO),
            }
        };
        let block_size = u32::try_from(arg).map_err(|_| EINVAL)?;
        if disk.logical_block_size() == block_size {
            return Ok(0);
        }
        disk.sync_and_invalidate();
        let _frozen = disk.freeze();
        // queue_limits_commit_update() validates the size: EINVAL leaves the
        // limits unchanged.
        disk.set_limits(&Self::limits(
            &b.file,
            block_size,
            b.has_fsync && !b.read_only,
        ))?;
        Ok(0)
    }

    /// Rescans partitions, warning as loop_reread_partitions() does.
    fn rescan(&self, disk: &DiskRef) {
        if let Err(e) = disk.rescan_partitions() {
            pr_warn!(
                "loop_reread_partitions: partition scan of loop{} failed (rc={})\n",
                self.number,
                e.to_errno()
            );
        }
    }

    /// The status of a bound device (loop_get_status()), with the backing
    /// file's numbers read without `lo_mutex` held.
    fn status(&self) -> Result<LoopInfo64> {
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

    /// The deferred part of the clear (__loop_clr_fd()): runs with no lock
    /// held, from task_work before the last closer returns to user space, or
    /// on the device's workqueue.
    fn clear(&self) {
        let config = self.config.lock();
        let (b, flags) = {
            let mut shared = self.shared.lock();
            if shared.state != State::Rundown {
                return;
            }
            let Some(b) = shared.binding.take() else {
                return;
            };
            shared.offset = 0;
            shared.sizelimit = 0;
            shared.file_name = [0; LO_NAME_SIZE];
            (b, shared.flags)
        };
        let disk = &b.disk;
        // Back to 512-byte blocks, nothing advertised; on failure the old
        // limits stay, harmless for an unbound device.
        let _ = disk.set_limits(&Limits {
            block_size: 512,
            write_cache: false,
            rotational: false,
            max_discard_sectors: 0,
            discard_granularity: 0,
        });
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
            shared.flags = 0;
            shared.state = State::Unbound;
        }
        // Puts the file (deferred by fput), the disk and, last, the module.
        drop(b);
    }

    /// Handles one request in the device's worker: file I/O with no driver
    /// lock held and NOIO allocations.
    fn do_request(&self, rq: &Request<Self>) -> Result {
        let (b, offset) = self.io_snapshot().ok_or(EIO)?;
        let _noio = NoIoScope::enter();
        // The byte position in the backing file (reads and writes only: a
        // flush has no sector).
        let pos = || {
            rq.sector()
                .checked_mul(1 << SECTOR_SHIFT)
                .and_then(|p| p.checked_add(offset))
                .and_then(|p| i64::try_from(p).ok())
                .ok_or(EIO)
        };
        match rq.op() {
            Op::Read => {
                let mut iter = rq.iov_dest()?;
                let mut pos = pos()?;
                while iter.count() > 0 {
                    if b.file.read_iter(&mut iter, &mut pos)? == 0 {
                        // Beyond the end of the backing file (truncated
                        // underneath us): zeroes and EIO, as loop.c.
                        rq.zero_fill();
                        return Err(EIO);
                    }
                }
                Ok(())
            }
            Op::Write => {
                if b.read_only {
                    return Err(EIO);
                }
                let mut iter = rq.iov_source()?;
                let mut pos = pos()?;
                while iter.count() > 0 {
                    if b.file.write_iter(&mut iter, &mut pos)? == 0 {
                        return Err(EIO);
                    }
                }
                Ok(())
            }
            Op::Flush => b.file.fsync(),
            Op::Discard => self.fallocate(rq, &b, pos()?, FALLOC_FL_PUNCH_HOLE),
            // Punch unless the caller wants the blocks kept allocated.
            Op::WriteZeroes => {
                let mode = if rq.nounmap() {
                    FALLOC_FL_ZERO_RANGE
                } else {
                    FALLOC_FL_PUNCH_HOLE
                };
                self.fallocate(rq, &b, pos()?, mode)
            }
            Op::Other(_) => Err(EIO),
        }
    }

    /// Discard and write-zeroes through `fallocate` (lo_fallocate()): if the
    /// backing file cannot do it, fail this request and stop advertising
    /// the operation.
    fn fallocate(&self, rq: &Request<Self>, b: &Binding, pos: i64, mode: i32) -> Result {
        let disk = &b.disk;
        if disk.max_discard_sectors() == 0 {
            return Err(errno::eopnotsupp());
        }
        match b
            .file
            .fallocate(mode | FALLOC_FL_KEEP_SIZE, pos, i64::from(rq.bytes()))
        {
            Ok(()) => Ok(()),
            Err(e) if e == errno::eopnotsupp() => {
                disk.clear_limits(
                    mode & FALLOC_FL_PUNCH_HOLE != 0,
                    mode & FALLOC_FL_ZERO_RANGE != 0,
                );
                Err(e)
            }
            Err(e) if e == EINVAL => Err(e),
            Err(_) => Err(EIO),
        }
    }

    /// The device ioctls (lo_ioctl()).
    fn ioctl(&self, disk: &DiskRef, mode: u32, cmd: u32, arg: usize) -> Result<i32> {
        let writable_or_admin = || mode & BLK_OPEN_WRITE != 0 || cred::capable_sys_admin();
        match cmd {
            LOOP_SET_FD => {
                // The legacy case: a zeroed config with only the fd set.
                let mut config = LoopConfig::zeroed();
                config.fd = arg as u32;
                self.configure(disk, mode, &config)
            }
            LOOP_CONFIGURE => {
                let config: LoopConfig = read_user(arg)?;
                self.configure(disk, mode, &config)
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
                self.set_capacity()
            }
            LOOP_SET_DIRECT_IO => {
                if !writable_or_admin() {
                    return Err(EPERM);
                }
                self.require_bound()?;
                // Buffered only for now: turning direct I/O on fails as in
                // loop.c where it is impossible; off is what we are.
                if arg != 0 {
                    Err(EINVAL)
                } else {
                    Ok(0)
                }
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
                self.set_block_size(disk, arg)
            }
            LOOP_CHANGE_FD => self.change_fd(disk, arg as u32),
            _ => Err(EINVAL),
        }
    }

    /// `ENXIO` unless bound.
    fn require_bound(&self) -> Result {
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

/// A bound-device ioctl that does not exist yet: `ENOTTY`, said once.
fn not_yet(cmd: u32) -> Result<i32> {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        pr_warn!(
            "ioctl {:#x} on a bound device is not implemented yet\n",
            cmd
        );
    }
    Err(ENOTTY)
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

/// The device size in sectors (get_size()): the backing size past
/// `offset`, capped by `sizelimit` when set.
fn loop_size(offset: u64, sizelimit: u64, file: &File) -> u64 {
    let size = u64::try_from(file.size()).unwrap_or(0);
    let mut bytes = size.saturating_sub(offset);
    if sizelimit > 0 && sizelimit < bytes {
        bytes = sizelimit;
    }
    bytes >> SECTOR_SHIFT
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

impl DeferredItem for LoopDevice {
    fn run(this: Arc<Self>) {
        this.clear();
    }
}

#[vtable]
impl Operations for LoopDevice {
    type QueueData = Arc<LoopDevice>;

    fn queue_rq(
        dev: ArcBorrow<'_, LoopDevice>,
        rq: ARef<mq::Request<Self>>,
        _is_last: bool,
    ) -> Result {
        // As loop_queue_rq(): fail unless bound; all file I/O happens in the
        // device's worker, never here (seed 002).
        if dev.shared.lock().state != State::Bound {
            return Err(EIO);
        }
        let wq = dev.wq.get().ok_or(EIO)?;
        Request::queue_work(rq, wq);
        Ok(())
    }

    fn work(dev: ArcBorrow<'_, LoopDevice>, rq: ARef<mq::Request<Self>>) {
        let status = dev.do_request(&rq);
        // Ending the request is the last thing this work item does (seed
        // 001): its memory is the request's.
        let _ = Request::end(rq, status);
    }

    fn open(dev: ArcBorrow<'_, LoopDevice>, _disk: &DiskRef, _mode: u32) -> Result {
        match dev.shared.lock().state {
            State::Deleting | State::Rundown => Err(ENXIO),
            State::Unbound | State::Bound => Ok(()),
        }
    }

    fn release(dev: ArcBorrow<'_, LoopDevice>, disk: &DiskRef) {
        // lo_release(): only the last close counts; under open_mutex we
        // only change state and queue the clear (seed 003).
        if disk.openers() > 0 {
            return;
        }
        let need_clear = {
            let mut shared = dev.shared.lock();
            if shared.state == State::Bound && shared.flags & LO_FLAGS_AUTOCLEAR != 0 {
                shared.state = State::Rundown;
            }
            shared.state == State::Rundown
        };
        if !need_clear {
            return;
        }
        let Some(fallback) = crate::RUNDOWN_WQ.get() else {
            return;
        };
        let dev: Arc<LoopDevice> = dev.into();
        let force = loop_params::force_async_clear();
        if let Err((e, _)) = Deferred::queue(dev, |d| &d.rundown, fallback, force) {
            // Already queued: that clear will do.
            pr_debug!("rundown already queued ({:?})\n", e);
        }
    }

    fn ioctl(
        dev: ArcBorrow<'_, LoopDevice>,
        disk: &DiskRef,
        mode: u32,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        dev.ioctl(disk, mode, cmd, arg)
    }

    fn compat_ioctl(
        dev: ArcBorrow<'_, LoopDevice>,
        disk: &DiskRef,
        mode: u32,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        // The loop_info64/loop_config layouts are the same on 32-bit; the
        // old compat_loop_info is not supported yet.
        match cmd {
            LOOP_SET_STATUS | LOOP_GET_STATUS => not_yet(cmd),
            _ => dev.ioctl(disk, mode, cmd, arg),
        }
    }
}
