// SPDX-License-Identifier: GPL-2.0

//! Binding a backing file: `LOOP_SET_FD`/`LOOP_CONFIGURE`
//! (loop_configure()), `LOOP_CHANGE_FD` and `LOOP_CLR_FD`, with the checks
//! of a new backing file (loop_check_backing_file(), loop_validate_file())
//! and the exclusive claim.

use crate::device::{loop_size, Binding, Lifecycle, LoopDevice, State};
use crate::kernel_ext::{
    block::{
        mq::{queue_data_of_file, DiskRef},
        BlockDevice, Claim, ClaimHolder, BLK_OPEN_EXCL, BLK_OPEN_WRITE,
    },
    fs::{File, FileKind},
    loop_uapi::{flags::*, LoopConfig, LO_NAME_SIZE},
    module::ModuleRef,
    workqueue::{OwnedQueue, WQ_UNBOUND_FREEZABLE},
};
use crate::status::check_info;
use kernel::{prelude::*, sync::Arc, types::ARef};

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
        // Direct I/O where asked for, by the flag or by an O_DIRECT backing
        // fd, and possible; otherwise the device runs buffered and says so
        // (loop_update_dio(), which syncs the file when the mode is not the
        // flag's).
        let dio = (want_dio || file.is_o_direct())
            && Self::can_use_dio(&file, disk.logical_block_size(), info.lo_offset);
        if dio != want_dio {
            let _ = file.fsync();
        }
        if dio {
            lo_flags |= LO_FLAGS_DIRECT_IO;
        } else {
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
            self.set_flags(&mut shared, lo_flags);
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
    /// read-only device for another of the same size, queue frozen.  As in
    /// loop.c, once the new file passed the backing checks every outcome,
    /// success or error, ends with one change uevent, and the media change
    /// in between is not announced.
    pub(crate) fn change_fd(&self, disk: &DiskRef, fd: u32) -> Result<i32> {
        let backing = NewBacking::get(fd)?;
        let quiet = disk.suppress_uevents();
        let swapped = self.swap_backing(disk, backing);
        drop(quiet);
        if let Ok(true) = swapped {
            self.rescan(disk);
        }
        disk.uevent_change();
        swapped.map(|_| 0)
    }

    /// The swap of [`Self::change_fd`]; returns whether the partitions need
    /// a rescan (`PARTSCAN`).
    fn swap_backing(&self, disk: &DiskRef, backing: NewBacking) -> Result<bool> {
        let NewBacking {
            file,
            has_fsync,
            is_loop,
            ..
        } = backing;
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
        let o_direct = file.is_o_direct();
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
            {
                let mut shared = self.shared.lock();
                shared.binding = Some(new);
                // The flags' mirror depends on the file (`copy_reads`).
                let same = shared.flags;
                self.set_flags(&mut shared, same);
            }
            // loop_update_dio(): the new fd's O_DIRECT asks for it too.
            self.update_dio(disk, flags & LO_FLAGS_DIRECT_IO != 0 || o_direct, true);
        }
        drop(config);
        drop(validate);
        // Puts the old file outside every lock.
        drop(old);
        Ok(flags & LO_FLAGS_PARTSCAN != 0)
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
        let flags = shared.flags | LO_FLAGS_AUTOCLEAR;
        self.set_flags(&mut shared, flags);
        if disk.openers() == 1 {
            self.set_state(&mut shared, State::Rundown);
        }
        Ok(0)
    }
}

/// Claims `bdev` for `holder` unless it was opened exclusively (the opener
/// then holds it already).
pub(crate) fn claim<'a>(
    bdev: &'a BlockDevice,
    mode: u32,
    holder: &'static ClaimHolder,
) -> Result<Option<Claim<'a>>> {
    if mode & BLK_OPEN_EXCL != 0 {
        return Ok(None);
    }
    bdev.prepare_to_claim(holder).map(Some)
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
