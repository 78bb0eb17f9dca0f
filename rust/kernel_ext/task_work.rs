// SPDX-License-Identifier: GPL-2.0

//! Deferred work: run something with no locks held, before the current
//! task returns to user space (`task_work_add(TWA_RESUME)`), or on a
//! workqueue where that is impossible.
//!
//! C header: [`include/linux/task_work.h`](srctree/include/linux/task_work.h)
//!
//! Upstream has no task_work abstraction (Binder's `deferred_close.rs` keeps
//! its own, with the SAFETY wording we follow).  [`Deferred<T>`] is embedded
//! in a `T` that lives in an `Arc`, so queueing allocates nothing; it holds
//! one `Arc<T>` while queued and gives it to [`DeferredItem::run`].
//!
//! Kernel threads never return to user space, so task_work does not run for
//! them, and `task_work_add` fails for tasks that are exiting: both go to the
//! fallback workqueue, which makes them asynchronous.

use core::{
    marker::PhantomData,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{
    bindings, c_str, ffi, prelude::*, static_lock_class, sync::Arc, types::Opaque, workqueue::Queue,
};

extern "C" {
    // Exported (GPL) from kernel/task_work.c; not in 6.12's bindings.
    // `task`: `struct task_struct *` (as `void *`: bindgen's type embeds
    // zero-sized members that the FFI lint rejects).
    fn task_work_add(
        task: *mut ffi::c_void,
        twork: *mut bindings::callback_head,
        mode: ffi::c_uint,
    ) -> ffi::c_int;
}

/// `TWA_RESUME`: run before the task returns to user space.
const TWA_RESUME: ffi::c_uint = 1;

/// What runs the deferred work.
pub(crate) trait DeferredItem: HasDeferred + Send + Sync + Sized {
    /// Runs with no locks held, in the task that queued it (task_work) or
    /// on the fallback workqueue.
    fn run(this: Arc<Self>);
}

/// A type that embeds its [`Deferred`] at a fixed offset, as
/// `kernel::workqueue::HasWork`: implement it with [`impl_has_deferred!`].
///
/// # Safety
///
/// `OFFSET` is the offset of a `Deferred<Self>` field inside `Self`.
pub(crate) unsafe trait HasDeferred: Sized {
    /// The offset of the `Deferred<Self>` field.
    const OFFSET: usize;

    /// The item embedded in `this`.
    fn deferred(this: &Self) -> &Deferred<Self>
    where
        Self: DeferredItem,
    {
        let ptr = core::ptr::from_ref(this).cast::<u8>();
        // SAFETY: by the trait's safety requirement, `OFFSET` is the offset
        // of a `Deferred<Self>` inside `*this`, which lives as long as the
        // borrow.
        unsafe { &*ptr.add(Self::OFFSET).cast::<Deferred<Self>>() }
    }
}

/// Implements [`HasDeferred`] for a type from the name of its `Deferred`
/// field: `impl_has_deferred!(LoopDevice { rundown });`.
macro_rules! impl_has_deferred {
    ($t:ty { $field:ident }) => {
        #[allow(unsafe_code)]
        // SAFETY: `offset_of!` gives the offset of the field, whose type
        // the `const` check below pins to `Deferred<$t>`.
        unsafe impl $crate::kernel_ext::task_work::HasDeferred for $t {
            const OFFSET: usize = {
                // The field must be a `Deferred<$t>`.
                let _check: fn(&$t) -> &$crate::kernel_ext::task_work::Deferred<$t> = |t| &t.$field;
                core::mem::offset_of!($t, $field)
            };
        }
    };
}
pub(crate) use impl_has_deferred;

/// How a [`Deferred`] was queued.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Queued {
    /// As task_work of the current task: done before it returns to user
    /// space.
    TaskWork,
    /// On the fallback workqueue (kernel thread or exiting task).
    Workqueue,
}

/// A task_work item and a work item, embedded in a `T` in an `Arc`.
///
/// # Invariants
///
/// `owner` is null while not queued; while queued, it is the pointer of an
/// `Arc<T>` leaked by [`Deferred::queue`] and reclaimed by the callback that
/// runs, and `twork` or `work` (not both) is pending.  `twork` is the first
/// field, so a `callback_head *` is a `Deferred *`.
#[repr(C)]
#[pin_data]
pub(crate) struct Deferred<T: DeferredItem> {
    #[pin]
    twork: Opaque<bindings::callback_head>,
    #[pin]
    work: Opaque<bindings::work_struct>,
    owner: AtomicPtr<T>,
    _p: PhantomData<T>,
}

