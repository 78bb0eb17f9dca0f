// SPDX-License-Identifier: GPL-2.0

//! [`Request`]: a `struct request` owned by the driver.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)
//!
//! As in 6.12's `kernel::block::mq::request`: the driver holds requests as
//! `ARef<Request<T>>`; the PDU (`RequestDataWrapper`) counts references,
//! one for each `ARef` plus one while the request is in flight, so a
//! request can be ended only through its last `ARef`.

use super::{aio::AioState, Operations};
use crate::kernel_ext::iov::{IovIter, IovIterDest, IovIterSource};
use core::{
    marker::PhantomData,
    mem::MaybeUninit,
    ptr::{addr_of_mut, NonNull},
    sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering},
};
use kernel::{
    bindings, c_str, ffi,
    prelude::*,
    static_lock_class,
    types::{ARef, AlwaysRefCounted, Opaque},
    workqueue::Queue,
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

/// A wrapper around a blk-mq `struct request`.
///
/// # Invariants
///
/// * `self.0` is a valid `struct request` created by the C portion of the
///   kernel, with a PDU of type `RequestDataWrapper` (the tag set of `T`).
/// * While an `ARef<Request<T>>` exists, the driver owns the request: the
///   block layer does not touch it until it is ended.
#[repr(transparent)]
pub(crate) struct Request<T: Operations>(Opaque<bindings::request>, PhantomData<T>);

impl<T: Operations> Request<T> {
    /// Creates an `ARef<Request>` from a request pointer, taking over one
    /// reference.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid, started request of a `TagSet<T>`, and the caller
    /// transfers ownership of one refcount of its PDU to the new `ARef`.
    pub(crate) unsafe fn aref_from_raw(ptr: *mut bindings::request) -> ARef<Self> {
        // SAFETY: by the safety requirements, `ptr` is valid and non-null and
        // we own a refcount; `Self` is `repr(transparent)` over the request.
        unsafe { ARef::from_raw(NonNull::new_unchecked(ptr.cast::<Self>())) }
    }

    /// Marks the request started (`blk_mq_start_request`).
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the request (inside `queue_rq`).
    pub(crate) unsafe fn start_unchecked(this: &ARef<Self>) {
        // SAFETY: the request is valid by the type invariant and the caller
        // has exclusive access, as `blk_mq_start_request` requires.
        unsafe { bindings::blk_mq_start_request(this.0.get()) };
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
        let op = unsafe { (*self.raw()).cmd_flags } & REQ_OP_MASK;
        match op {
            bindings::req_op_REQ_OP_READ => Op::Read,
            bindings::req_op_REQ_OP_WRITE => Op::Write,
            bindings::req_op_REQ_OP_FLUSH => Op::Flush,
            bindings::req_op_REQ_OP_DISCARD => Op::Discard,
            bindings::req_op_REQ_OP_WRITE_ZEROES => Op::WriteZeroes,
            other => Op::Other(other),
        }
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

    fn iov<D>(&self, dir: u32, may_sleep: bool) -> Result<IovIter<D>> {
        let mut raw = MaybeUninit::<bindings::iov_iter>::uninit();
        let alloc = self.raw_iter(&mut raw, dir, may_sleep)?;
        // SAFETY: `rloop_rq_iter` succeeded, so `raw` is an initialised bvec
        // iterator of direction `dir` over the request's pages (valid until
        // the request ends, which needs the `ARef` that `&self` borrows),
        // and `alloc` is null or a `kmalloc`ed array it uses.
        Ok(unsafe { IovIter::from_raw(raw.assume_init(), alloc) })
    }

    /// An iterator to read into the request's pages (for `Op::Read`).
    /// A request of several bios needs a bvec array: `GFP_NOIO`, or
    /// `GFP_NOWAIT` (`ENOMEM` rather than sleep) unless `may_sleep`.
    pub(crate) fn iov_dest(&self, may_sleep: bool) -> Result<IovIterDest> {
        self.iov(bindings::ITER_DEST, may_sleep)
    }

    /// An iterator over the request's data (for `Op::Write`); `may_sleep`
    /// as for [`Self::iov_dest`].
    pub(crate) fn iov_source(&self, may_sleep: bool) -> Result<IovIterSource> {
        self.iov(bindings::ITER_SOURCE, may_sleep)
    }

    /// Zeroes the request's pages (`zero_fill_bio()` of each bio).
    pub(crate) fn zero_fill(&self) {
        // SAFETY: the request is valid and owned by the driver.
        unsafe { rloop_rq_zero_fill(self.raw().cast()) };
    }

    /// Ends the request with `status` (`blk_mq_end_request`).  Fails, giving
    /// the request back, if other `ARef`s to it exist.
    pub(crate) fn end(this: ARef<Self>, status: Result) -> Result<(), ARef<Self>> {
        // Only the in-flight reference and ours may remain.
        if this
            .wrapper_ref()
            .refcount()
            .compare_exchange(2, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(this);
        }
        let ptr = this.raw();
        core::mem::forget(this);
        let status = match status {
            Ok(()) => bindings::BLK_STS_OK as bindings::blk_status_t,
            // SAFETY: `errno_to_blk_status` only maps the number.
            Err(e) => unsafe { bindings::errno_to_blk_status(e.to_errno()) },
        };
        // SAFETY: we owned the last reference (checked above), so no one
        // else uses the request; it was started in `queue_rq`.
        unsafe { bindings::blk_mq_end_request(ptr, status) };
        Ok(())
    }

    /// Completes the request with `status` as loop.c does
    /// (`blk_mq_complete_request`): blk-mq ends it (`blk_mq_end_request`,
    /// from our `complete` callback) on the CPU that submitted it, through
    /// an IPI or softirq when this CPU does not share its cache
    /// (`QUEUE_FLAG_SAME_COMP`), so that the submitter, not the driver's
    /// worker, pays for finishing the bios.  Fails, giving the request
    /// back, if other `ARef`s to it exist.
    pub(crate) fn complete(this: ARef<Self>, status: Result) -> Result<(), ARef<Self>> {
        let pdu = this.wrapper_ref();
        // Only the in-flight reference and ours may remain.
        if pdu
            .refcount()
            .compare_exchange(2, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(this);
        }
        let status = match status {
            Ok(()) => bindings::BLK_STS_OK as bindings::blk_status_t,
            // SAFETY: `errno_to_blk_status` only maps the number.
            Err(e) => unsafe { bindings::errno_to_blk_status(e.to_errno()) },
        };
        // Read by `complete_callback`, after `blk_mq_complete_request`
        // (which orders it: IPI, softirq or the same thread).
        pdu.status.store(status, Ordering::Relaxed);
        let ptr = this.raw();
        core::mem::forget(this);
        // SAFETY: we owned the last reference (checked above), so no one
        // else uses the request; it was started in `queue_rq`; our
        // `complete` callback ends it.
        unsafe { bindings::blk_mq_complete_request(ptr) };
        Ok(())
    }

    /// The `complete` callback of every request of a `TagSet<T>`: ends the
    /// request with the status [`Request::complete`] stored.
    ///
    /// # Safety
    ///
    /// Called by blk-mq for a request completed by `Request::complete`,
    /// which gave up every reference to it.
    pub(crate) unsafe extern "C" fn complete_callback(rq: *mut bindings::request) {
        // SAFETY: `rq` is a valid request of a `TagSet<T>` (safety
        // requirements), so its PDU is our wrapper.
        let pdu = unsafe { Self::wrapper_ptr(rq.cast::<Self>()).as_ref() };
        let status = pdu.status.load(Ordering::Relaxed);
        // SAFETY: the request was started and nobody holds it any more
        // (safety requirements).
        unsafe { bindings::blk_mq_end_request(rq, status) };
    }

    /// Queues the request's own work item on `queue`; `T::work` then runs
    /// with the request in process context.  The queue holds the `ARef`
    /// until then, so the request (and the work item in its PDU) cannot be
    /// ended or reused while queued; ending it is the handler's last act.
    pub(crate) fn queue_work(this: ARef<Self>, queue: &Queue) {
        let pdu = this.wrapper_ref();
        let work = pdu.work.get();
        let ptr = ARef::into_raw(this);
        // SAFETY: `work` is not pending and its last run, if any, is past
        // the work function's use of it: the request was dispatched once,
        // and a previous work item of it had ended it (its handler's last
        // act) before it could be dispatched again; the workqueue does not
        // touch a work item after calling its function.  So it may be
        // initialised (INIT_WORK, one static lock class for all request
        // work items; `LockClassKey` is `repr(transparent)` over
        // `lock_class_key`) here, on first use rather than for every
        // request of the tag set in `init_request`.
        unsafe {
            bindings::init_work_with_key(
                work,
                Some(Self::work_callback),
                false,
                c_str!("(work_completion)(&rq->work)").as_char_ptr(),
                core::ptr::from_ref(static_lock_class!()).cast_mut().cast(),
            )
        };
        // SAFETY: `Queue` is `repr(transparent)` over `workqueue_struct`;
        // `work` was initialised just above and is not pending.  The `ARef`
        // we leaked is reclaimed by `work_callback`.
        let queued = unsafe {
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as _,
                core::ptr::from_ref(queue).cast_mut().cast(),
                work,
            )
        };
        if !queued {
            // Cannot happen (see above); do not leak the request.
            // SAFETY: we leaked this reference just above.
            let rq = unsafe { ARef::from_raw(ptr) };
            let _ = Self::end(rq, Err(EIO));
        }
    }

    /// The work function of every request of a `TagSet<T>`.
    ///
    /// # Safety
    ///
    /// Called by the workqueue for a work item queued by `queue_work`, which
    /// leaked one `ARef` of the request for us.
    pub(crate) unsafe extern "C" fn work_callback(work: *mut bindings::work_struct) {
        let offset = core::mem::offset_of!(RequestDataWrapper, work);
        // SAFETY: `work` is the `work` field of a `RequestDataWrapper`, the
        // PDU of a request (container_of).
        let pdu = unsafe { work.cast::<u8>().sub(offset) }.cast::<ffi::c_void>();
        // SAFETY: `pdu` is the PDU of a valid request.
        let rq = unsafe { bindings::blk_mq_rq_from_pdu(pdu) };
        // SAFETY: `queue_work` leaked one reference for us.
        let rq = unsafe { Self::aref_from_raw(rq) };
        Self::run_work(rq);
    }

    /// Runs `T::work` for `rq`, in process context (from a work item).
    pub(super) fn run_work(rq: ARef<Self>) {
        // SAFETY: the request's queue is alive while it is in flight, and its
        // `queuedata` holds `T::QueueData` (see `GenDiskBuilder::build`).
        let data = unsafe {
            <T::QueueData as kernel::types::ForeignOwnable>::borrow((*(*rq.raw()).q).queuedata)
        };
        T::work(data, rq);
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
    /// `ARef`s plus one while in flight; 0 when the request is idle.
    refcount: AtomicU64,
    /// The request's work item, initialised by each [`Request::queue_work`]
    /// (uninitialised before the first).
    pub(crate) work: Opaque<bindings::work_struct>,
    /// The request's kiocb and its state (see [`Request::submit_aio`]).
    pub(crate) aio: AioState,
    /// The next request in a [`super::drain::RequestDrain`] list.
    pub(super) drain_next: AtomicPtr<bindings::request>,
    /// The status [`Request::complete`] hands to the `complete` callback.
    pub(super) status: AtomicU8,
}

impl RequestDataWrapper {
    /// The reference count.
    pub(crate) fn refcount(&self) -> &AtomicU64 {
        &self.refcount
    }

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

    /// Pointer to the drain-list link of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn drain_next_ptr(this: *mut Self) -> *mut AtomicPtr<bindings::request> {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).drain_next) }
    }

    /// Pointer to the reference count of `this`.
    ///
    /// # Safety
    ///
    /// `this` is valid for writes (possibly uninitialised).
    pub(crate) unsafe fn refcount_ptr(this: *mut Self) -> *mut AtomicU64 {
        // SAFETY: by the safety requirements `this` is valid.
        unsafe { addr_of_mut!((*this).refcount) }
    }
}

// SAFETY: exclusive access to the request is tracked by the refcount in the
// PDU, so `Request` may move between threads (blk-mq completes requests from
// any context).
unsafe impl<T: Operations> Send for Request<T> {}

// SAFETY: `&Request` only gives access to the atomic refcount.
unsafe impl<T: Operations> Sync for Request<T> {}

// SAFETY: the refcount in the PDU keeps the request owned by the driver while
// any `ARef` exists; the block layer does not free requests it handed to the
// driver until they are ended.
unsafe impl<T: Operations> AlwaysRefCounted for Request<T> {
    fn inc_ref(&self) {
        self.wrapper_ref()
            .refcount()
            .fetch_add(1, Ordering::Relaxed);
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: by the safety requirements of `dec_ref`, `obj` is a valid
        // request we hold a reference to.
        let wrapper_ptr = unsafe { Self::wrapper_ptr(obj.as_ptr()).as_ptr() };
        // SAFETY: the PDU is valid and its refcount initialised
        // (`init_request_callback`).
        let refcount = unsafe { &*RequestDataWrapper::refcount_ptr(wrapper_ptr) };
        refcount.fetch_sub(1, Ordering::Relaxed);
    }
}
