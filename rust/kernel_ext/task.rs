// SPDX-License-Identifier: GPL-2.0

//! Scoped allocation constraints of the current task.
//!
//! C header: [`include/linux/sched/mm.h`](srctree/include/linux/sched/mm.h)

extern "C" {
    fn rloop_memalloc_noio_save() -> kernel::ffi::c_uint;
    fn rloop_memalloc_noio_restore(flags: kernel::ffi::c_uint);
    fn rloop_cond_resched();
    fn rloop_local_throttle_save() -> bool;
    fn rloop_local_throttle_restore(old: bool);
}

/// Lets other tasks run if this one should yield (`cond_resched()`):
/// between the requests of a long batch, as loop_process_work().
pub(crate) fn cond_resched() {
    // SAFETY: may sleep; callers are in process context with no spinlock.
    unsafe { rloop_cond_resched() }
}

/// While alive, allocations of the current task do no I/O
/// (`memalloc_noio_save`/`restore`): a block driver doing file I/O for a
/// request must not recurse into block I/O to reclaim memory.
pub(crate) struct NoIoScope {
    flags: kernel::ffi::c_uint,
    // Must be dropped on the task that created it.
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl NoIoScope {
    /// Enters a NOIO scope.
    pub(crate) fn enter() -> Self {
        // SAFETY: only sets a flag of the current task.
        let flags = unsafe { rloop_memalloc_noio_save() };
        Self {
            flags,
            _not_send: core::marker::PhantomData,
        }
    }
}

impl Drop for NoIoScope {
    fn drop(&mut self) {
        // SAFETY: restores what `enter` saved, on the same task (not `Send`).
        unsafe { rloop_memalloc_noio_restore(self.flags) };
    }
}

/// While alive, the current task's writes to a file are throttled by that
/// file's dirty pages only (`PF_LOCAL_THROTTLE`, as loop.c's
/// `loop_process_work` sets it): a loop worker writes pages on behalf of a
/// device whose own dirty pages it is there to clean.
pub(crate) struct LocalThrottleScope {
    was_set: bool,
    // Must be dropped on the task that created it.
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl LocalThrottleScope {
    /// Enters a local-throttle scope.
    pub(crate) fn enter() -> Self {
        // SAFETY: only sets a flag of the current task.
        let was_set = unsafe { rloop_local_throttle_save() };
        Self {
            was_set,
            _not_send: core::marker::PhantomData,
        }
    }
}

impl Drop for LocalThrottleScope {
    fn drop(&mut self) {
        // SAFETY: restores what `enter` saved, on the same task (not `Send`).
        unsafe { rloop_local_throttle_restore(self.was_set) };
    }
}

/// The current thread's id (`current->pid`), never negative.
pub(crate) fn current_pid() -> u32 {
    kernel::current!().pid().unsigned_abs()
}
