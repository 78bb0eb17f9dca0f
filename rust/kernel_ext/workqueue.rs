// SPDX-License-Identifier: GPL-2.0

//! Workqueues we create and own.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)
//!
//! 6.12's `kernel::workqueue` can only use existing queues.  [`OwnedQueue`]
//! mirrors the proposed upstream `OwnedQueue` ("rust: workqueue: add
//! creation of workqueues"): `alloc_workqueue` on creation,
//! `destroy_workqueue` on drop, `Deref` to `Queue`.  [`LazyQueue`] is the
//! seed-000 pattern: created on first use under a dedicated mutex,
//! published with a release store, read with an acquire load, never
//! destroyed before its owner is dropped.

use super::module::ModulePinned;
use core::{
    ops::Deref,
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{
    bindings, c_str, prelude::*, static_lock_class, str::CString, sync::Mutex, workqueue::Queue,
};

/// `WQ_UNBOUND | WQ_FREEZABLE`: loop.c's per-device queue.
pub(crate) const WQ_UNBOUND_FREEZABLE: u32 =
    bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags_WQ_FREEZABLE;
/// `WQ_MEM_RECLAIM`: a queue on the writeback path (it has a rescuer).
pub(crate) const WQ_MEM_RECLAIM: u32 = bindings::wq_flags_WQ_MEM_RECLAIM;

/// A workqueue we allocated.
///
/// # Invariants
///
/// `ptr` came from `alloc_workqueue` and is destroyed only in `drop`.
pub(crate) struct OwnedQueue {
    ptr: NonNull<bindings::workqueue_struct>,
}

// SAFETY: workqueues may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: `&OwnedQueue` only queues work, which is thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates a queue named `name` with `WQ_*` `flags` and the default
    /// `max_active`.
    pub(crate) fn new(name: core::fmt::Arguments<'_>, flags: u32) -> Result<Self> {
        let name = CString::try_from_fmt(name)?;
        // SAFETY: "%s" with one NUL-terminated string argument matches the
        // variadic arguments; `alloc_workqueue` copies the name.
        let ptr = unsafe {
            bindings::alloc_workqueue(c_str!("%s").as_char_ptr(), flags, 0, name.as_char_ptr())
        };
        // INVARIANT: a non-null result is a new queue we own.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }
}

impl Deref for OwnedQueue {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        // SAFETY: `ptr` is a valid workqueue until `drop` (type invariant).
        unsafe { Queue::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `alloc_workqueue` and is destroyed once;
        // `destroy_workqueue` drains pending work first.
        unsafe { bindings::destroy_workqueue(self.ptr.as_ptr()) };
    }
}

/// A workqueue created on first use and destroyed with its owner.
///
/// Readers take an acquire-load fast path with no lock; the first creator
/// takes `init` (a leaf mutex: nothing that waits for I/O runs under it),
/// re-checks, allocates and publishes with a release store.  There is
/// exactly one allocation per `LazyQueue`, and no destruction before drop.
///
/// # Invariants
///
/// `ptr` is null or an `OwnedQueue` leaked by `get_or_create`, owned by this
/// value.
#[pin_data(PinnedDrop)]
pub(crate) struct LazyQueue {
    ptr: AtomicPtr<bindings::workqueue_struct>,
    #[pin]
    init: Mutex<()>,
}

/// Which lazily created queue a [`LazyQueue`] holds: each kind has its own
/// lockdep class for its init mutex, so lockdep tells them apart.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LazyQueueKind {
    /// A device's worker queue (`rloop:wq_init`).
    Worker,
    /// A device's direct I/O completion queue (`rloop:dio_wq_init`).
    DioCompletion,
}

impl LazyQueue {
    /// An empty cell.
    pub(crate) fn new(kind: LazyQueueKind) -> impl PinInit<Self> {
        let init = match kind {
            LazyQueueKind::Worker => Mutex::new((), c_str!("rloop:wq_init"), static_lock_class!()),
            LazyQueueKind::DioCompletion => {
                Mutex::new((), c_str!("rloop:dio_wq_init"), static_lock_class!())
            }
        };
        pin_init!(LazyQueue {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            init <- init,
        })
    }

