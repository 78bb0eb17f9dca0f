// SPDX-License-Identifier: GPL-2.0

//! [`Operations`]: what a blk-mq driver implements, and the C vtables
//! (`blk_mq_ops`, `block_device_operations`) built from it.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::{aio::AioState, request::RequestDataWrapper, DiskRef, Job, OwnedRequest, Request};
use crate::kernel_ext::{block::BlockDevice, module::ModulePinned};
use core::{
    marker::PhantomData,
    sync::atomic::{AtomicBool, AtomicPtr, AtomicU8},
};
use kernel::{
    bindings, build_error,
    error::{from_result, VTABLE_DEFAULT_ERROR},
    prelude::*,
    types::ForeignOwnable,
};

/// The borrowed form of a driver's queue data.
pub(crate) type QueueDataBorrowed<'a, T> =
    <<T as Operations>::QueueData as ForeignOwnable>::Borrowed<'a>;

/// Proof that the code holding it runs inside `queue_rq`: the request
/// queue, and so the queue data, cannot be freed before it returns
/// (`del_gendisk` quiesces the queue, waiting for every `queue_rq`, before
/// the disk can be released).  Only the abstraction creates one.
pub(crate) struct Dispatch(());

/// Implement this trait to drive a blk-mq block device.
///
/// `QueueData` is stored in the request queue (`queuedata`) and as the
/// disk's `private_data` when the [`super::GenDisk`] is built, and released
/// when the block layer frees the disk (`free_disk`), after the last
/// `open`/`release`/`ioctl` and the last `queue_rq`.
#[vtable]
pub(crate) trait Operations: Sized {
    /// Per-disk data handed to every callback.
    type QueueData: ForeignOwnable + Send + Sync;

    /// Queues a request with the driver, which now owns it and must end it
    /// (dropping it ends it with an I/O error).  If `is_last` is `false`,
    /// the driver is allowed to defer committing the request.
    fn queue_rq(
        queue_data: QueueDataBorrowed<'_, Self>,
        rq: OwnedRequest<Self>,
        is_last: bool,
        dispatch: &Dispatch,
    );

