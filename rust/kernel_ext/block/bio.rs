// SPDX-License-Identifier: GPL-2.0

//! Bio-based disks: [`BioDisk`], [`Bio`] and [`BioOperations`].
//!
//! C headers: [`include/linux/bio.h`](srctree/include/linux/bio.h),
//! [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)
//!
//! A disk whose `block_device_operations` have a `submit_bio` and no tag
//! set, as brd and pmem: each bio reaches the driver in the submitter's
//! context, with no request allocation, no tag and no dispatch.  Names
//! follow the rnull RFC series (`kernel::block::bio::Bio`).  A bio has
//! exactly one owner, an [`OwnedBio`]: ending it consumes it, and dropping
//! one without ending it ends it with an I/O error rather than losing it.

use super::mq::{blk_status, free_disk_callback, DiskRef, GenDiskBuilder, Op, OwnedDisk};
use crate::kernel_ext::iov::{Dest, IovIter, IovIterDest, IovIterSource, Source};
use core::{fmt, marker::PhantomData, mem::MaybeUninit, ops::Deref, ptr::NonNull};
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi,
    prelude::*,
    static_lock_class,
    types::{ForeignOwnable, Opaque},
};

extern "C" {
    // `bio`: `struct bio *`, `iter`: `struct iov_iter *` (see request.rs).
    fn rloop_bio_iter(bio: *mut ffi::c_void, iter: *mut ffi::c_void, dir: ffi::c_uint);
}

/// `BLK_FEAT_IO_STAT` (not in 6.12's bindings): I/O statistics
/// (`queue/iostats`).
const BLK_FEAT_IO_STAT: u32 = 1 << 4;
/// `BLK_FEAT_SYNCHRONOUS` (not in 6.12's bindings): I/O completes in the
/// submitter's context.
const BLK_FEAT_SYNCHRONOUS: u32 = 1 << 6;
/// `BLK_FEAT_NOWAIT` (not in 6.12's bindings): `REQ_NOWAIT` bios are
/// accepted (and ended with `BLK_STS_AGAIN` when they would block).
const BLK_FEAT_NOWAIT: u32 = 1 << 7;

/// A bio-based driver.
pub(crate) trait BioOperations: Sized {
    /// The data each disk's callbacks get (its `private_data`).
    type QueueData: ForeignOwnable + Send + Sync;

    /// Serves `bio` in the submitter's context (`submit_bio`), which may
    /// sleep unless the bio is [`Bio::nowait`]; ending it is the last act.
    fn submit_bio(data: <Self::QueueData as ForeignOwnable>::Borrowed<'_>, bio: OwnedBio);
}

/// A `struct bio` owned by the driver between `submit_bio` and its end.
///
/// # Invariants
///
/// A `&Bio` is only borrowed from an [`OwnedBio`]: the bio is valid and
/// its fields and pages stable while it lives.
#[repr(transparent)]
pub(crate) struct Bio(Opaque<bindings::bio>);

impl Bio {
    fn raw(&self) -> *mut bindings::bio {
        self.0.get()
    }

    /// The first sector (`bi_iter.bi_sector`).
    pub(crate) fn sector(&self) -> u64 {
        // SAFETY: the bio is valid and owned by the driver (type
        // invariant), so its fields are stable.
        unsafe { (*self.raw()).bi_iter.bi_sector }
    }

    /// The remaining bytes (`bi_iter.bi_size`).
    pub(crate) fn bytes(&self) -> u32 {
        // SAFETY: as in `sector`.
        unsafe { (*self.raw()).bi_iter.bi_size }
    }

    /// The operation (`bio_op()`).
    pub(crate) fn op(&self) -> Op {
        // SAFETY: as in `sector`.
        Op::from_opf(unsafe { (*self.raw()).bi_opf })
    }

    /// Whether the submitter must not be blocked (`REQ_NOWAIT`): allocate
    /// with `GFP_NOWAIT` and end the bio with `EAGAIN` rather than sleep.
    pub(crate) fn nowait(&self) -> bool {
        // SAFETY: as in `sector`.
        let opf = unsafe { (*self.raw()).bi_opf };
        opf & (1 << bindings::req_flag_bits___REQ_NOWAIT) != 0
    }