    /// The queue, if it was created.
    pub(crate) fn get(&self) -> Option<&Queue> {
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-null `ptr` is a live queue owned by `self` (type
        // invariant) until `self` is dropped, which outlives `&self`.
        (!ptr.is_null()).then(|| unsafe { Queue::from_raw(ptr) })
    }

    /// The queue, creating it with `create` the first time.
    pub(crate) fn get_or_create(
        &self,
        create: impl FnOnce() -> Result<OwnedQueue>,
    ) -> Result<&Queue> {
        if let Some(q) = self.get() {
            return Ok(q);
        }
        let _guard = self.init.lock();
        if let Some(q) = self.get() {
            return Ok(q);
        }
        let q = create()?;
        let ptr = q.ptr.as_ptr();
        core::mem::forget(q);
        // INVARIANT: we own the leaked queue from here on.
        self.ptr.store(ptr, Ordering::Release);
        // SAFETY: just published; lives until `self` is dropped.
        Ok(unsafe { Queue::from_raw(ptr) })
    }
}

#[pinned_drop]
impl PinnedDrop for LazyQueue {
    fn drop(self: Pin<&mut Self>) {
        let ptr = self.ptr.load(Ordering::Acquire);
        if let Some(ptr) = NonNull::new(ptr) {
            // INVARIANT: re-owned here, destroyed once by its drop.
            drop(OwnedQueue { ptr });
        }
    }
}

/// A workqueue owned by the module and reachable from any of its code while
/// it exists (a `static`): for work that must not run on the queue of the
/// object it may free (a device's last reference dropped on the device's
/// own queue would destroy that queue from inside it).
///
/// # Invariants
///
/// `ptr` is null, [`CREATING`] while [`GlobalQueue::create`] allocates, or
/// a queue created by `create` and not yet destroyed by its
/// [`GlobalQueueGuard`].
pub(crate) struct GlobalQueue {
    ptr: AtomicPtr<bindings::workqueue_struct>,
}

/// The slot is reserved by a `create` in progress (never dereferenced).
const CREATING: *mut bindings::workqueue_struct = 1 as *mut _;

impl GlobalQueue {
    /// An empty slot, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Creates the queue; dropping the guard drains and destroys it.
    /// `EBUSY` if it exists or is being created: the slot is reserved
    /// before anything is allocated, so there is never a loser to destroy
    /// (seed 000).
    pub(crate) fn create(
        &'static self,
        name: core::fmt::Arguments<'_>,
        flags: u32,
    ) -> Result<GlobalQueueGuard> {
        self.ptr
            .compare_exchange(
                core::ptr::null_mut(),
                CREATING,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .map_err(|_| EBUSY)?;
        let q = match OwnedQueue::new(name, flags) {
            Ok(q) => q,
            Err(e) => {
                self.ptr.store(core::ptr::null_mut(), Ordering::Release);
                return Err(e);
            }
        };
        let ptr = q.ptr.as_ptr();
        core::mem::forget(q);
        // INVARIANT: published; the guard destroys it.
        self.ptr.store(ptr, Ordering::Release);
        Ok(GlobalQueueGuard { slot: self })
    }

    /// The queue, for as long as the module is `pinned`: the module keeps
    /// the guard for its whole life and drops it last in its exit, which
    /// cannot run while the module is pinned.
    pub(crate) fn get<'a>(&'static self, _pinned: &'a ModulePinned) -> Option<&'a Queue> {
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-null, non-`CREATING` `ptr` is a live queue (type
        // invariant) until the guard is dropped at module exit, which cannot
        // happen while the module is pinned, i.e. for `'a`.
        (!ptr.is_null() && ptr != CREATING).then(|| unsafe { Queue::from_raw(ptr) })
    }
}

/// Destroys a [`GlobalQueue`]'s queue when dropped.
pub(crate) struct GlobalQueueGuard {
    slot: &'static GlobalQueue,
}

impl Drop for GlobalQueueGuard {
    fn drop(&mut self) {
        let ptr = self.slot.ptr.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if let Some(ptr) = NonNull::new(ptr) {
            // INVARIANT: re-owned and destroyed once (drains pending work).
            drop(OwnedQueue { ptr });
        }
    }
}
