// SPDX-License-Identifier: GPL-2.0

//! [`Request`]: a `struct request` owned by the driver.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)
//!
//! Unlike 6.12's `kernel::block::mq::request` (`ARef<Request<T>>` with a
//! reference count in the PDU, where ending fails while another `ARef`
//! exists), a started request has exactly one owner, an [`OwnedRequest`]:
//! not `Clone`, so ending it cannot fail and a request cannot be lost.
//! Dropping an `OwnedRequest` without ending it ends the request with an
//! I/O error.  Handlers get it inside a [`super::Job`], which ends it last.

use super::{aio::AioState, DiskRef, Job, Operations};
use crate::kernel_ext::iov::{IovIter, IovIterDest, IovIterSource};
use core::{
    marker::PhantomData,
    mem::MaybeUninit,
    ops::Deref,
    ptr::{addr_of_mut, NonNull},
    sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering},
};
use kernel::{
    bindings, c_str, ffi, prelude::*, static_lock_class, types::Opaque, workqueue::Queue,
};

extern "C" {
    // Kernel structure pointers are declared as `void *`: some bindgen
    // types embed zero-sized members that the FFI lint rejects.
    // `rq`: `struct request *`, `iter`: `struct iov_iter *`, `alloc`:
    // `struct bio_vec **`.
    fn rloop_rq_iter(
        rq: *mut ffi::c_void,
        iter: *mut ffi::c_void,
        dir: ffi::c_uint,
        alloc: *mut *mut ffi::c_void,
        may_sleep: bool,
    ) -> ffi::c_int;
    fn rloop_rq_zero_fill(rq: *mut ffi::c_void);
    fn rloop_rq_update(rq: *mut ffi::c_void, bytes: ffi::c_uint) -> bool;
    fn rloop_rq_complete(rq: *mut ffi::c_void, here: bool);
}

/// The operation of a request (`req_op()`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Op {
    /// `REQ_OP_READ`.
    Read,
    /// `REQ_OP_WRITE`.
    Write,
    /// `REQ_OP_FLUSH`.
    Flush,
    /// `REQ_OP_DISCARD`.
    Discard,
    /// `REQ_OP_WRITE_ZEROES`.
    WriteZeroes,
    /// Anything else (zone management, driver-private...).
    Other(u32),
}

/// `REQ_OP_MASK`.
const REQ_OP_MASK: u32 = (1 << bindings::REQ_OP_BITS) - 1;

impl Op {
    /// The operation of a request's `cmd_flags` or a bio's `bi_opf`
    /// (`req_op()`, `bio_op()`).
    pub(crate) fn from_opf(opf: u32) -> Self {
        match opf & REQ_OP_MASK {
            bindings::req_op_REQ_OP_READ => Op::Read,
            bindings::req_op_REQ_OP_WRITE => Op::Write,
            bindings::req_op_REQ_OP_FLUSH => Op::Flush,
            bindings::req_op_REQ_OP_DISCARD => Op::Discard,
            bindings::req_op_REQ_OP_WRITE_ZEROES => Op::WriteZeroes,
            other => Op::Other(other),
        }
    }
}

/// A wrapper around a blk-mq `struct request`.
///
/// # Invariants
///
/// * `self.0` is a valid `struct request` created by the C portion of the
///   kernel, with a PDU of type `RequestDataWrapper` (the tag set of `T`).
/// * While an [`OwnedRequest<T>`] of it exists, the driver owns the
///   request: the block layer does not touch it until it is ended.  A
///   `&Request<T>` is only ever borrowed from one.
#[repr(transparent)]
pub(crate) struct Request<T: Operations>(Opaque<bindings::request>, PhantomData<T>);

impl<T: Operations> Request<T> {
    /// Marks the request started (`blk_mq_start_request`).
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the request (inside `queue_rq`).
    pub(crate) unsafe fn start_unchecked(this: &OwnedRequest<T>) {
        // SAFETY: the request is valid by the type invariant and the caller
        // has exclusive access, as `blk_mq_start_request` requires.
        unsafe { bindings::blk_mq_start_request(this.raw()) };
    }

