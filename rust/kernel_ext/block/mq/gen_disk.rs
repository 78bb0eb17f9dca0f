// SPDX-License-Identifier: GPL-2.0

//! [`GenDisk`] and [`GenDiskBuilder`]: a blk-mq `struct gendisk`.
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use super::{operations::OperationsVTable, Operations, TagSet};
use core::{
    fmt::{self, Write},
    ops::Deref,
    ptr::NonNull,
    sync::atomic::{AtomicUsize, Ordering},
};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    prelude::*,
    static_lock_class,
    sync::Arc,
    types::{ARef, AlwaysRefCounted, ForeignOwnable, Opaque},
};

/// Writes formatted text into a fixed C `char` array, keeping room for NUL.
struct NameWriter<'a> {
    buf: &'a mut [kernel::ffi::c_char],
    pos: usize,
}

impl Write for NameWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            // Keep the last byte for the terminating NUL.
            if self.pos + 1 >= self.buf.len() {
                return Err(fmt::Error);
            }
            self.buf[self.pos] = b as kernel::ffi::c_char;
            self.pos += 1;
        }
        Ok(())
    }
}

/// A builder for [`GenDisk`].
pub(crate) struct GenDiskBuilder {
    max_hw_sectors: u32,
    max_segments: u16,
    max_segment_size: u32,
    major: u32,
    first_minor: i32,
    minors: i32,
    suppress_part_scan: bool,
    media_change_events: bool,
}

impl Default for GenDiskBuilder {
    fn default() -> Self {
        Self {
            max_hw_sectors: 0,
            max_segments: 0,
            max_segment_size: 0,
            major: 0,
            first_minor: 0,
            minors: 1,
            suppress_part_scan: false,
            media_change_events: false,
        }
    }
}

impl GenDiskBuilder {
    /// A builder for a disk with 512-byte blocks, capacity 0 and one minor
    /// (a driver changes block size and capacity later, through
    /// [`DiskRef`]).
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Maximum request size, in 512-byte sectors (0: block layer default).
    pub(crate) fn max_hw_sectors(mut self, sectors: u32) -> Self {
        self.max_hw_sectors = sectors;
        self
    }

    /// Maximum number of segments (bvecs) of a request (0: block layer
    /// default, `BLK_MAX_SEGMENTS`).
    pub(crate) fn max_segments(mut self, segments: u16) -> Self {
        self.max_segments = segments;
        self
    }

    /// Maximum size of one segment, in bytes (0: block layer default, 64
    /// KiB; at least a page, or `blk_validate_limits` refuses the disk).
    pub(crate) fn max_segment_size(mut self, bytes: u32) -> Self {
        self.max_segment_size = bytes;
        self
    }

    /// Fixed device numbers: `major`, and `minors` minors from `first_minor`
    /// (1 + the number of partitions).
    pub(crate) fn devt(mut self, major: u32, first_minor: i32, minors: i32) -> Self {
        self.major = major;
        self.first_minor = first_minor;
        self.minors = minors;
        self
    }

    /// Do not scan partitions unless asked (`GD_SUPPRESS_PART_SCAN`); BLKPG
    /// and BLKRRPART still work.
    pub(crate) fn suppress_part_scan(mut self, suppress: bool) -> Self {
        self.suppress_part_scan = suppress;
        self
    }

    /// Report media changes with uevents (`DISK_EVENT_MEDIA_CHANGE`,
    /// `DISK_EVENT_FLAG_UEVENT`).
    pub(crate) fn media_change_events(mut self, on: bool) -> Self {
        self.media_change_events = on;
        self
    }

    /// The queue limits the builder sets, on top of zeroes (block layer
    /// defaults).
    pub(in crate::kernel_ext::block) fn queue_limits(&self) -> bindings::queue_limits {
        // SAFETY: `queue_limits` contains only integers, which may be zero.
        let mut lim: bindings::queue_limits = unsafe { core::mem::zeroed() };
        lim.logical_block_size = 512;
        lim.physical_block_size = 512;
        lim.max_hw_sectors = self.max_hw_sectors;
        lim.max_segments = self.max_segments;
        lim.max_segment_size = self.max_segment_size;
        lim
    }

