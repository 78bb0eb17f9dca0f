// SPDX-License-Identifier: GPL-2.0

//! Request handling: backing-file I/O in the device's worker, through the
//! page cache or, in direct I/O mode, as asynchronous kiocbs over the
//! request's pages (with a NOWAIT attempt from `queue_rq` first), whose
//! short completions finish on the device's completion queue.

use crate::device::{Binding, IoSnapshot, LoopDevice, SECTOR_SHIFT};
use crate::kernel_ext::{
    block::mq::{Op, Request, RwMode},
    errno,
    fs::{File, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE},
    loop_params,
    task::{self, LocalThrottleScope, NoIoScope},
    workqueue::{OwnedQueue, WQ_MEM_RECLAIM, WQ_UNBOUND_FREEZABLE},
};
use core::sync::atomic::Ordering;
use kernel::{prelude::*, types::ARef};

/// NOWAIT attempts skipped after one that could not proceed without
/// blocking: reads that keep needing to wait (over dirty cached pages, or
/// bios the backing device must split, which 6.12 fails with `EAGAIN` when
/// NOWAIT) would otherwise pay for two submissions each.
const NOWAIT_BACKOFF: u32 = 64;

impl LoopDevice {
    /// `queue_rq` (loop_queue_rq()): fails unless bound.  File I/O happens
    /// in the device's worker (seed 002), except, with `nowait=1`, a direct
    /// I/O read tried first with `IOCB_NOWAIT`, which does not wait for the
    /// backing file's locks: if it cannot proceed it ends with `EAGAIN` and
    /// the request goes to the worker.  Writes always go to the worker:
    /// NOWAIT never paid for them in the bench (nowait=1 / nowait=0 from
    /// 0.135 to 0.957 on ext4), as allocation, cached pages and bio splits
    /// all answer `EAGAIN`.  Never while the submitter is inside
    /// `submit_bio` (issued directly from it): the backing file system may
    /// still read its metadata synchronously, and that bio would only be
    /// queued behind ours, forever (found by the integrity test: fio hung
    /// on an ext4 extent block read).
    pub(crate) fn queue_rq(&self, rq: ARef<Request<Self>>) -> Result {
        if !self.is_bound() {
            return Err(EIO);
        }
        let wq = self.wq.get().ok_or(EIO)?;
        if self.nowait && rq.op() == Op::Read && !task::in_bio_submission() && self.nowait_ready() {
            if let Some(io) = self.io_snapshot() {
                if io.dio && io.binding.file.can_nowait() && self.dio_wq.get().is_some() {
                    if let Ok(pos) = Self::position(&rq, io.offset) {
                        let _noio = NoIoScope::enter();
                        let mode = RwMode {
                            direct: true,
                            nowait: true,
                        };
                        Request::submit_aio(rq, &io.binding.file, pos, mode);
                        return Ok(());
                    }
                }
            }
        }
        self.drain.push(rq, wq);
        Ok(())
    }