    /// Pointer to the PDU of `this`.
    ///
    /// # Safety
    ///
    /// `this` points to a valid request of a `TagSet<T>`.
    pub(crate) unsafe fn wrapper_ptr(this: *mut Self) -> NonNull<RequestDataWrapper> {
        let request_ptr = this.cast::<bindings::request>();
        // SAFETY: by the safety requirements `request_ptr` is a valid request
        // whose tag set reserved `size_of::<RequestDataWrapper>()` PDU bytes.
        let wrapper_ptr =
            unsafe { bindings::blk_mq_rq_to_pdu(request_ptr).cast::<RequestDataWrapper>() };
        // SAFETY: the PDU follows the request in the same allocation, so the
        // pointer is not null.
        unsafe { NonNull::new_unchecked(wrapper_ptr) }
    }

    pub(super) fn raw(&self) -> *mut bindings::request {
        self.0.get()
    }

    /// The first sector (`blk_rq_pos()`).
    pub(crate) fn sector(&self) -> u64 {
        // SAFETY: the request is valid and owned by the driver (type
        // invariant), so its fields are stable.
        unsafe { (*self.raw()).__sector }
    }

    /// The disk of the request's queue.
    pub(crate) fn disk(&self) -> &DiskRef {
        // SAFETY: the request is in flight (type invariant), so its queue and
        // the queue's disk are alive: `del_gendisk` waits for every request
        // to end before the disk can be released.
        unsafe { DiskRef::from_raw((*(*self.raw()).q).disk) }
    }

    /// The remaining bytes (`blk_rq_bytes()`).
    pub(crate) fn bytes(&self) -> u32 {
        // SAFETY: as in `sector`.
        unsafe { (*self.raw()).__data_len }
    }

    /// Whether a write-zeroes request must not deallocate (`REQ_NOUNMAP`).
    pub(crate) fn nounmap(&self) -> bool {
        // SAFETY: as in `sector`.
        let flags = unsafe { (*self.raw()).cmd_flags };
        flags & (1 << bindings::req_flag_bits___REQ_NOUNMAP) != 0
    }

    /// The operation (`req_op()`).
    pub(crate) fn op(&self) -> Op {
        // SAFETY: as in `sector`.
        Op::from_opf(unsafe { (*self.raw()).cmd_flags })
    }

    /// Initialises `iter` over the request's pages in direction `dir`;
    /// returns the bvec array copy it uses, for a request of several bios
    /// (allocated with `GFP_NOIO`, or `GFP_NOWAIT` unless `may_sleep`; to
    /// `kfree` after the I/O), or null.
    pub(super) fn raw_iter(
        &self,
        iter: &mut MaybeUninit<bindings::iov_iter>,
        dir: u32,
        may_sleep: bool,
    ) -> Result<*mut bindings::bio_vec> {
        let mut alloc: *mut ffi::c_void = core::ptr::null_mut();
        // SAFETY: the request is valid and owned by the driver; `iter` and
        // `alloc` are valid for writes.
        kernel::error::to_result(unsafe {
            rloop_rq_iter(
                self.raw().cast(),
                iter.as_mut_ptr().cast(),
                dir,
                &mut alloc,
                may_sleep,
            )
        })?;
        Ok(alloc.cast())
    }

