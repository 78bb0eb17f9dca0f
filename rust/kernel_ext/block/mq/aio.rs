// SPDX-License-Identifier: GPL-2.0

//! Transfers of a request's data to or from a file through a `struct
//! kiocb`, as loop.c's lo_rw_aio() does: over the request's own bvecs (no
//! copy, no bounce buffer), synchronously or asynchronously.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! The asynchronous kiocb lives in the request's PDU ([`AioState`]).  While
//! it is in flight the PDU owns the request; the completion hands
//! it to [`Operations::aio_complete`] exactly once, whether the file
//! completed the transfer before `read_iter`/`write_iter` returned or later,
//! from its own completion context (an interrupt, or the backing file
//! system's workqueue).  The same two-reference count as loop.c's
//! `cmd->ref` decides which of the two paths finishes.

use super::{Job, Op, Operations, OwnedRequest, Request};
use crate::kernel_ext::{
    fs::File,
    iov::{IovIterDest, IovIterSource},
};
use core::{
    mem::MaybeUninit,
    ptr::addr_of_mut,
    sync::atomic::{AtomicBool, AtomicIsize, AtomicPtr, AtomicU32, Ordering},
};
use kernel::{
    bindings, ffi,
    prelude::*,
    types::{ARef, ForeignOwnable, Opaque},
};

extern "C" {
    // `struct kiocb *`, `struct file *`, `struct iov_iter *` and `struct
    // request *` as `void *` (see request.rs).
    fn rloop_kiocb_rw(
        iocb: *mut ffi::c_void,
        file: *mut ffi::c_void,
        pos: i64,
        ioprio: u16,
        direct: bool,
        write: bool,
        complete: Option<unsafe extern "C" fn(*mut ffi::c_void, ffi::c_long)>,
        iter: *mut ffi::c_void,
        write_started: *mut bool,
    ) -> ffi::c_long;
    fn rloop_kiocb_end_write(iocb: *mut ffi::c_void);
    fn rloop_rq_ioprio(rq: *mut ffi::c_void) -> u16;
}

/// `-EIOCBQUEUED`: the kiocb completes later, through `ki_complete`.
const EIOCBQUEUED: isize = -529;
/// "No result": the PDU's result slot is empty.
const NO_RESULT: isize = isize::MIN;

/// The asynchronous-transfer part of a request's PDU (loop.c's `struct
/// loop_cmd` members `iocb`, `ref`, `ret`, `bvec`).
pub(crate) struct AioState {
    iocb: Opaque<bindings::kiocb>,
    /// References to the transfer: 2 while it is being submitted, 1 after
    /// one of submission and completion is done, 0 when it ended.
    pending: AtomicU32,
    /// The transfer's result while it is handed around; `NO_RESULT` when
    /// empty.
    ret: AtomicIsize,
    /// The bvec array copy of a request of several bios (or null), freed
    /// when the transfer ends.
    bvec: AtomicPtr<bindings::bio_vec>,
    /// The file of the transfer, whose reference the transfer holds until
    /// it ends (or null).
    file: AtomicPtr<File>,
    /// The transfer holds a write's freeze protection (`kiocb_end_write`
    /// at the end).
    write_started: AtomicBool,
}

impl AioState {
    /// Initialises the state in place (`init_request`).
    ///
    /// # Safety
    ///
    /// `this` is valid for writes and not in use.
    pub(crate) unsafe fn init(this: *mut Self) {
        // SAFETY: by the safety requirements each field is valid for
        // writes; the kiocb is written before every use.
        unsafe {
            addr_of_mut!((*this).pending).write(AtomicU32::new(0));
            addr_of_mut!((*this).ret).write(AtomicIsize::new(NO_RESULT));
            addr_of_mut!((*this).bvec).write(AtomicPtr::new(core::ptr::null_mut()));
            addr_of_mut!((*this).write_started).write(AtomicBool::new(false));
            addr_of_mut!((*this).file).write(AtomicPtr::new(core::ptr::null_mut()));
        }
    }
}

/// A request's data as an iterator in the direction of its operation.
enum DataIter<'a> {
    Read(IovIterDest<'a>),
    Write(IovIterSource<'a>),
}

impl DataIter<'_> {
    fn is_write(&self) -> bool {
        matches!(self, DataIter::Write(_))
    }

    fn as_mut_ptr(&mut self) -> *mut bindings::iov_iter {
        match self {
            DataIter::Read(i) => i.as_mut_ptr(),
            DataIter::Write(i) => i.as_mut_ptr(),
        }
    }

    fn into_raw(self) -> (bindings::iov_iter, *mut bindings::bio_vec) {
        match self {
            DataIter::Read(i) => i.into_raw(),
            DataIter::Write(i) => i.into_raw(),
        }
    }
}