    fn iov<D: Direction>(&self) -> Result<IovIter<'_, D>> {
        // Other operations carry no pages (a discard's `bi_size` is a
        // length on the disk, not of data).
        if self.op() != D::OP {
            return Err(EINVAL);
        }
        let mut raw = MaybeUninit::<bindings::iov_iter>::uninit();
        // SAFETY: the bio is valid and owned by the driver, and a read or a
        // write, so its bvecs cover `bi_size` bytes from `bi_iter`; `raw`
        // is valid for writes.
        unsafe { rloop_bio_iter(self.raw().cast(), raw.as_mut_ptr().cast(), D::DIR) };
        // SAFETY: `rloop_bio_iter` initialised `raw` as a bvec iterator of
        // direction `D::DIR`, i.e. `D`, over the bio's own bvecs and pages,
        // valid until the bio ends, which needs the `OwnedBio` that `&self`
        // borrows; it allocated nothing.
        Ok(unsafe { IovIter::from_raw(raw.assume_init(), core::ptr::null_mut()) })
    }

    /// An iterator to read into the bio's pages (for `Op::Read`; `EINVAL`
    /// for another operation).
    pub(crate) fn iov_dest(&self) -> Result<IovIterDest<'_>> {
        self.iov()
    }

    /// An iterator over the bio's data (for `Op::Write`; `EINVAL` for
    /// another operation).
    pub(crate) fn iov_source(&self) -> Result<IovIterSource<'_>> {
        self.iov()
    }
}

/// An iterator direction: the C constant and the bio operation that moves
/// data that way.
trait Direction {
    const DIR: u32;
    const OP: Op;
}

impl Direction for Dest {
    const DIR: u32 = bindings::ITER_DEST;
    const OP: Op = Op::Read;
}

impl Direction for Source {
    const DIR: u32 = bindings::ITER_SOURCE;
    const OP: Op = Op::Write;
}

/// The driver's ownership of a bio it was handed in `submit_bio`.
///
/// # Invariants
///
/// `ptr` is a valid bio submitted to one of our disks and not yet ended;
/// nobody else ends it.  `acct_start` is the `bio_start_io_acct` time if
/// the bio is being accounted.
pub(crate) struct OwnedBio {
    ptr: NonNull<Bio>,
    acct_start: Option<ffi::c_ulong>,
}

impl OwnedBio {
    /// # Safety
    ///
    /// `bio` was handed to `submit_bio` and the caller gives up its
    /// ownership.
    unsafe fn from_raw(bio: *mut bindings::bio) -> Option<Self> {
        let ptr = NonNull::new(bio.cast::<Bio>())?;
        // Accounted, as pmem does, when the queue's `iostats` is on
        // (`blk_queue_io_stat`; off by default for bio-based disks).
        // SAFETY: the bio was submitted to one of our disks, so its
        // `bi_bdev`, disk and queue are valid.
        let acct = unsafe {
            (*(*(*(*bio).bi_bdev).bd_disk).queue).limits.features & BLK_FEAT_IO_STAT != 0
        };
        // SAFETY: `bio` is valid; `bio_start_io_acct` only updates the
        // disk's statistics.
        let acct_start = acct.then(|| unsafe { bindings::bio_start_io_acct(bio) });
        // INVARIANT: by the safety requirements.
        Some(Self { ptr, acct_start })
    }

    /// Ends the bio with `status` (`bio_endio`; `EAGAIN` is
    /// `BLK_STS_AGAIN`, as `bio_wouldblock_error`).
    pub(crate) fn end(self, status: Result) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: we owned the bio (type invariant) and give it up here:
        // `this` is never dropped.
        unsafe { Self::end_raw(this.ptr.as_ptr().cast(), this.acct_start, status) };
    }

    /// # Safety
    ///
    /// The caller owns `bio`, accounted since `acct_start` if that is
    /// `Some`, and nobody uses it after this call.
    unsafe fn end_raw(bio: *mut bindings::bio, acct_start: Option<ffi::c_ulong>, status: Result) {
        // SAFETY: by the safety requirements the bio is ours until
        // `bio_endio`, which may free it; `bio_end_io_acct` is
        // `bio_end_io_acct_remapped` on the bio's own `bi_bdev`.
        unsafe {
            if let Some(start) = acct_start {
                bindings::bio_end_io_acct_remapped(bio, start, (*bio).bi_bdev);
            }
            (*bio).bi_status = blk_status(status);
            bindings::bio_endio(bio);
        }
    }
}

impl Deref for OwnedBio {
    type Target = Bio;

