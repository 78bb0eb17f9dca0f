// SPDX-License-Identifier: GPL-2.0

//! [`RequestDrain`]: requests waiting for one worker, which handles them in
//! submission order.
//!
//! loop.c's `loop_queue_work()` and `loop_process_work()`: `queue_rq` adds
//! the request to a list and queues the worker's one work item if it is not
//! already pending; the work item takes the whole list and handles the
//! requests one after the other until the list stays empty.  One work item
//! per list instead of one per request: no more than one kworker runs the
//! list's requests, and a busy list costs one wakeup per batch, not per
//! request.  A driver may keep several lists (each for a share of the
//! submitting threads) on an unbound workqueue: their workers then run
//! side by side.
//!
//! The list is a lock-free stack (the `llist` pattern: push with a
//! compare-exchange, take everything with one exchange) linked through the
//! requests' PDUs, reversed when taken.  It owns each queued request, like
//! [`OwnedRequest::queue_work`].

use super::{Dispatch, Operations, OwnedRequest, Request};
use crate::kernel_ext::task;
use core::{
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};
use kernel::{
    bindings,
    prelude::*,
    sync::Arc,
    workqueue::{impl_has_work, new_work, Queue, Work, WorkItem},
};

/// A list of requests of a `TagSet<T>` and the work item that drains it.
///
/// # Invariants
///
/// `head` is null or the newest of a chain of started requests of a
/// `TagSet<T>` linked by their PDUs' `drain_next` (null-terminated); the
/// list owns each of them.
#[pin_data(PinnedDrop)]
pub(crate) struct RequestDrain<T: Operations> {
    head: AtomicPtr<bindings::request>,
    /// Requests pushed and not yet handled (in the list, or in the work
    /// item's hands): how far behind the worker is.
    queued: AtomicU32,
    #[pin]
    work: Work<RequestDrain<T>>,
    _p: PhantomData<T>,
}

impl_has_work! {
    impl{T: Operations} HasWork<Self> for RequestDrain<T> { self.work }
}

impl<T: Operations + 'static> RequestDrain<T> {
    /// An empty list.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(RequestDrain {
                head: AtomicPtr::new(ptr::null_mut()),
                queued: AtomicU32::new(0),
                work <- new_work!("rloop:RequestDrain::work"),
                _p: PhantomData,
            }),
            GFP_KERNEL,
        )
    }

    /// Adds `rq` to the list and makes sure the work item runs on `queue`
    /// after this (queues it unless it is already pending).  `T::work`
    /// then gets the request, in process context.
    ///
    /// Only from `queue_rq` (`Dispatch`): once the request is in the list,
    /// a running work item may end it, after which only `queue_rq`'s own
    /// guarantee keeps `self` and `queue` alive until this returns
    /// (`del_gendisk` quiesces the queue, waiting for every `queue_rq`,
    /// before the disk and its queue data can be freed).
    pub(crate) fn push(self: &Arc<Self>, rq: OwnedRequest<T>, queue: &Queue, _: &Dispatch) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        let ptr = rq.into_raw();
        // SAFETY: `ptr` is a started request of a `TagSet<T>` (we owned
        // it), so its PDU is a valid `RequestDataWrapper`.
        let next = unsafe { &(*Request::<T>::wrapper_ptr(ptr.cast()).as_ptr()).drain_next };
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // Only the list touches `drain_next`, and the request is not in
            // it yet.
            next.store(head, Ordering::Relaxed);
            // INVARIANT: `ptr` links to the old chain; its ownership (given
            // up above) now belongs to the list.
            match self
                .head
                .compare_exchange_weak(head, ptr, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        if head.is_null() {
            // The list was empty: no run of the work item will see this
            // request unless we queue one.  If it is already pending, that
            // run has not taken the list yet and will.
            let _ = queue.enqueue(self.clone());
        }
    }
}

impl<T: Operations> RequestDrain<T> {
    /// The requests pushed and not yet handled (a snapshot, to choose the
    /// least busy of several lists).
    pub(crate) fn queued(&self) -> u32 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Takes every request in the list, oldest first.
    fn take_all(&self) -> Taken<T> {
        let mut p = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        // Reverse the chain: it was pushed newest first.
        let mut rev: *mut bindings::request = ptr::null_mut();
        while !p.is_null() {
            // SAFETY: `p` is in the chain (type invariant), a valid request
            // of a `TagSet<T>`, which we now own alone.
            let next = unsafe { &(*Request::<T>::wrapper_ptr(p.cast()).as_ptr()).drain_next };
            let n = next.load(Ordering::Relaxed);
            next.store(rev, Ordering::Relaxed);
            rev = p;
            p = n;
        }
        Taken {
            next: rev,
            _p: PhantomData,
        }
    }
}

impl<T: Operations + 'static> WorkItem for RequestDrain<T> {
    type Pointer = Arc<RequestDrain<T>>;

    /// Handles every request until the list is empty, yielding between
    /// requests (loop_process_work()'s `cond_resched()`).  The requests hold
    /// their queue (and its queue data) alive; this work item holds only
    /// the list, so it may run after the driver dropped its own reference,
    /// and it uses nothing of the driver's after a handler returned.
    fn run(this: Arc<Self>) {
        loop {
            let mut taken = this.take_all().peekable();
            if taken.peek().is_none() {
                return;
            }
            while let Some(rq) = taken.next() {
                // Nothing after it in this batch nor pushed since: once it
                // is handled the worker goes idle, so the request's end
                // may run here rather than wake ksoftirqd for it.
                let last = taken.peek().is_none() && this.head.load(Ordering::Relaxed).is_null();
                OwnedRequest::run_work(rq, last);
                this.queued.fetch_sub(1, Ordering::Relaxed);
                task::cond_resched();
            }
        }
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for RequestDrain<T> {
    fn drop(self: Pin<&mut Self>) {
        // Nothing can be queued while the driver holds the list and no
        // request is in flight; should one be, dropping it ends it.
        drop(self.take_all());
    }
}

/// Requests taken from a [`RequestDrain`], oldest first.
///
/// # Invariants
///
/// `next` is null or a chain of started requests of a `TagSet<T>` linked
/// by `drain_next`, each owned by this value.
struct Taken<T: Operations> {
    next: *mut bindings::request,
    _p: PhantomData<T>,
}

impl<T: Operations> Iterator for Taken<T> {
    type Item = OwnedRequest<T>;

    fn next(&mut self) -> Option<OwnedRequest<T>> {
        if self.next.is_null() {
            return None;
        }
        let p = self.next;
        // SAFETY: `p` is in our chain (type invariant).
        let next = unsafe { &(*Request::<T>::wrapper_ptr(p.cast()).as_ptr()).drain_next };
        self.next = next.swap(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: the chain owns `p`, handed over here.
        Some(unsafe { OwnedRequest::from_raw(p) })
    }
}

impl<T: Operations> Drop for Taken<T> {
    /// Requests not handled are ended with an I/O error (dropping them).
    fn drop(&mut self) {
        self.by_ref().for_each(drop);
    }
}

// SAFETY: the list only holds requests (which may move between threads,
// see `Request`) through atomics; the work item is a `work_struct`.
unsafe impl<T: Operations> Send for RequestDrain<T> {}
// SAFETY: every shared operation on the list is atomic.
unsafe impl<T: Operations> Sync for RequestDrain<T> {}