    fn iov<D>(&self, dir: u32, may_sleep: bool) -> Result<IovIter<'_, D>> {
        let mut raw = MaybeUninit::<bindings::iov_iter>::uninit();
        let alloc = self.raw_iter(&mut raw, dir, may_sleep)?;
        // SAFETY: `rloop_rq_iter` succeeded, so `raw` is an initialised bvec
        // iterator of direction `dir` over the request's pages (valid until
        // the request ends, which needs the `OwnedRequest` that `&self` borrows),
        // and `alloc` is null or a `kmalloc`ed array it uses; the iterator
        // borrows `self`, so it cannot outlive the request's end.
        Ok(unsafe { IovIter::from_raw(raw.assume_init(), alloc) })
    }

    /// An iterator to read into the request's pages (for `Op::Read`).
    /// A request of several bios needs a bvec array: `GFP_NOIO`, or
    /// `GFP_NOWAIT` (`ENOMEM` rather than sleep) unless `may_sleep`.
    pub(crate) fn iov_dest(&self, may_sleep: bool) -> Result<IovIterDest<'_>> {
        self.iov(bindings::ITER_DEST, may_sleep)
    }

    /// An iterator over the request's data (for `Op::Write`); `may_sleep`
    /// as for [`Self::iov_dest`].
    pub(crate) fn iov_source(&self, may_sleep: bool) -> Result<IovIterSource<'_>> {
        self.iov(bindings::ITER_SOURCE, may_sleep)
    }

    /// Zeroes the request's pages (`zero_fill_bio()` of each bio).
    pub(crate) fn zero_fill(&self) {
        // SAFETY: the request is valid and owned by the driver.
        unsafe { rloop_rq_zero_fill(self.raw().cast()) };
    }

    /// Ends the first `bytes` of the request successfully
    /// (`blk_update_request`), as loop.c does with a short read before
    /// retrying the rest; true if bytes remain.
    pub(crate) fn update(&self, bytes: u32) -> bool {
        // SAFETY: the request is valid, started and owned by the driver;
        // `blk_update_request` ends the bios it covers and advances the
        // rest, which stays ours.
        unsafe { rloop_rq_update(self.raw().cast(), bytes) }
    }

    /// The `complete` callback of every request of a `TagSet<T>`: ends the
    /// request with the status [`OwnedRequest::complete`] stored.
    ///
    /// # Safety
    ///
    /// Called by blk-mq for a request completed by `OwnedRequest::complete`,
    /// which gave up its ownership.
    pub(crate) unsafe extern "C" fn complete_callback(rq: *mut bindings::request) {
        // SAFETY: `rq` is a valid request of a `TagSet<T>` (safety
        // requirements), so its PDU is our wrapper.
        let pdu = unsafe { Self::wrapper_ptr(rq.cast::<Self>()).as_ref() };
        let status = pdu.status.load(Ordering::Relaxed);
        // SAFETY: the request was started and nobody holds it any more
        // (safety requirements).
        unsafe { bindings::blk_mq_end_request(rq, status) };
    }

    /// The work function of every request of a `TagSet<T>`.
    ///
    /// # Safety
    ///
    /// Called by the workqueue for a work item queued by
    /// `OwnedRequest::queue_work`, which gave its ownership to the item.
    pub(crate) unsafe extern "C" fn work_callback(work: *mut bindings::work_struct) {
        let offset = core::mem::offset_of!(RequestDataWrapper, work);
        // SAFETY: `work` is the `work` field of a `RequestDataWrapper`, the
        // PDU of a request (container_of).
        let pdu = unsafe { work.cast::<u8>().sub(offset) }.cast::<ffi::c_void>();
        // SAFETY: `pdu` is the PDU of a valid request.
        let rq = unsafe { bindings::blk_mq_rq_from_pdu(pdu) };
        // SAFETY: `queue_work` gave up its ownership for us.
        let rq = unsafe { OwnedRequest::<T>::from_raw(rq) };
        // One request per work item: whether the queue has more is not
        // ours to know, so the completion stays deferred.
        OwnedRequest::run_work(rq, false);
    }

    /// The PDU of this request.
    pub(crate) fn wrapper_ref(&self) -> &RequestDataWrapper {
        // SAFETY: `self` is a valid request of a `TagSet<T>` (type
        // invariant), and its PDU lives as long as the request.
        unsafe { Self::wrapper_ptr(core::ptr::from_ref(self).cast_mut()).as_ref() }
    }
}