/// How a transfer reaches the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RwMode {
    /// `IOCB_DIRECT` (the file's own `O_DIRECT` does not count).
    pub(crate) direct: bool,
}

impl<T: Operations> Request<T> {
    /// An iterator over the request's data from byte `skip` on: into its
    /// pages for a read, from them for a write (`EINVAL` for other ops).
    fn data_iter(&self, skip: usize) -> Result<DataIter<'_>> {
        let mut iter = match self.op() {
            Op::Read => DataIter::Read(self.iov_dest(true)?),
            Op::Write => DataIter::Write(self.iov_source(true)?),
            _ => return Err(EINVAL),
        };
        if skip > 0 {
            match &mut iter {
                DataIter::Read(i) => i.advance(skip),
                DataIter::Write(i) => i.advance(skip),
            }
        }
        Ok(iter)
    }

    /// Transfers the request's data from byte `skip` on at `pos` of `file`,
    /// synchronously (direct I/O or through the page cache, whatever the
    /// file's own `O_DIRECT`): returns the bytes transferred, short at the
    /// end of the file, or the error.  Reads and writes only (`EINVAL`).
    pub(crate) fn transfer_sync(
        &self,
        file: &File,
        pos: i64,
        skip: usize,
        direct: bool,
    ) -> Result<usize> {
        let mut iter = self.data_iter(skip)?;
        let write = iter.is_write();
        let mut iocb = MaybeUninit::<bindings::kiocb>::uninit();
        let mut started = false;
        // SAFETY: `iocb` and `started` are valid for writes and initialised
        // by the shim; the file is open; `iter` is a valid iterator over the
        // request's pages, which stay valid while `&self` pins the request;
        // without `complete` the call is synchronous, so nothing uses
        // `iocb` or `iter` after it returns.
        let ret = unsafe {
            rloop_kiocb_rw(
                iocb.as_mut_ptr().cast(),
                file.as_raw().cast(),
                pos,
                rloop_rq_ioprio(self.raw().cast()),
                direct,
                write,
                None,
                iter.as_mut_ptr().cast(),
                &mut started,
            )
        };
        if started {
            // SAFETY: the shim did `kiocb_start_write` on `iocb`; this is
            // the matching end.
            unsafe { rloop_kiocb_end_write(iocb.as_mut_ptr().cast()) };
        }
        if ret < 0 {
            return Err(Error::from_errno(ret as i32));
        }
        Ok(ret as usize)
    }

    /// `ki_complete` of our kiocbs (lo_rw_aio_complete()).
    ///
    /// # Safety
    ///
    /// `iocb` is the kiocb in the PDU of a request of a `TagSet<T>` whose
    /// transfer `submit_aio` queued.
    unsafe extern "C" fn aio_complete_callback(iocb: *mut ffi::c_void, ret: ffi::c_long) {
        let offset = core::mem::offset_of!(super::request::RequestDataWrapper, aio)
            + core::mem::offset_of!(AioState, iocb);
        // SAFETY: `iocb` is the `aio.iocb` field of a PDU (container_of).
        let pdu = unsafe { iocb.cast::<u8>().sub(offset) }.cast::<ffi::c_void>();
        // SAFETY: `pdu` is the PDU of a valid request.
        let rq = unsafe { bindings::blk_mq_rq_from_pdu(pdu) }.cast::<Self>();
        // SAFETY: as above; the request stays valid while `pending` > 0.
        let aio = unsafe { &(*Self::wrapper_ptr(rq).as_ptr()).aio };
        aio.ret.store(ret, Ordering::Relaxed);
        Self::aio_put(rq);
    }

    /// Drops one reference to the transfer of `rq`; the last one ends it
    /// (lo_rw_aio_do_completion()) and hands the request to
    /// `T::aio_complete`, with the result slot empty.
    fn aio_put(rq: *mut Self) {
        // SAFETY: the PDU owns the request while `pending` > 0.
        let aio = unsafe { &(*Self::wrapper_ptr(rq).as_ptr()).aio };
        if aio.pending.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let bvec = aio.bvec.swap(core::ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: `bvec` is null or the copy the finished transfer used.
        unsafe { bindings::kfree(bvec.cast()) };
        if aio.write_started.swap(false, Ordering::Relaxed) {
            // SAFETY: the shim took this write's freeze protection for the
            // kiocb (`write_started`); this is the matching end.
            unsafe { rloop_kiocb_end_write(aio.iocb.get().cast()) };
        }
        let file = aio.file.swap(core::ptr::null_mut(), Ordering::Relaxed);
        if let Some(file) = core::ptr::NonNull::new(file) {
            // SAFETY: `submit_aio` leaked this reference for the transfer,
            // which has ended; `fput` may run in any context.
            drop(unsafe { ARef::from_raw(file) });
        }
        let ret = aio.ret.swap(NO_RESULT, Ordering::Relaxed);
        // SAFETY: the last reference to the transfer owns the request that
        // `submit_aio` gave up.
        let rq = unsafe { OwnedRequest::<T>::from_raw(rq.cast()) };
        // SAFETY: the request's queue is alive while it is in flight, and
        // its `queuedata` holds `T::QueueData` (see `GenDiskBuilder::build`);
        // the borrow lives in the `Job`, which ends the request last.
        let data = unsafe { T::QueueData::borrow((*(*rq.raw()).q).queuedata) };
        T::aio_complete(Job::new(data, rq), ret);
    }
}

