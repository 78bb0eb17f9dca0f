// SPDX-License-Identifier: GPL-2.0

//! Scoped allocation constraints of the current task.
//!
//! C header: [`include/linux/sched/mm.h`](srctree/include/linux/sched/mm.h)

extern "C" {
    fn rloop_memalloc_noio_save() -> kernel::ffi::c_uint;
    fn rloop_memalloc_noio_restore(flags: kernel::ffi::c_uint);
    fn rloop_in_bio_submission() -> bool;
}

/// Whether the current task is inside `submit_bio_noacct()` (its
/// `bio_list` is set): a bio submitted now is only queued, and runs after
/// the one being submitted returns, so waiting for it here never ends.
/// A block driver's `queue_rq`, issued directly from a submitter, must not
/// do I/O it waits for (a file system reading its metadata) in that case.
pub(crate) fn in_bio_submission() -> bool {
    // SAFETY: reads a field of the current task, which only that task
    // changes.
    unsafe { rloop_in_bio_submission() }
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