    /// Sets up an allocated disk (operations, private data, device numbers,
    /// name) and adds it.  On error the disk is not added and the caller
    /// still owns it and `data`.
    ///
    /// # Safety
    ///
    /// `gendisk` was allocated by `__blk_mq_alloc_disk` or
    /// `__blk_alloc_disk` and is not yet added; `fops` and `data` are what
    /// the disk's callbacks expect for its whole life.
    pub(in crate::kernel_ext::block) unsafe fn add(
        self,
        gendisk: *mut bindings::gendisk,
        fops: &'static bindings::block_device_operations,
        data: *mut kernel::ffi::c_void,
        name: fmt::Arguments<'_>,
    ) -> Result {
        // SAFETY: `gendisk` is valid and not yet visible (safety
        // requirements): we have exclusive access to its fields.
        let disk = unsafe { &mut *gendisk };
        disk.fops = fops;
        disk.private_data = data;
        disk.major = self.major as _;
        disk.first_minor = self.first_minor;
        disk.minors = self.minors;
        if self.media_change_events {
            disk.events = bindings::DISK_EVENT_MEDIA_CHANGE as u16;
            disk.event_flags = bindings::DISK_EVENT_FLAG_UEVENT as u16;
        }
        if self.suppress_part_scan {
            // Not yet visible: a plain write is enough for `set_bit`.
            disk.state |= 1 << bindings::GD_SUPPRESS_PART_SCAN;
        }
        let mut w = NameWriter {
            buf: &mut disk.disk_name,
            pos: 0,
        };
        if w.write_fmt(name).is_err() {
            return Err(EINVAL);
        }
        let end = w.pos;
        disk.disk_name[end] = 0;

        // SAFETY: `gendisk` is fully set up; on failure it is not added.
        to_result(unsafe {
            bindings::device_add_disk(core::ptr::null_mut(), gendisk, core::ptr::null_mut())
        })
    }

    /// Allocates a disk with `alloc` (given the queue limits and the
    /// private data), sets it up with `fops` and `data` and adds it.  From
    /// then on the block layer owns `data`, released by `fops`'
    /// [`free_disk_callback::<D>`]; on error it is released here.
    ///
    /// # Safety
    ///
    /// `alloc` returns a disk from `__blk_mq_alloc_disk` or
    /// `__blk_alloc_disk`, not yet added; `fops`' callbacks expect a `D`
    /// as the disk's `private_data`, and its `free_disk` is
    /// [`free_disk_callback::<D>`].
    pub(in crate::kernel_ext::block) unsafe fn build_with<D: ForeignOwnable>(
        self,
        name: fmt::Arguments<'_>,
        fops: &'static bindings::block_device_operations,
        data: D,
        alloc: impl FnOnce(
            &mut bindings::queue_limits,
            *mut kernel::ffi::c_void,
        ) -> Result<*mut bindings::gendisk>,
    ) -> Result<OwnedDisk> {
        let mut lim = self.queue_limits();
        let data = data.into_foreign().cast_mut();
        // Until the disk is added, we own `data`; afterwards `free_disk` does.
        let release_data = move || {
            // SAFETY: `data` came from `into_foreign` above and no one else
            // released it: the disk was never added, so `free_disk` never runs.
            drop(unsafe { D::from_foreign(data) });
        };
        let gendisk = match alloc(&mut lim, data) {
            Ok(g) => g,
            Err(e) => {
                release_data();
                return Err(e);
            }
        };
        // SAFETY: `gendisk` was just allocated and not added; `fops` and
        // `data` go together (safety requirements).
        if let Err(e) = unsafe { self.add(gendisk, fops, data, name) } {
            // SAFETY: `gendisk` was not added, so `put_disk` frees it
            // without calling `free_disk`.
            unsafe { bindings::put_disk(gendisk) };
            release_data();
            return Err(e);
        }
        // INVARIANT: `gendisk` was allocated and added above, and we hold
        // the reference its allocation gave.
        Ok(OwnedDisk(gendisk))
    }

