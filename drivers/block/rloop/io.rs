// SPDX-License-Identifier: GPL-2.0

//! Request handling: backing-file I/O in the device's workers, through the
//! page cache or, in direct I/O mode, as asynchronous kiocbs over the
//! request's pages, whose short completions finish on the device's
//! completion queue.
//!
//! Every handler gets its request as a [`Job`] and the device's snapshot
//! only attached to it ([`LoopDevice::start`]): ending the request (or
//! handing it to a transfer or a queue) drops the snapshot first, so a
//! handler never holds the backing file past its request's end, and uses
//! the device only through the job, which the borrow checker stops at the
//! end.

// `debug_delay`: after the handler released what it held, before the
// request ends, to widen the window in which the last close,
// `LOOP_CTL_REMOVE` and `rmmod` race the end (tests).
use crate::device::{debug_delay, IoJob, LoopDevice, SECTOR_SHIFT};
use crate::kernel_ext::{
    block::mq::{Dispatch, Job, Op, OwnedRequest, Request, RwMode},
    errno,
    fs::{File, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE},
    loop_params,
    task::{LocalThrottleScope, NoIoScope},
    workqueue::{OwnedQueue, WQ_MEM_RECLAIM, WQ_UNBOUND_FREEZABLE},
};
use kernel::prelude::*;