    fn deref(&self) -> &Bio {
        // SAFETY: the bio is valid while we own it (type invariant).
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for OwnedBio {
    /// A bio dropped without being ended is ended with an I/O error rather
    /// than lost (an I/O hang).
    fn drop(&mut self) {
        // SAFETY: we own the bio (type invariant); nobody uses it after.
        unsafe { Self::end_raw(self.ptr.as_ptr().cast(), self.acct_start, Err(EIO)) };
    }
}

/// The `block_device_operations` of a bio-based driver `T`.
struct BioVTable<T>(PhantomData<T>);

impl<T: BioOperations> BioVTable<T> {
    /// # Safety
    ///
    /// Called by the block layer for a bio submitted to a disk built by
    /// [`GenDiskBuilder::build_bio::<T>`], with the disk's queue entered
    /// (`bio_queue_enter`), so that `del_gendisk` and `free_disk` wait for
    /// us.
    unsafe extern "C" fn submit_bio_callback(bio: *mut bindings::bio) {
        // SAFETY: the bio is submitted to our disk: `bi_bdev` and its disk
        // are valid, and the disk's `private_data` is `T::QueueData`
        // (`build_bio`), released only in `free_disk`.  That runs after
        // the `BioDisk`'s `put_disk`, which follows `del_gendisk`; and
        // `del_gendisk` marks the disk dead, waits for every caller inside
        // the queue (`__submit_bio` calls us between `bio_queue_enter` and
        // `blk_queue_exit`) and leaves the queue frozen (the disk owns it,
        // `GD_OWNS_QUEUE`), so no later bio reaches us.
        let data = unsafe { T::QueueData::borrow((*(*(*bio).bi_bdev).bd_disk).private_data) };
        // SAFETY: the block layer hands us the bio; we end it exactly once.
        if let Some(bio) = unsafe { OwnedBio::from_raw(bio) } {
            T::submit_bio(data, bio);
        }
    }

    const BLOCK_OPS: bindings::block_device_operations = bindings::block_device_operations {
        submit_bio: Some(Self::submit_bio_callback),
        poll_bio: None,
        open: None,
        release: None,
        ioctl: None,
        compat_ioctl: None,
        check_events: None,
        unlock_native_capacity: None,
        getgeo: None,
        set_read_only: None,
        swap_slot_free_notify: None,
        report_zones: None,
        devnode: None,
        alternative_gpt_sector: None,
        get_unique_id: None,
        // The module that implements `T`: block devices pin it while open.
        owner: crate::THIS_MODULE.as_ptr(),
        pr_ops: core::ptr::null_mut(),
        // `build_bio` stores a `T::QueueData` as private data.
        free_disk: Some(free_disk_callback::<T::QueueData>),
    };
}

impl GenDiskBuilder {
    /// Allocates a bio-based disk (`__blk_alloc_disk`: no tag set; bios
    /// go to `T::submit_bio`, which may sleep; `REQ_NOWAIT` bios are
    /// accepted), names it, stores `queue_data` as its private data and
    /// adds it.  `queue_data` is released when the block layer frees the
    /// disk.
    pub(crate) fn build_bio<T: BioOperations>(
        self,
        name: fmt::Arguments<'_>,
        queue_data: T::QueueData,
    ) -> Result<BioDisk<T>> {
        // The lock class of the disk's `lockdep_map`, one for all our
        // bio-based disks (`blk_alloc_disk` gives one per call site in C).
        let lkclass = core::ptr::from_ref(static_lock_class!())
            .cast_mut()
            .cast::<bindings::lock_class_key>();
        let alloc = |lim: &mut bindings::queue_limits, _| {
            lim.features |= BLK_FEAT_SYNCHRONOUS | BLK_FEAT_NOWAIT;
            // SAFETY: `lim` is valid for the call; `LockClassKey` is
            // `repr(transparent)` over a static `lock_class_key`.
            from_err_ptr(unsafe {
                bindings::__blk_alloc_disk(lim, bindings::NUMA_NO_NODE, lkclass)
            })
        };
        // SAFETY: the disk comes from `__blk_alloc_disk`; `T`'s table
        // expects `T::QueueData` and frees it with `free_disk_callback`.
        let disk = unsafe { self.build_with(name, &BioVTable::<T>::BLOCK_OPS, queue_data, alloc) }?;
        Ok(BioDisk {
            disk,
            _t: PhantomData,
        })
    }
}

/// A bio-based block device added to the system, built by
/// [`GenDiskBuilder::build_bio::<T>`].  Dropping it deletes the disk:
/// `del_gendisk` waits for every `submit_bio` inside the queue.
pub(crate) struct BioDisk<T: BioOperations> {
    disk: OwnedDisk,
    _t: PhantomData<T>,
}

impl<T: BioOperations> Deref for BioDisk<T> {
    type Target = DiskRef;

    fn deref(&self) -> &DiskRef {
        &self.disk
    }
}