    /// Allocates the disk on `tagset`, names it, stores `queue_data` as its
    /// queue data and private data, and adds it (it becomes visible to user
    /// space).  `queue_data` is released when the block layer frees the disk.
    pub(crate) fn build<T: Operations>(
        self,
        name: fmt::Arguments<'_>,
        tagset: Arc<TagSet<T>>,
        queue_data: T::QueueData,
    ) -> Result<GenDisk<T>> {
        // The lock class of the disk's `lockdep_map`, one for all our
        // blk-mq disks (as `blk_mq_alloc_disk` gives one per call site in C).
        let lkclass = core::ptr::from_ref(static_lock_class!())
            .cast_mut()
            .cast::<bindings::lock_class_key>();
        let set = tagset.raw_tag_set();
        let alloc = |lim: &mut bindings::queue_limits, data| {
            // SAFETY: `set` is an initialised tag set that outlives the disk
            // (`GenDisk` keeps the `Arc` until after `del_gendisk`); `lim`
            // is valid for the call; `LockClassKey` is `repr(transparent)`
            // over a static `lock_class_key`.
            from_err_ptr(unsafe { bindings::__blk_mq_alloc_disk(set, lim, data, lkclass) })
        };
        // SAFETY: the disk comes from `__blk_mq_alloc_disk`; `T`'s table
        // expects `T::QueueData` and frees it with `free_disk_callback`.
        let disk = unsafe {
            self.build_with(name, OperationsVTable::<T>::block_ops(), queue_data, alloc)
        }?;
        Ok(GenDisk {
            disk,
            _tagset: tagset,
        })
    }
}

/// `free_disk` of a disk whose private data is a `D`: releases it.
///
/// # Safety
///
/// Called by `disk_release` once, for a disk added by
/// [`GenDiskBuilder::build_with::<D>`], after every other callback (and,
/// for blk-mq, once the queue no longer dispatches: `queuedata` is the same
/// pointer).
pub(in crate::kernel_ext::block) unsafe extern "C" fn free_disk_callback<D: ForeignOwnable>(
    disk: *mut bindings::gendisk,
) {
    // SAFETY: `private_data` came from `into_foreign` in `build_with` and is
    // released exactly once, here (safety requirements).
    drop(unsafe { D::from_foreign((*disk).private_data) });
}

/// An added disk and our reference to it: deleted (`del_gendisk`) and put
/// (`put_disk`) on drop.  [`GenDisk`] and the bio-based
/// [`super::super::bio::BioDisk`] own their disk through it.
///
/// # Invariants
///
/// The pointer is a valid `struct gendisk` added with `device_add_disk`;
/// we hold the reference its allocation gave us.
pub(in crate::kernel_ext::block) struct OwnedDisk(*mut bindings::gendisk);

// SAFETY: `OwnedDisk` owns a reference to a `struct gendisk`, whose
// functions may be called from any thread.
unsafe impl Send for OwnedDisk {}

// SAFETY: the `&self` methods (through `DiskRef`) only call thread-safe C
// functions.
unsafe impl Sync for OwnedDisk {}

impl Deref for OwnedDisk {
    type Target = DiskRef;

    fn deref(&self) -> &DiskRef {
        // SAFETY: the disk is valid while `self` lives (type invariant).
        unsafe { DiskRef::from_raw(self.0) }
    }
}

impl Drop for OwnedDisk {
    fn drop(&mut self) {
        // SAFETY: the disk was added (type invariant).  `del_gendisk`
        // removes it, marks it dead and waits for every caller inside the
        // queue (`queue_rq`, and `submit_bio`, which runs between
        // `bio_queue_enter` and `blk_queue_exit`); the queue is left
        // frozen, so none starts afterwards, nor does `open`.
        unsafe { bindings::del_gendisk(self.0) };
        // SAFETY: we own one reference (type invariant); the disk is freed,
        // and `free_disk` releases its private data, once the last opener
        // is gone.
        unsafe { bindings::put_disk(self.0) };
    }
}

/// A blk-mq block device added to the system.
///
/// # Invariants
///
/// `disk` was built by [`GenDiskBuilder::build::<T>`] on `_tagset`.
pub(crate) struct GenDisk<T: Operations> {
    // Dropped first: the tag set `Arc` may go only once `del_gendisk`
    // detached the queue from it.
    disk: OwnedDisk,
    _tagset: Arc<TagSet<T>>,
}