impl<T: Operations> OwnedRequest<T> {
    /// Starts an asynchronous transfer of the request's data at `pos` of
    /// `file` (lo_rw_aio() with `use_aio`); the transfer owns the file
    /// reference until it ends.  [`Operations::aio_complete`] gets the
    /// request back exactly once with the result (bytes, or a negative
    /// errno): from inside this call if the file finished (or failed) at
    /// once, otherwise later from the file's completion context, which may
    /// be an interrupt.
    pub(crate) fn submit_aio(self, file: ARef<File>, pos: i64, mode: RwMode) {
        let data = self.data_iter(0).map(|i| {
            let write = i.is_write();
            let (iter, bvec) = i.into_raw();
            (iter, bvec, write)
        });
        let (mut iter, bvec, write) = match data {
            Ok(d) => d,
            Err(e) => {
                drop(file);
                let aio = &self.wrapper_ref().aio;
                aio.ret.store(e.to_errno() as isize, Ordering::Relaxed);
                aio.pending.store(1, Ordering::Relaxed);
                Request::<T>::aio_put(self.into_raw().cast());
                return;
            }
        };
        let aio = &self.wrapper_ref().aio;
        aio.bvec.store(bvec, Ordering::Relaxed);
        aio.ret.store(NO_RESULT, Ordering::Relaxed);
        // The transfer keeps the file open until it ends (`aio_put`).
        let file = ARef::into_raw(file).as_ptr();
        aio.file.store(file, Ordering::Relaxed);
        aio.pending.store(2, Ordering::Relaxed);
        let iocb = aio.iocb.get();
        // SAFETY: the request is valid and owned by us.
        let ioprio = unsafe { rloop_rq_ioprio(self.raw().cast()) };
        let mut started = false;
        // The PDU owns the request from here until `aio_put` ends the
        // transfer.
        let rq = self.into_raw().cast::<Request<T>>();
        // SAFETY: `iocb` is in the PDU of a request we own and is not in
        // use (`pending` was 0); the file is open, and the transfer holds a
        // reference to it (`aio.file`) until `aio_put` ends it; `iter`
        // covers the request's pages, valid until the request ends, which
        // needs the ownership the PDU holds; the bvec copy is freed only by
        // `aio_put`.  `aio_complete_callback::<T>` matches `ki_complete`.
        let ret = unsafe {
            rloop_kiocb_rw(
                iocb.cast(),
                (*file).as_raw().cast(),
                pos,
                ioprio,
                mode.direct,
                write,
                Some(Request::<T>::aio_complete_callback),
                core::ptr::addr_of_mut!(iter).cast(),
                &mut started,
            )
        };
        // SAFETY: the PDU outlives the transfer, which holds a reference.
        let aio = unsafe { &(*Request::<T>::wrapper_ptr(rq).as_ptr()).aio };
        // Read by `aio_put` only after both references are dropped (the
        // AcqRel decrement orders it).
        aio.write_started.store(started, Ordering::Relaxed);
        if ret != EIOCBQUEUED {
            // The kiocb did not queue, so `ki_complete` will not run:
            // nobody else writes the result.
            aio.ret.store(ret, Ordering::Relaxed);
            Request::<T>::aio_put(rq);
        }
        Request::<T>::aio_put(rq);
    }
}

impl<T: Operations> Request<T> {
    /// Keeps `ret` (a partial transfer's result) with the request for the
    /// next handler that runs it (see [`Self::take_result`]).
    pub(crate) fn stash_result(&self, ret: isize) {
        self.wrapper_ref().aio.ret.store(ret, Ordering::Relaxed);
    }

    /// The result stashed by [`Self::stash_result`], if any, emptying the
    /// slot.  Queueing work orders the two.
    pub(crate) fn take_result(&self) -> Option<isize> {
        let ret = self
            .wrapper_ref()
            .aio
            .ret
            .swap(NO_RESULT, Ordering::Relaxed);
        (ret != NO_RESULT).then_some(ret)
    }
}