// SAFETY: the C items are only touched by the queueing functions and the
// callbacks, serialised by `owner`.
unsafe impl<T: DeferredItem> Send for Deferred<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: DeferredItem> Sync for Deferred<T> {}

impl<T: DeferredItem> Deferred<T> {
    /// A new, idle item.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Deferred {
            // SAFETY: zeroed is a valid idle `callback_head`; `func` is set
            // when it is queued (init_task_work()).
            twork <- Opaque::ffi_init(|p: *mut bindings::callback_head| unsafe {
                p.write(bindings::callback_head::default())
            }),
            // SAFETY: `p` is valid for writes; INIT_WORK with our callback
            // and one static lock class.
            work <- Opaque::ffi_init(|p| unsafe {
                bindings::init_work_with_key(
                    p,
                    Some(Self::work_callback),
                    false,
                    c_str!("(work_completion)(&deferred->work)").as_char_ptr(),
                    core::ptr::from_ref(static_lock_class!()).cast_mut().cast(),
                )
            }),
            owner: AtomicPtr::new(core::ptr::null_mut()),
            _p: PhantomData,
        })
    }

    /// Queues `T::run(this)` to run before the current task returns to user
    /// space, or on `fallback` for kernel threads and exiting tasks (and
    /// always when `force_fallback`, a debug knob), with the item embedded
    /// in `this` ([`HasDeferred`]).  `EBUSY` (and `this` back) if the item
    /// is already queued.
    pub(crate) fn queue(
        this: Arc<T>,
        fallback: &Queue,
        force_fallback: bool,
    ) -> Result<Queued, (Error, Arc<T>)> {
        let item_ptr: *const Self = T::deferred(&this);
        let raw = Arc::into_raw(this).cast_mut();
        // SAFETY: the leaked `Arc` keeps `T`, and so the item, alive.
        let item = unsafe { &*item_ptr };
        if item
            .owner
            .compare_exchange(
                core::ptr::null_mut(),
                raw,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: we leaked this `Arc` just above and nobody else has it.
            return Err((EBUSY, unsafe { Arc::from_raw(raw) }));
        }
        // SAFETY: `current` is always valid in process context.
        let current = unsafe { bindings::get_current() };
        // SAFETY: `current` is valid.
        let kthread = unsafe { (*current).flags } & bindings::PF_KTHREAD != 0;
        if !kthread && !force_fallback {
            let head = item.twork.get();
            // SAFETY: `head` is ours and idle (`owner` was null); setting
            // `func` is init_task_work().  On success the task owns the
            // callback until it runs `task_work_callback`, which reclaims
            // the `Arc` stored in `owner`; the `Arc` keeps `T` (and so
            // `head`) alive until then.
            let ret = unsafe {
                (*head).func = Some(Self::task_work_callback);
                task_work_add(current.cast(), head, TWA_RESUME)
            };
            if ret == 0 {
                return Ok(Queued::TaskWork);
            }
        }
        // SAFETY: `work` was initialised in `new` and is idle (`owner` was
        // null); `Queue` is `repr(transparent)` over `workqueue_struct`; the
        // callback reclaims the `Arc` in `owner`.
        unsafe {
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as _,
                core::ptr::from_ref(fallback).cast_mut().cast(),
                item.work.get(),
            )
        };
        Ok(Queued::Workqueue)
    }

    /// Takes back the `Arc` of a queued item and runs it.
    ///
    /// # Safety
    ///
    /// `item` points to a `Deferred<T>` whose task_work or work item is
    /// running now (so it is queued, and `owner` holds its `Arc`).
    unsafe fn run(item: *const Self) {
        // SAFETY: by the safety requirements and the type invariant.
        let raw = unsafe { (*item).owner.swap(core::ptr::null_mut(), Ordering::AcqRel) };
        // SAFETY: `raw` came from `Arc::into_raw` in `queue`.
        let this = unsafe { Arc::from_raw(raw) };
        T::run(this);
    }

    /// # Safety
    ///
    /// Called by `task_work_run` for a `callback_head` queued by `queue`.
    unsafe extern "C" fn task_work_callback(head: *mut bindings::callback_head) {
        // SAFETY: `twork` is the first field of the `repr(C)` `Deferred`;
        // it is queued (safety requirements).
        unsafe { Self::run(head.cast::<Self>()) };
    }

    /// # Safety
    ///
    /// Called by the workqueue for a work item queued by `queue`.
    unsafe extern "C" fn work_callback(work: *mut bindings::work_struct) {
        let offset = core::mem::offset_of!(Self, work);
        // SAFETY: `work` is the `work` field of a `Deferred` (container_of);
        // it is queued (safety requirements).
        unsafe { Self::run(work.cast::<u8>().sub(offset).cast::<Self>()) };
    }
}