// SAFETY: `GenDisk` owns a disk, which may be used from any thread, and an
// `Arc` of the tag set, which only `del_gendisk`'s caller (our drop) needs.
unsafe impl<T: Operations + Send> Send for GenDisk<T> {}

// SAFETY: the `&self` methods only call thread-safe C functions.
unsafe impl<T: Operations + Sync> Sync for GenDisk<T> {}

impl<T: Operations> Deref for GenDisk<T> {
    type Target = DiskRef;

    fn deref(&self) -> &DiskRef {
        &self.disk
    }
}

extern "C" {
    // `struct gendisk *` as `void *` (see request.rs).
    fn rloop_disk_set_uevent_suppress(disk: *mut kernel::ffi::c_void, on: bool);
}

/// The uevents of a disk are suppressed while this lives (see
/// [`DiskRef::suppress_uevents`]).
pub(crate) struct UeventsSuppressed<'a> {
    disk: &'a DiskRef,
}

impl Drop for UeventsSuppressed<'_> {
    fn drop(&mut self) {
        // SAFETY: the disk is valid for `'a`.
        unsafe { rloop_disk_set_uevent_suppress(self.disk.as_raw().cast(), false) };
    }
}

/// `BLK_FEAT_WRITE_CACHE` (not in 6.12's bindings).
const BLK_FEAT_WRITE_CACHE: u32 = 1 << 0;
/// `BLK_FEAT_DAX` (not in 6.12's bindings).
const BLK_FEAT_DAX: u32 = 1 << 8;

/// A `struct gendisk` that is valid for as long as the reference lives:
/// handed to the [`Operations`] callbacks, or held counted as
/// `ARef<DiskRef>` (`get_device`/`put_device` on the disk's device, which
/// keeps the structure, not its registration, alive).
#[repr(transparent)]
pub(crate) struct DiskRef(Opaque<bindings::gendisk>);

// SAFETY: the gendisk functions we call may run on any thread.
unsafe impl Send for DiskRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for DiskRef {}