/// The per-request data (PDU) of our tag sets.
pub(crate) struct RequestDataWrapper {
    /// The request's work item, initialised by each [`Request::queue_work`]
    /// (uninitialised before the first).
    pub(crate) work: Opaque<bindings::work_struct>,
    /// The request's kiocb and its state (see [`Request::submit_aio`]).
    pub(crate) aio: AioState,
    /// The next request in a [`super::drain::RequestDrain`] list.
    pub(super) drain_next: AtomicPtr<bindings::request>,
    /// The status [`Request::complete`] hands to the `complete` callback.
    pub(super) status: AtomicU8,
    /// The worker that last ran the request had nothing else to do: its
    /// completion may run the block softirq at once, in this thread
    /// (set by [`super::drain::RequestDrain`] before each run).
    pub(super) complete_here: AtomicBool,
}

impl RequestDataWrapper {
    /// Pointer to the asynchronous-transfer state of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn aio_ptr(this: *mut Self) -> *mut AioState {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).aio) }
    }

    /// Pointer to the completion status of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn status_ptr(this: *mut Self) -> *mut AtomicU8 {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).status) }
    }

    /// Pointer to the complete-here flag of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn complete_here_ptr(this: *mut Self) -> *mut AtomicBool {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).complete_here) }
    }

    /// Pointer to the drain-list link of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn drain_next_ptr(this: *mut Self) -> *mut AtomicPtr<bindings::request> {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).drain_next) }
    }
}

// SAFETY: `&Request` gives access to the request's fields, which are stable
// while it is owned by the driver, and to atomics in its PDU.
unsafe impl<T: Operations> Sync for Request<T> {}

/// The driver's ownership of a started request of a `TagSet<T>`.
///
/// Unique: there is no `Clone`, so ending (which consumes it) cannot fail,
/// and a request cannot be held past its end.  Dropping one ends the
/// request with an I/O error, so none is ever lost.
///
/// # Invariants
///
/// `ptr` is a started request of a `TagSet<T>` that nobody but this value
/// owns until it is ended or handed over with [`OwnedRequest::into_raw`].
pub(crate) struct OwnedRequest<T: Operations> {
    ptr: NonNull<Request<T>>,
}

// SAFETY: a started request may be ended or handled from any thread
// (blk-mq completes requests from any context).
unsafe impl<T: Operations> Send for OwnedRequest<T> {}
// SAFETY: `&OwnedRequest` only gives `&Request`, which is `Sync`.
unsafe impl<T: Operations> Sync for OwnedRequest<T> {}

impl<T: Operations> Deref for OwnedRequest<T> {
    type Target = Request<T>;

    fn deref(&self) -> &Request<T> {
        // SAFETY: `ptr` is a valid request we own (type invariant).
        unsafe { self.ptr.as_ref() }
    }
}

/// `Result` to `blk_status_t`.
pub(in crate::kernel_ext::block) fn blk_status(status: Result) -> bindings::blk_status_t {
    match status {
        Ok(()) => bindings::BLK_STS_OK as bindings::blk_status_t,
        // SAFETY: `errno_to_blk_status` only maps the number.
        Err(e) => unsafe { bindings::errno_to_blk_status(e.to_errno()) },
    }
}