/// Why a request did not complete in full.
enum Failure {
    /// It failed with this error.
    Error(Error),
    /// A read found the end of the backing file after this many bytes:
    /// they complete, the rest is zeroed and fails (lo_complete_rq()).
    ShortRead(u32),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl LoopDevice {
    /// `queue_rq` (loop_queue_rq()): fails unless bound; file I/O happens
    /// in one of the device's workers (seed 002), the submitting thread's,
    /// never in the submitter's context.
    pub(crate) fn queue_rq(&self, rq: OwnedRequest<Self>, dispatch: &Dispatch) {
        if !self.is_bound() {
            rq.end(Err(EIO));
            return;
        }
        match (self.wq.get(), self.drain(&rq)) {
            (Some(wq), Some(drain)) => drain.push(rq, wq, dispatch),
            _ => rq.end(Err(EIO)),
        }
    }

    /// The byte position in the backing file of a read or write (a flush
    /// has no sector).
    fn position(rq: &Request<Self>, offset: u64) -> Result<i64> {
        rq.sector()
            .checked_mul(1 << SECTOR_SHIFT)
            .and_then(|p| p.checked_add(offset))
            .and_then(|p| i64::try_from(p).ok())
            .ok_or(EIO)
    }

    /// Ends the request of `job` with `status` after its snapshot is
    /// released (and the debug delay, in process context).
    fn finish(job: IoJob<'_>, status: Result) {
        let job = job.hold(());
        debug_delay();
        job.complete(status);
    }

    /// The request's work item, in one of the device's workers or, for the
    /// rest of a short direct transfer, in the completion queue.
    pub(crate) fn handle(job: Job<'_, Self>) {
        let Some(job) = Self::start(job) else {
            return;
        };
        let _noio = NoIoScope::enter();
        let _throttle = LocalThrottleScope::enter();
        if let Some(done) = job.request().take_result() {
            let status = Self::finish_short(&job, done);
            return Self::finish_status(job, status);
        }
        let io = job.held();
        if io.dio && matches!(job.request().op(), Op::Read | Op::Write) {
            if io.binding.read_only && job.request().op() == Op::Write {
                return Self::finish(job, Err(EIO));
            }
            let pos = match Self::position(job.request(), io.offset) {
                Ok(pos) => pos,
                Err(e) => return Self::finish(job, Err(e)),
            };
            if job.data().dio_completion_queue() {
                let file = io.binding.file.clone();
                let job = job.hold(());
                debug_delay();
                job.submit_aio(file, pos, RwMode { direct: true });
                return;
            }
            // No completion queue: the same direct I/O, synchronously.
        }
        let status = Self::do_request(&job);
        Self::finish_status(job, status);
    }

    /// Ends `job` with the outcome of its transfer.
    fn finish_status(job: IoJob<'_>, status: Result<(), Failure>) {
        match status {
            Ok(()) => Self::finish(job, Ok(())),
            Err(Failure::Error(e)) => Self::finish(job, Err(e)),
            Err(Failure::ShortRead(good)) => {
                let job = job.hold(());
                debug_delay();
                job.complete_short_read(good);
            }
        }
    }

    /// The direct I/O completion queue, created by the first direct I/O of
    /// the device (lazily, under its own mutex, published with a release
    /// store): `WQ_MEM_RECLAIM`, since it is on the writeback path.  False
    /// if it cannot be created; the I/O then runs synchronously.
    fn dio_completion_queue(&self) -> bool {
        let number = self.number;
        self.dio_wq
            .get_or_create(|| {
                if loop_params::fail_dio_wq() {
                    return Err(ENOMEM);
                }
                OwnedQueue::new(
                    format_args!("loop{}-dio", number),
                    WQ_UNBOUND_FREEZABLE | WQ_MEM_RECLAIM,
                )
            })
            .is_ok()
    }

    /// The end of an asynchronous direct transfer (lo_rw_aio_complete()),
    /// in whatever context the backing file completes it.  A short one
    /// finishes in process context, on the completion queue.
    pub(crate) fn aio_complete(job: Job<'_, Self>, ret: isize) {
        let bytes = job.request().bytes() as isize;
        if ret == bytes {
            job.complete(Ok(()));
        } else if ret < 0 {
            job.complete(Err(Error::from_errno(ret as i32)));
        } else {
            job.request().stash_result(ret);
            job.queue_work(|dev| dev.dio_wq.get());
        }
    }

    /// The rest of a transfer that stopped short after `done` bytes, through
    /// the page cache (it may be unaligned).
    fn finish_short(job: &IoJob<'_>, done: isize) -> Result<(), Failure> {
        let done = usize::try_from(done).map_err(|_| EIO)?;
        let io = job.held();
        let rq = job.request();
        let start = Self::position(rq, io.offset)?;
        Self::transfer_from(rq, &io.binding.file, start, done, false)
    }

    /// Handles one request synchronously in a worker of the device: file
    /// I/O with no driver lock held and NOIO allocations; reads and writes
    /// through the page cache, or direct when the device is in direct I/O
    /// mode but has no completion queue.
    fn do_request(job: &IoJob<'_>) -> Result<(), Failure> {
        let io = job.held();
        let b = &io.binding;
        let rq = job.request();
        match rq.op() {
            Op::Read | Op::Write => {
                if b.read_only && rq.op() == Op::Write {
                    return Err(EIO.into());
                }
                let pos = Self::position(rq, io.offset)?;
                Self::transfer_from(rq, &b.file, pos, 0, io.dio)
            }
            // lo_req_flush() makes every error but EINVAL EIO, and
            // loop_handle_cmd() makes EINVAL EIO too.
            Op::Flush => Ok(b.file.fsync().map_err(|_| EIO)?),
            Op::Discard => {
                let pos = Self::position(rq, io.offset)?;
                Ok(Self::fallocate(job, pos, FALLOC_FL_PUNCH_HOLE)?)
            }
            // Punch unless the caller wants the blocks kept allocated.
            Op::WriteZeroes => {
                let mode = if rq.nounmap() {
                    FALLOC_FL_ZERO_RANGE
                } else {
                    FALLOC_FL_PUNCH_HOLE
                };
                let pos = Self::position(rq, io.offset)?;
                Ok(Self::fallocate(job, pos, mode)?)
            }
            Op::Other(_) => Err(EIO.into()),
        }
    }

    /// Transfers the request's data from byte `done` on, synchronously,
    /// until all of it is done; `direct` applies to the first pass only (a
    /// short direct read ends unaligned, at the end of the file).  A read
    /// that finds the end of the file is short (`Failure::ShortRead`); a
    /// write that makes no progress fails.
    fn transfer_from(
        rq: &Request<Self>,
        file: &File,
        start: i64,
        mut done: usize,
        direct: bool,
    ) -> Result<(), Failure> {
        let bytes = rq.bytes() as usize;
        let mut direct = direct;
        while done < bytes {
            let pos = i64::try_from(done)
                .ok()
                .and_then(|d| start.checked_add(d))
                .ok_or(EIO)?;
            let n = rq.transfer_sync(file, pos, done, direct)?;
            direct = false;
            if n == 0 {
                if rq.op() == Op::Read {
                    return Err(Failure::ShortRead(u32::try_from(done).map_err(|_| EIO)?));
                }
                return Err(EIO.into());
            }
            done += n;
        }
        Ok(())
    }

    /// Discard and write-zeroes through `fallocate` (lo_fallocate()): if the
    /// backing file cannot do it, fail this request and stop advertising
    /// the operation.
    fn fallocate(job: &IoJob<'_>, pos: i64, mode: i32) -> Result {
        let rq = job.request();
        let disk = rq.disk();
        if disk.max_discard_sectors() == 0 {
            return Err(errno::eopnotsupp());
        }
        match job.held().binding.file.fallocate(
            mode | FALLOC_FL_KEEP_SIZE,
            pos,
            i64::from(rq.bytes()),
        ) {
            Ok(()) => Ok(()),
            Err(e) if e == errno::eopnotsupp() => {
                disk.clear_limits(
                    mode & FALLOC_FL_PUNCH_HOLE != 0,
                    mode & FALLOC_FL_ZERO_RANGE != 0,
                );
                Err(e)
            }
            // lo_fallocate() keeps EINVAL, which loop_handle_cmd() makes
            // EIO like every error but EOPNOTSUPP.
            Err(_) => Err(EIO),
        }
    }
}