// SAFETY: `get_device`/`put_device` on `disk_to_dev(disk)` count references
// to the gendisk; `put_disk` is the same `put_device`.
unsafe impl AlwaysRefCounted for DiskRef {
    fn inc_ref(&self) {
        // SAFETY: the disk is valid, so its device is.
        unsafe { bindings::get_device(self.dev()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference.
        unsafe { bindings::put_device(obj.as_ref().dev()) };
    }
}

impl DiskRef {
    /// # Safety
    ///
    /// `ptr` is a valid gendisk for the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::gendisk) -> &'a Self {
        // SAFETY: `DiskRef` is `repr(transparent)`; validity by the safety
        // requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The C `struct gendisk`.
    pub(crate) fn as_raw(&self) -> *mut bindings::gendisk {
        self.0.get()
    }

    /// `disk_to_dev(disk)`.
    fn dev(&self) -> *mut bindings::device {
        // SAFETY: a valid disk has a valid `part0`.
        unsafe { core::ptr::addr_of_mut!((*(*self.as_raw()).part0).bd_device) }
    }

    /// The device number of the whole disk (`disk_devt()`).
    pub(crate) fn devt(&self) -> u32 {
        // SAFETY: `major` and `first_minor` are set before the disk is added
        // and never change.
        let (major, minor) = unsafe { ((*self.as_raw()).major, (*self.as_raw()).first_minor) };
        ((major as u32) << 20) | (minor as u32)
    }

    /// A counted reference.
    pub(crate) fn to_aref(&self) -> ARef<DiskRef> {
        ARef::from(self)
    }

    /// Number of openers of the whole disk (`disk_openers`).
    pub(crate) fn openers(&self) -> u32 {
        // SAFETY: `part0` is valid; `bd_openers` is an `atomic_t`, read like
        // `atomic_read` does.
        let n = unsafe {
            core::ptr::read_volatile(core::ptr::addr_of!(
                (*(*self.as_raw()).part0).bd_openers.counter
            ))
        };
        n.max(0) as u32
    }

    /// Sets the capacity and tells user space: a resize uevent if it
    /// changed, else a change uevent (loop_set_size()).
    pub(crate) fn set_capacity_and_notify(&self, sectors: u64) {
        // SAFETY: the disk is valid; the function takes its own locks.
        if !unsafe { bindings::set_capacity_and_notify(self.as_raw(), sectors) } {
            self.uevent_change();
        }
    }

    /// Suppresses the disk's uevents until the guard drops
    /// (`dev_set_uevent_suppress`), as a driver does while it reconfigures
    /// a disk and then sends one change event itself.
    pub(crate) fn suppress_uevents(&self) -> UeventsSuppressed<'_> {
        // SAFETY: the disk is valid; the shim sets the device's flag.
        unsafe { rloop_disk_set_uevent_suppress(self.as_raw().cast(), true) };
        UeventsSuppressed { disk: self }
    }

    /// Sends a `KOBJ_CHANGE` uevent for the disk.
    pub(crate) fn uevent_change(&self) {
        // SAFETY: the disk's device is valid and registered (the disk was
        // added), as `kobject_uevent` requires.
        unsafe {
            bindings::kobject_uevent(
                core::ptr::addr_of_mut!((*self.dev()).kobj),
                bindings::kobject_action_KOBJ_CHANGE,
            )
        };
    }

    /// `set_disk_ro()`.
    pub(crate) fn set_read_only(&self, ro: bool) {
        // SAFETY: the disk is valid.
        unsafe { bindings::set_disk_ro(self.as_raw(), ro) };
    }

    /// `disk_force_media_change()`: invalidates cached state of openers.
    pub(crate) fn force_media_change(&self) {
        // SAFETY: the disk is valid.
        unsafe { bindings::disk_force_media_change(self.as_raw()) };
    }

    /// `invalidate_disk()`: drops the page cache and sets capacity 0.
    pub(crate) fn invalidate(&self) {
        // SAFETY: the disk is valid.
        unsafe { bindings::invalidate_disk(self.as_raw()) };
    }

    /// Sets or clears `GD_SUPPRESS_PART_SCAN`.
    pub(crate) fn set_suppress_part_scan(&self, on: bool) {
        // SAFETY: `state` is an `unsigned long` bit field updated with atomic
        // bit operations in C; `AtomicUsize` has the same layout.
        let state =
            unsafe { AtomicUsize::from_ptr(core::ptr::addr_of_mut!((*self.as_raw()).state)) };
        let bit = 1usize << bindings::GD_SUPPRESS_PART_SCAN;
        if on {
            state.fetch_or(bit, Ordering::SeqCst);
        } else {
            state.fetch_and(!bit, Ordering::SeqCst);
        }
    }

    /// Rescans (or drops) the partitions (`bdev_disk_changed`) under
    /// `disk->open_mutex`.  Call it with no driver lock held.
    pub(crate) fn rescan_partitions(&self) -> Result {
        // SAFETY: the disk is valid; `open_mutex` is initialised; we hold
        // no lock that `bdev_disk_changed` or openers take before it.
        unsafe {
            let m = core::ptr::addr_of_mut!((*self.as_raw()).open_mutex);
            bindings::mutex_lock(m);
            let ret = bindings::bdev_disk_changed(self.as_raw(), false);
            bindings::mutex_unlock(m);
            to_result(ret)
        }
    }

    /// The logical block size in use.
    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: the queue of a valid disk is valid; limits are updated
        // whole under `limits_lock`, a racy read sees an old or new value.
        unsafe { (*(*self.as_raw()).queue).limits.logical_block_size }
    }

    /// The discard limit in use, in sectors (`bdev_max_discard_sectors`).
    pub(crate) fn max_discard_sectors(&self) -> u32 {
        // SAFETY: as in `logical_block_size`.
        unsafe { (*(*self.as_raw()).queue).limits.max_discard_sectors }
    }

    /// Updates the queue limits under `limits_lock`
    /// (queue_limits_start_update() + `f` + queue_limits_commit_update(),
    /// which validates them: on error nothing changes).
    fn update_limits(&self, f: impl FnOnce(&mut bindings::queue_limits)) -> Result {
        // SAFETY: the disk and its queue are valid; we take `limits_lock`
        // as `queue_limits_start_update` does, and
        // `queue_limits_commit_update` releases it.
        unsafe {
            let q = (*self.as_raw()).queue;
            bindings::mutex_lock(core::ptr::addr_of_mut!((*q).limits_lock));
            let mut lim = (*q).limits;
            f(&mut lim);
            to_result(bindings::queue_limits_commit_update(q, &mut lim))
        }
    }

