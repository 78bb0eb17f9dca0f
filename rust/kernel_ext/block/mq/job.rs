// SPDX-License-Identifier: GPL-2.0

//! [`Job`]: a request being handled, with everything its handler holds for
//! it, released before the request ends.
//!
//! Ending a request is its handler's last act (seeds 001 and 003): once it
//! has ended, the last close's clear, `LOOP_CTL_REMOVE`, `del_gendisk` and
//! `free_disk` may all run, so anything the handler still held (a backing
//! file, a device) could be the last reference, and its drop would run
//! teardown (`fput` deferred to a kworker, `destroy_workqueue` from inside
//! the queue it destroys) from the I/O path.  A `Job` makes that a type
//! rule:
//!
//! * the queue data is borrowed from the job ([`Job::data`]), so the borrow
//!   checker rejects any use of it after the job is consumed;
//! * what the handler holds for the request is attached to the job
//!   ([`Job::hold`]) and dropped by every way of ending or handing over
//!   the request ([`Job::complete`], [`Job::queue_work`],
//!   [`Job::submit_aio`]) before the request is published;
//! * the request itself is an [`OwnedRequest`], which cannot be cloned.

use super::{aio::RwMode, Operations, OwnedRequest, QueueDataBorrowed, Request};
use crate::kernel_ext::fs::File;
use core::ops::Deref;
use kernel::{prelude::*, types::ARef, workqueue::Queue};

/// A request of a `TagSet<T>` in its handler, with the queue data `'a`
/// and what the handler holds for it (`H`).
///
/// # Invariants
///
/// `data` is the request's queue data, valid while the request is in
/// flight, i.e. while `rq` exists.
pub(crate) struct Job<'a, T: Operations, H = ()> {
    // Field order is drop order: what the handler holds goes first, the
    // request (ended with an I/O error if the handler forgot it) last.
    held: H,
    rq: OwnedRequest<T>,
    data: QueueDataBorrowed<'a, T>,
}

impl<'a, T: Operations> Job<'a, T> {
    /// A job for `rq` with its queue data.
    pub(super) fn new(data: QueueDataBorrowed<'a, T>, rq: OwnedRequest<T>) -> Self {
        Self { held: (), rq, data }
    }
}

impl<'a, T: Operations, H> Job<'a, T, H>
where
    QueueDataBorrowed<'a, T>: Deref,
{
    /// The queue data, for as long as the job is not consumed.
    pub(crate) fn data(&self) -> &<QueueDataBorrowed<'a, T> as Deref>::Target {
        &self.data
    }
}

impl<'a, T: Operations, H> Job<'a, T, H> {
    /// The request.
    pub(crate) fn request(&self) -> &Request<T> {
        &self.rq
    }

    /// What the handler holds for the request.
    pub(crate) fn held(&self) -> &H {
        &self.held
    }

    /// Attaches `held` to the job (dropping what it held before): it is
    /// released before the request ends or is handed over.
    pub(crate) fn hold<H2>(self, held: H2) -> Job<'a, T, H2> {
        let Job {
            held: old,
            rq,
            data,
        } = self;
        drop(old);
        Job { held, rq, data }
    }

    /// Releases what the job holds and gives the request back.
    fn release(self) -> (OwnedRequest<T>, QueueDataBorrowed<'a, T>) {
        let Job { held, rq, data } = self;
        drop(held);
        (rq, data)
    }

    /// Completes the request with `status` on its submitting CPU
    /// ([`OwnedRequest::complete`]), after releasing what the job holds.
    pub(crate) fn complete(self, status: Result) {
        self.release().0.complete(status)
    }

    /// Completes the first `good` bytes successfully and the rest, zeroed,
    /// with an I/O error (loop.c's lo_complete_rq() for a read that found
    /// the end of the file), after releasing what the job holds.
    pub(crate) fn complete_short_read(self, good: u32) {
        let (rq, _) = self.release();
        if good > 0 && !rq.update(good) {
            // Nothing left (cannot happen: `good` is short).
            rq.complete(Ok(()));
            return;
        }
        rq.zero_fill();
        rq.complete(Err(EIO));
    }

    /// Queues the request's work item on the queue `queue` picks from the
    /// queue data (`EIO` if there is none), after releasing what the job
    /// holds; `T::work` gets the request again in process context.
    pub(crate) fn queue_work(
        self,
        queue: impl for<'x> FnOnce(&'x QueueDataBorrowed<'a, T>) -> Option<&'x Queue>,
    ) {
        let (rq, data) = self.release();
        // The queue data lives while the request is ours, so the queue it
        // owns does until `queue_work` has published the request (after
        // which it touches nothing of ours).
        match queue(&data) {
            Some(q) => rq.queue_work(q),
            None => rq.complete(Err(EIO)),
        }
    }

    /// Starts an asynchronous transfer of the request's data at `pos` of
    /// `file` ([`OwnedRequest::submit_aio`]), after releasing what the job
    /// holds: the transfer owns the file reference it is given.
    pub(crate) fn submit_aio(self, file: ARef<File>, pos: i64, mode: RwMode) {
        self.release().0.submit_aio(file, pos, mode)
    }
}
