// SPDX-License-Identifier: GPL-2.0

//! [`TagSet`]: a `struct blk_mq_tag_set`.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::{operations::OperationsVTable, request::RequestDataWrapper, Operations};
use core::{marker::PhantomData, pin::Pin};
use kernel::{bindings, error, prelude::*, types::Opaque};

/// Tag-set flags (`BLK_MQ_F_*`), as upstream's `mq::tag_set::Flags`.
pub(crate) mod flags {
    /// Requests may be merged (`BLK_MQ_F_SHOULD_MERGE`).
    pub(crate) const SHOULD_MERGE: u32 = kernel::bindings::BLK_MQ_F_SHOULD_MERGE;
    /// A stacking driver: I/O goes on to another device (`BLK_MQ_F_STACKING`).
    pub(crate) const STACKING: u32 = kernel::bindings::BLK_MQ_F_STACKING;
    /// No I/O scheduler unless user space picks one
    /// (`BLK_MQ_F_NO_SCHED_BY_DEFAULT`).
    pub(crate) const NO_SCHED_BY_DEFAULT: u32 = kernel::bindings::BLK_MQ_F_NO_SCHED_BY_DEFAULT;
    /// `queue_rq` may sleep: dispatch runs under the tag set's SRCU, and a
    /// quiesce waits for an SRCU grace period (`BLK_MQ_F_BLOCKING`).
    pub(crate) const BLOCKING: u32 = kernel::bindings::BLK_MQ_F_BLOCKING;
}

/// A wrapper for the C `struct blk_mq_tag_set`.
///
/// `struct blk_mq_tag_set` contains a `struct list_head` and so must be
/// pinned.  Its per-request driver data (PDU) is a `RequestDataWrapper`.
///
/// # Invariants
///
/// `inner` is initialised (`blk_mq_alloc_tag_set` succeeded) and valid.
#[pin_data(PinnedDrop)]
#[repr(transparent)]
pub(crate) struct TagSet<T: Operations> {
    #[pin]
    inner: Opaque<bindings::blk_mq_tag_set>,
    _p: PhantomData<T>,
}

impl<T: Operations> TagSet<T> {
    /// Allocates a tag set with `nr_hw_queues` queues of `num_tags` tags,
    /// `num_maps` queue maps and the given [`flags`].
    pub(crate) fn new(
        nr_hw_queues: u32,
        num_tags: u32,
        num_maps: u32,
        flags: u32,
    ) -> impl PinInit<Self, error::Error> {
        // SAFETY: `blk_mq_tag_set` only contains integers and pointers, which
        // all are allowed to be 0.
        let tag_set: bindings::blk_mq_tag_set = unsafe { core::mem::zeroed() };
        let tag_set = u32::try_from(core::mem::size_of::<RequestDataWrapper>())
            .map(|cmd_size| bindings::blk_mq_tag_set {
                ops: OperationsVTable::<T>::build(),
                nr_hw_queues,
                timeout: 0, // 0 means the block layer's default (30 s)
                numa_node: bindings::NUMA_NO_NODE,
                queue_depth: num_tags,
                cmd_size,
                flags,
                driver_data: core::ptr::null_mut(),
                nr_maps: num_maps,
                ..tag_set
            })
            .map_err(|_| EINVAL);

        try_pin_init!(TagSet {
            inner <- PinInit::<_, error::Error>::pin_chain(Opaque::new(tag_set?), |tag_set| {
                // SAFETY: we do not move out of `tag_set`.
                let tag_set = unsafe { Pin::get_unchecked_mut(tag_set) };
                // SAFETY: `tag_set` is an initialised `blk_mq_tag_set` with
                // a valid ops table and sizes, as `blk_mq_alloc_tag_set`
                // requires; it is pinned, so the list heads stay valid.
                error::to_result(unsafe { bindings::blk_mq_alloc_tag_set(tag_set.get()) })
            }),
            _p: PhantomData,
        })
    }

    /// The wrapped `struct blk_mq_tag_set`.
    pub(crate) fn raw_tag_set(&self) -> *mut bindings::blk_mq_tag_set {
        self.inner.get()
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for TagSet<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant `inner` was initialised by
        // `blk_mq_alloc_tag_set`; no queue uses it any more, as every
        // `GenDisk` holds an `Arc` of its tag set until `del_gendisk`.
        unsafe { bindings::blk_mq_free_tag_set(self.inner.get()) };
    }
}