    /// Sets the limits a loop device derives from its backing file
    /// (loop_update_limits()).
    pub(crate) fn set_limits(&self, l: &Limits) -> Result {
        self.update_limits(|lim| {
            lim.logical_block_size = l.block_size;
            lim.physical_block_size = l.block_size;
            lim.io_min = l.block_size;
            lim.features &= !(BLK_FEAT_WRITE_CACHE | bindings::BLK_FEAT_ROTATIONAL);
            if l.write_cache {
                lim.features |= BLK_FEAT_WRITE_CACHE;
            }
            if l.rotational {
                lim.features |= bindings::BLK_FEAT_ROTATIONAL;
            }
            lim.max_hw_discard_sectors = l.max_discard_sectors;
            lim.max_write_zeroes_sectors = l.max_discard_sectors;
            lim.discard_granularity = if l.max_discard_sectors != 0 {
                l.discard_granularity
            } else {
                0
            };
        })
    }

    /// Advertises DAX (`BLK_FEAT_DAX`, `queue/dax` reads 1) or stops: file
    /// systems mounted with `-o dax` then look for the disk's dax device
    /// (`fs_dax_get_by_bdev`, see `kernel_ext::dax`).
    pub(crate) fn set_dax(&self, on: bool) -> Result {
        self.update_limits(|lim| {
            if on {
                lim.features |= BLK_FEAT_DAX;
            } else {
                lim.features &= !BLK_FEAT_DAX;
            }
        })
    }

    /// Sets the logical and physical block size and the minimum I/O size
    /// to `block_size`, and nothing else (__loop_clr_fd()'s reset).
    pub(crate) fn set_block_size(&self, block_size: u32) -> Result {
        self.update_limits(|lim| {
            lim.logical_block_size = block_size;
            lim.physical_block_size = block_size;
            lim.io_min = block_size;
        })
    }

    /// Stops advertising discard and/or write-zeroes (loop_clear_limits()).
    pub(crate) fn clear_limits(&self, discard: bool, write_zeroes: bool) {
        let _ = self.update_limits(|lim| {
            if write_zeroes {
                lim.max_write_zeroes_sectors = 0;
            }
            if discard {
                lim.max_hw_discard_sectors = 0;
                lim.discard_granularity = 0;
            }
        });
    }

    /// Writes back and drops the page cache of the whole device
    /// (`sync_blockdev` + `invalidate_bdev`), before a change of what its
    /// blocks mean.
    pub(crate) fn sync_and_invalidate(&self) {
        // SAFETY: `part0` of a valid disk is valid.
        unsafe {
            let bdev = (*self.as_raw()).part0;
            let _ = bindings::sync_blockdev(bdev);
            bindings::invalidate_bdev(bdev);
        }
    }

    /// Freezes the queue (`blk_mq_freeze_queue`): no request is in flight
    /// until the guard is dropped.  Never take a lock that I/O submitters
    /// or `open_mutex` holders take while frozen.
    pub(crate) fn freeze(&self) -> Frozen<'_> {
        // SAFETY: the queue of a valid disk is valid.
        unsafe { bindings::blk_mq_freeze_queue((*self.as_raw()).queue) };
        Frozen { disk: self }
    }
}

/// What [`DiskRef::set_limits`] sets.
pub(crate) struct Limits {
    /// Logical (= physical = minimum I/O) block size.
    pub(crate) block_size: u32,
    /// Volatile write cache (flushes reach the driver).
    pub(crate) write_cache: bool,
    /// Rotational medium.
    pub(crate) rotational: bool,
    /// Discard and write-zeroes limit, in sectors (0: not supported).
    pub(crate) max_discard_sectors: u32,
    /// Discard granularity, in bytes.
    pub(crate) discard_granularity: u32,
}

/// A frozen queue; unfrozen on drop.
pub(crate) struct Frozen<'a> {
    disk: &'a DiskRef,
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        // SAFETY: we froze this queue in `DiskRef::freeze`.
        unsafe { bindings::blk_mq_unfreeze_queue((*self.disk.as_raw()).queue) };
    }
}