    /// Queued requests should be submitted.
    fn commit_rqs(_queue_data: QueueDataBorrowed<'_, Self>) {}

    /// Runs, in process context, a request queued with
    /// [`OwnedRequest::queue_work`].  The [`Job`] ends the request after
    /// releasing everything the handler attached to it.
    fn work(_job: Job<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The end of a transfer started with [`OwnedRequest::submit_aio`],
    /// with its result (bytes transferred, or a negative errno).  May run
    /// in any context, interrupts included: it must not sleep.
    fn aio_complete(_job: Job<'_, Self>, _ret: isize) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The disk (or one of its partitions) is being opened; `mode` is the
    /// `BLK_OPEN_*` mask.  Called with `disk->open_mutex` held.
    fn open(_queue_data: QueueDataBorrowed<'_, Self>, _disk: &DiskRef, _mode: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// An opener closed the disk (or a partition).  Called with
    /// `disk->open_mutex` held, on every close, with the module pinned by
    /// the block device until it returns.
    fn release(_queue_data: QueueDataBorrowed<'_, Self>, _disk: &DiskRef, _pinned: &ModulePinned) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A driver-specific ioctl on `bdev` (the disk or a partition), opened
    /// with `mode`.
    fn ioctl(
        _queue_data: QueueDataBorrowed<'_, Self>,
        _bdev: &BlockDevice,
        _mode: u32,
        _cmd: u32,
        _arg: usize,
    ) -> Result<i32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The 32-bit compat ioctl.
    fn compat_ioctl(
        _queue_data: QueueDataBorrowed<'_, Self>,
        _bdev: &BlockDevice,
        _mode: u32,
        _cmd: u32,
        _arg: usize,
    ) -> Result<i32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C vtables for `T`.
pub(crate) struct OperationsVTable<T: Operations>(PhantomData<T>);

impl<T: Operations> OperationsVTable<T> {
    /// # Safety
    ///
    /// Called by blk-mq: `bd` is valid for reads, `(*bd).rq` is a live request
    /// of a `TagSet<T>` now owned by the driver, and `hctx` belongs to a queue
    /// whose `queuedata` came from `T::QueueData::into_foreign` (set by
    /// `GenDiskBuilder::build`) and is not yet released (`free_disk` runs
    /// only after the queue stopped dispatching).
    unsafe extern "C" fn queue_rq_callback(
        hctx: *mut bindings::blk_mq_hw_ctx,
        bd: *const bindings::blk_mq_queue_data,
    ) -> bindings::blk_status_t {
        // SAFETY: `bd.rq` is a live request of a `TagSet<T>` now owned by
        // the driver (safety requirements); it is started just below.
        let rq = unsafe { OwnedRequest::<T>::from_raw((*bd).rq) };

        // SAFETY: we have exclusive access inside `queue_rq`.
        unsafe { Request::start_unchecked(&rq) };

        // SAFETY: `hctx` and its queue are valid (blk-mq contract) and
        // `queuedata` holds `T::QueueData`, not released while requests are
        // dispatched (safety requirements).
        let queue_data = unsafe { T::QueueData::borrow((*(*hctx).queue).queuedata) };

        // SAFETY: `bd` is valid as required by the safety requirements.
        let is_last = unsafe { (*bd).last };
        // The driver owns the request now and ends it itself.
        T::queue_rq(queue_data, rq, is_last, &Dispatch(()));
        bindings::BLK_STS_OK as _
    }

    /// # Safety
    ///
    /// Called by blk-mq for a live `hctx` of a queue set up as for
    /// `queue_rq_callback`.
    unsafe extern "C" fn commit_rqs_callback(hctx: *mut bindings::blk_mq_hw_ctx) {
        // SAFETY: as in `queue_rq_callback`.
        let queue_data = unsafe { T::QueueData::borrow((*(*hctx).queue).queuedata) };
        T::commit_rqs(queue_data)
    }

    /// # Safety
    ///
    /// Called by blk-mq with `rq` pointing to an allocation with room for
    /// `RequestDataWrapper` after the request (our `cmd_size`).
    unsafe extern "C" fn init_request_callback(
        _set: *mut bindings::blk_mq_tag_set,
        rq: *mut bindings::request,
        _hctx_idx: kernel::ffi::c_uint,
        _numa_node: kernel::ffi::c_uint,
    ) -> kernel::ffi::c_int {
        from_result(|| {
            // SAFETY: by the safety requirements, `rq` points to a valid
            // allocation with our PDU.
            let pdu = unsafe { Request::<T>::wrapper_ptr(rq.cast::<Request<T>>()) };
            // SAFETY: the status is allocated but not initialised, so it
            // is valid for writes.
            unsafe { RequestDataWrapper::status_ptr(pdu.as_ptr()).write(AtomicU8::new(0)) };
            // SAFETY: the drain link is allocated but not initialised, so
            // it is valid for writes.
            unsafe {
                RequestDataWrapper::drain_next_ptr(pdu.as_ptr())
                    .write(AtomicPtr::new(core::ptr::null_mut()))
            };
            // SAFETY: the flag is allocated but not initialised, so it is
            // valid for writes.
            unsafe {
                RequestDataWrapper::complete_here_ptr(pdu.as_ptr()).write(AtomicBool::new(false))
            };
            // SAFETY: the aio field is allocated and not in use.
            unsafe { AioState::init(RequestDataWrapper::aio_ptr(pdu.as_ptr())) };
            // The work field stays uninitialised until `Request::queue_work`
            // needs it: INIT_WORK is a lockdep map and a debug object, and
            // a tag set has `queue_depth` requests, most never queued.
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by blk-mq with `rq` a request initialised by
    /// `init_request_callback`, never used again afterwards.
    unsafe extern "C" fn exit_request_callback(
        _set: *mut bindings::blk_mq_tag_set,
        rq: *mut bindings::request,
        _hctx_idx: kernel::ffi::c_uint,
    ) {
        // SAFETY: the tag set reserved a `RequestDataWrapper` PDU.
        let pdu = unsafe { bindings::blk_mq_rq_to_pdu(rq) }.cast::<RequestDataWrapper>();
        // SAFETY: `pdu` is valid and initialised, and dropped only here.
        unsafe { core::ptr::drop_in_place(pdu) };
    }

    const VTABLE: bindings::blk_mq_ops = bindings::blk_mq_ops {
        queue_rq: Some(Self::queue_rq_callback),
        queue_rqs: None,
        commit_rqs: Some(Self::commit_rqs_callback),
        get_budget: None,
        put_budget: None,
        set_rq_budget_token: None,
        get_rq_budget_token: None,
        timeout: None,
        poll: None,
        complete: Some(Request::<T>::complete_callback),
        init_hctx: None,
        exit_hctx: None,
        init_request: Some(Self::init_request_callback),
        exit_request: Some(Self::exit_request_callback),
        cleanup_rq: None,
        busy: None,
        map_queues: None,
        #[cfg(CONFIG_BLK_DEBUG_FS)]
        show_rq: None,
    };

    /// The `blk_mq_ops` table of `T`.
    pub(crate) const fn build() -> &'static bindings::blk_mq_ops {
        &Self::VTABLE
    }

    /// # Safety
    ///
    /// Called by the block layer with `disk->open_mutex` held, for a disk
    /// built by `GenDiskBuilder::build::<T>` whose `private_data` (our
    /// `QueueData`) is released only in `free_disk`, after the last
    /// `open`/`release`/`ioctl`.
    unsafe extern "C" fn open_callback(
        disk: *mut bindings::gendisk,
        mode: bindings::blk_mode_t,
    ) -> kernel::ffi::c_int {
        // SAFETY: `disk` is valid and its `private_data` live (safety
        // requirements).
        let data = unsafe { T::QueueData::borrow((*disk).private_data) };
        // SAFETY: `disk` is valid for the duration of the call.
        let disk = unsafe { DiskRef::from_raw(disk) };
        from_result(|| T::open(data, disk, mode).map(|()| 0))
    }

    /// # Safety
    ///
    /// As for `open_callback`.
    unsafe extern "C" fn release_callback(disk: *mut bindings::gendisk) {
        // SAFETY: as in `open_callback`.
        let data = unsafe { T::QueueData::borrow((*disk).private_data) };
        // SAFETY: `disk` is valid for the duration of the call.
        let disk = unsafe { DiskRef::from_raw(disk) };
        // SAFETY: the block device being released holds a reference to
        // `fops->owner`, this module, until after `release` returns
        // (bdev_release() puts it last).
        let pinned = unsafe { ModulePinned::assume() };
        T::release(data, disk, pinned)
    }

    /// The queue data of an open block device, and the block device.
    ///
    /// # Safety
    ///
    /// `bdev` is open (so it and its disk are valid for `'a`) and belongs to
    /// a disk built by `GenDiskBuilder::build::<T>` (so `private_data` is
    /// live, as for `open_callback`).
    unsafe fn bdev_args<'a>(
        bdev: *mut bindings::block_device,
    ) -> (QueueDataBorrowed<'a, T>, &'a BlockDevice) {
        // SAFETY: by the safety requirements.
        unsafe {
            let disk = (*bdev).bd_disk;
            (
                T::QueueData::borrow((*disk).private_data),
                BlockDevice::from_raw(bdev),
            )
        }
    }

    /// # Safety
    ///
    /// Called by `blkdev_ioctl` for an open `bdev` of a disk built by
    /// `GenDiskBuilder::build::<T>`.
    unsafe extern "C" fn ioctl_callback(
        bdev: *mut bindings::block_device,
        mode: bindings::blk_mode_t,
        cmd: kernel::ffi::c_uint,
        arg: kernel::ffi::c_ulong,
    ) -> kernel::ffi::c_int {
        // SAFETY: by the safety requirements of this function.
        let (data, bdev) = unsafe { Self::bdev_args(bdev) };
        from_result(|| T::ioctl(data, bdev, mode, cmd, arg))
    }

    /// # Safety
    ///
    /// As for `ioctl_callback`.
    unsafe extern "C" fn compat_ioctl_callback(
        bdev: *mut bindings::block_device,
        mode: bindings::blk_mode_t,
        cmd: kernel::ffi::c_uint,
        arg: kernel::ffi::c_ulong,
    ) -> kernel::ffi::c_int {
        // SAFETY: by the safety requirements of this function.
        let (data, bdev) = unsafe { Self::bdev_args(bdev) };
        from_result(|| T::compat_ioctl(data, bdev, mode, cmd, arg))
    }

    const BLOCK_OPS: bindings::block_device_operations = bindings::block_device_operations {
        submit_bio: None,
        poll_bio: None,
        open: if T::HAS_OPEN {
            Some(Self::open_callback)
        } else {
            None
        },
        release: if T::HAS_RELEASE {
            Some(Self::release_callback)
        } else {
            None
        },
        ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl_callback)
        } else {
            None
        },
        compat_ioctl: if T::HAS_COMPAT_IOCTL {
            Some(Self::compat_ioctl_callback)
        } else {
            None
        },
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
        // `GenDiskBuilder::build` stores a `T::QueueData` as private data.
        free_disk: Some(super::free_disk_callback::<T::QueueData>),
    };

    /// The `block_device_operations` table of `T`, owned by this module.
    pub(crate) const fn block_ops() -> &'static bindings::block_device_operations {
        &Self::BLOCK_OPS
    }
}

/// The queue data of the disk that `file` (an open block device) belongs to,
/// if that disk is one of `T`'s (its `fops` are `T`'s table): how a loop
/// driver walks a chain of its own devices (loop_validate_file()).
pub(crate) fn queue_data_of_file<T: Operations>(
    file: &crate::kernel_ext::fs::File,
) -> Option<QueueDataBorrowed<'_, T>> {
    let disk = file.block_disk()?;
    // SAFETY: `disk` is the disk of the block device `file` holds open, so
    // it is valid for as long as `file` is; its `fops` are set before it is
    // added and never change.
    let ours = unsafe { core::ptr::eq((*disk).fops, OperationsVTable::<T>::block_ops()) };
    if !ours {
        return None;
    }
    // SAFETY: a disk with `T`'s table was built by `GenDiskBuilder::build::<T>`,
    // so its `private_data` is `T::QueueData`, released only in `free_disk`,
    // which cannot run while `file` holds the device open.
    Some(unsafe { T::QueueData::borrow((*disk).private_data) })
}