    /// Whether to try NOWAIT now, counting down the skips after a failure.
    fn nowait_ready(&self) -> bool {
        self.nowait_skip
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_err()
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

    /// The request's work item, in the device's worker or, for the rest of
    /// a short direct transfer, in the completion queue.  Ending the
    /// request (or handing it to an asynchronous transfer) is the last
    /// thing it does (seed 001): its memory is the request's.
    pub(crate) fn handle(&self, rq: ARef<Request<Self>>) {
        let Some(io) = self.io_snapshot() else {
            let _ = Request::complete(rq, Err(EIO));
            return;
        };
        let _noio = NoIoScope::enter();
        let _throttle = LocalThrottleScope::enter();
        if let Some(done) = rq.take_result() {
            let status = self.finish_short(&rq, &io, done);
            let _ = Request::complete(rq, status);
            return;
        }
        if io.dio && matches!(rq.op(), Op::Read | Op::Write) {
            if io.binding.read_only && rq.op() == Op::Write {
                let _ = Request::complete(rq, Err(EIO));
                return;
            }
            let pos = match Self::position(&rq, io.offset) {
                Ok(pos) => pos,
                Err(e) => {
                    let _ = Request::complete(rq, Err(e));
                    return;
                }
            };
            if self.dio_completion_queue() {
                let mode = RwMode {
                    direct: true,
                    nowait: false,
                };
                Request::submit_aio(rq, &io.binding.file, pos, mode);
                return;
            }
            // No completion queue: the same direct I/O, synchronously.
        }
        let status = self.do_request(&rq, &io);
        let _ = Request::complete(rq, status);
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
    /// in whatever context the backing file completes it.
    pub(crate) fn aio_complete(&self, rq: ARef<Request<Self>>, ret: isize, nowait: bool) {
        let bytes = rq.bytes() as isize;
        if ret == bytes {
            let _ = Request::complete(rq, Ok(()));
        } else if nowait && ret == EAGAIN.to_errno() as isize {
            // Could not proceed without blocking: back off for a while and
            // let the worker do it.
            self.nowait_skip.store(NOWAIT_BACKOFF, Ordering::Relaxed);
            match self.wq.get() {
                Some(wq) => self.drain.push(rq, wq),
                None => {
                    let _ = Request::complete(rq, Err(EIO));
                }
            }
        } else if ret < 0 {
            let _ = Request::complete(rq, Err(Error::from_errno(ret as i32)));
        } else {
            // Short: finish in process context.
            rq.stash_result(ret);
            match self.dio_wq.get() {
                Some(wq) => Request::queue_work(rq, wq),
                None => {
                    let _ = Request::complete(rq, Err(EIO));
                }
            }
        }
    }

    /// The rest of a transfer that stopped short after `done` bytes, through
    /// the page cache (it may be unaligned).  A read that finds the end of
    /// the file zero-fills and fails, as loop.c's lo_complete_rq().
    fn finish_short(&self, rq: &Request<Self>, io: &IoSnapshot, done: isize) -> Result {
        let done = usize::try_from(done).map_err(|_| EIO)?;
        let start = Self::position(rq, io.offset)?;
        Self::transfer_from(rq, &io.binding.file, start, done, false)
    }

    /// Handles one request synchronously in the device's worker: file I/O
    /// with no driver lock held and NOIO allocations; reads and writes
    /// through the page cache, or direct when the device is in direct I/O
    /// mode but has no completion queue.
    fn do_request(&self, rq: &Request<Self>, io: &IoSnapshot) -> Result {
        let b = &io.binding;
        match rq.op() {
            Op::Read | Op::Write => {
                if b.read_only && rq.op() == Op::Write {
                    return Err(EIO);
                }
                let pos = Self::position(rq, io.offset)?;
                // Beyond the end of the backing file (truncated underneath
                // us) a read gets zeroes and EIO, as in loop.c.
                Self::transfer_from(rq, &b.file, pos, 0, io.dio)
            }
            Op::Flush => b.file.fsync(),
            Op::Discard => {
                self.fallocate(rq, b, Self::position(rq, io.offset)?, FALLOC_FL_PUNCH_HOLE)
            }
            // Punch unless the caller wants the blocks kept allocated.
            Op::WriteZeroes => {
                let mode = if rq.nounmap() {
                    FALLOC_FL_ZERO_RANGE
                } else {
                    FALLOC_FL_PUNCH_HOLE
                };
                self.fallocate(rq, b, Self::position(rq, io.offset)?, mode)
            }
            Op::Other(_) => Err(EIO),
        }
    }

    /// Transfers the request's data from byte `done` on, synchronously,
    /// until all of it is done; `direct` applies to the first pass only (a
    /// short direct read ends unaligned, at the end of the file).  A read
    /// that finds the end of the file zero-fills and fails, as loop.c.
    fn transfer_from(
        rq: &Request<Self>,
        file: &File,
        start: i64,
        mut done: usize,
        direct: bool,
    ) -> Result {
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
                    rq.zero_fill();
                }
                return Err(EIO);
            }
            done += n;
        }
        Ok(())
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
}