impl<T: Operations> OwnedRequest<T> {
    /// Takes ownership of a started request.
    ///
    /// # Safety
    ///
    /// `ptr` is a started request of a `TagSet<T>` and the caller owns it
    /// (it was handed to `queue_rq`, or given up by [`Self::into_raw`]).
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::request) -> Self {
        // INVARIANT: by the safety requirements.
        Self {
            // SAFETY: `ptr` is a valid request, so not null.
            ptr: unsafe { NonNull::new_unchecked(ptr.cast()) },
        }
    }

    /// Gives up ownership; [`Self::from_raw`] takes it back.
    pub(crate) fn into_raw(self) -> *mut bindings::request {
        let ptr = self.ptr.as_ptr().cast();
        core::mem::forget(self);
        ptr
    }

    /// Ends the request with `status` in this context
    /// (`blk_mq_end_request`).
    pub(crate) fn end(self, status: Result) {
        let ptr = self.into_raw();
        // SAFETY: we owned the request (type invariant), which was started
        // in `queue_rq`; nobody uses it after this.
        unsafe { bindings::blk_mq_end_request(ptr, blk_status(status)) };
    }

    /// Completes the request with `status` as loop.c does
    /// (`blk_mq_complete_request`): blk-mq ends it (`blk_mq_end_request`,
    /// from our `complete` callback) on the CPU that submitted it, through
    /// an IPI or softirq when this CPU does not share its cache
    /// (`QUEUE_FLAG_SAME_COMP`), so that the submitter, not the driver's
    /// worker, pays for finishing the bios.
    pub(crate) fn complete(self, status: Result) {
        // Read by `complete_callback`, after `blk_mq_complete_request`
        // (which orders it: IPI, softirq or the same thread).
        let pdu = self.wrapper_ref();
        pdu.status.store(blk_status(status), Ordering::Relaxed);
        let here = pdu.complete_here.load(Ordering::Relaxed);
        let ptr = self.into_raw();
        // SAFETY: we owned the request, which was started in `queue_rq`;
        // `rloop_rq_complete` is `blk_mq_complete_request` (with bottom
        // halves disabled around it if `here`, in process context), whose
        // `complete` callback (ours) ends it; nobody uses it after this.
        unsafe { rloop_rq_complete(ptr.cast(), here) };
    }

    /// Queues the request's own work item on `queue`; `T::work` then runs
    /// with the request in process context.  The work item owns the
    /// request until then, so the request (and the work item in its PDU)
    /// cannot be ended or reused while queued.  Touches nothing after the
    /// request is published (`queue_work_on` is safe against a concurrent
    /// `destroy_workqueue` once the item is inserted: it runs under RCU with
    /// interrupts off, and workqueues are freed after a grace period).
    pub(crate) fn queue_work(self, queue: &Queue) {
        let work = self.wrapper_ref().work.get();
        // The work item owns the request from here (`work_callback`).
        let _ = self.into_raw();
        // SAFETY: `work` is not pending and its last run, if any, is past
        // the work function's use of it: the request was dispatched once,
        // and a previous work item of it had ended it before it could be
        // dispatched again; the workqueue does not touch a work item after
        // calling its function.  So it may be initialised (INIT_WORK, one
        // static lock class for all request work items; `LockClassKey` is
        // `repr(transparent)` over `lock_class_key`) here, on first use
        // rather than for every request of the tag set in `init_request`.
        unsafe {
            bindings::init_work_with_key(
                work,
                Some(Request::<T>::work_callback),
                false,
                c_str!("(work_completion)(&rq->work)").as_char_ptr(),
                core::ptr::from_ref(static_lock_class!()).cast_mut().cast(),
            )
        };
        // SAFETY: `Queue` is `repr(transparent)` over `workqueue_struct`;
        // `work` was initialised just above and is not pending, so it is
        // queued (the result is always true).  `work_callback` takes the
        // ownership we gave up.
        unsafe {
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as _,
                core::ptr::from_ref(queue).cast_mut().cast(),
                work,
            )
        };
    }

    /// Runs `T::work` for `rq`, in process context (from a work item);
    /// `last`: the worker has nothing else to do after it (see
    /// `complete_here`).
    pub(super) fn run_work(rq: Self, last: bool) {
        rq.wrapper_ref()
            .complete_here
            .store(last, Ordering::Relaxed);
        // SAFETY: the request's queue is alive while it is in flight, and its
        // `queuedata` holds `T::QueueData` (see `GenDiskBuilder::build`);
        // the borrow lives in the `Job`, which ends the request last.
        let data = unsafe {
            <T::QueueData as kernel::types::ForeignOwnable>::borrow((*(*rq.raw()).q).queuedata)
        };
        T::work(Job::new(data, rq));
    }
}

impl<T: Operations> Drop for OwnedRequest<T> {
    /// A request dropped without being ended is ended with an I/O error
    /// rather than lost (an I/O hang).
    fn drop(&mut self) {
        // SAFETY: we own the request (type invariant); nobody uses it after.
        unsafe { bindings::blk_mq_end_request(self.ptr.as_ptr().cast(), blk_status(Err(EIO))) };
    }
}
