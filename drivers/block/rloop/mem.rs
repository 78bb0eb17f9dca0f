// SPDX-License-Identifier: GPL-2.0

//! Memory-backed disks `rdaxN` (like brd's `ramN`), created at load by the
//! `rdax_nr` and `rdax_size` (KiB) parameters.
//!
//! Storage is an insert-only [`XArray`] of [`ZeroedPage`]s, allocated on
//! the first write to a page.  The allocation path is seed 004's lesson,
//! and the types make it the only one: a page is zeroed when it is
//! allocated, before anybody can see it; it is published only if its
//! index is empty; a writer that loses the race drops its own candidate
//! and writes into the winner's page, which nobody zeroes again.  Reads of
//! pages never written return zeroes without allocating.  Discard and
//! write-zeroes write zeroes into the pages that exist (a data write like
//! any other) and never free one, so a page that a DAX mapping may hold
//! is never freed while the disk lives; flush has nothing to do.

use crate::kernel_ext::{
    block::mq::{
        self, flags, Dispatch, GenDisk, GenDiskBuilder, Job, Limits, Op, Operations, OwnedRequest,
        TagSet,
    },
    page::{PageRef, ZeroedPage, PAGE_SIZE},
    task::NoIoScope,
    workqueue::{OwnedQueue, WQ_MEM_RECLAIM, WQ_UNBOUND_FREEZABLE},
    xarray::XArray,
};
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// `SECTOR_SHIFT`.
const SECTOR_SHIFT: u32 = 9;
/// Sectors per page.
const PAGE_SECTORS_SHIFT: u32 = PAGE_SIZE.trailing_zeros() - SECTOR_SHIFT;

/// One memory-backed disk.
#[pin_data]
pub(crate) struct MemDisk {
    /// Size in sectors.
    sectors: u64,
    /// The pages written so far, by page index.
    #[pin]
    pages: XArray<ZeroedPage>,
    /// Where a request goes when it must sleep to allocate (`rdaxN`,
    /// `WQ_MEM_RECLAIM`: it is on the writeback path).
    wq: OwnedQueue,
}

/// Whether a request may sleep to allocate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alloc {
    /// In `queue_rq` (the tag set is not `BLOCKING`): `GFP_NOWAIT`, and
    /// `EAGAIN` when that fails.
    NoWait,
    /// In the disk's worker, in a NOIO scope.
    Sleep,
}

impl Alloc {
    fn gfp(self) -> bindings::gfp_t {
        match self {
            Alloc::NoWait => bindings::GFP_NOWAIT | bindings::__GFP_NOWARN,
            // GFP_KERNEL inside the worker's NOIO scope.
            Alloc::Sleep => bindings::GFP_KERNEL,
        }
    }

    /// `e`, or `EAGAIN` for a failed allocation that may sleep next time.
    fn retry(self, e: Error) -> Error {
        if self == Alloc::NoWait && e == ENOMEM {
            EAGAIN
        } else {
            e
        }
    }
}

impl MemDisk {
    /// Creates and adds `rdaxN` with `kib` KiB.
    pub(crate) fn create(number: u32, kib: u64) -> Result<GenDisk<Self>> {
        let sectors = kib.checked_mul(2).ok_or(EINVAL)?;
        if sectors == 0 {
            return Err(EINVAL);
        }
        let wq = OwnedQueue::new(
            format_args!("rdax{}", number),
            WQ_UNBOUND_FREEZABLE | WQ_MEM_RECLAIM,
        )?;
        let dev = Arc::pin_init(
            pin_init!(MemDisk {
                sectors,
                pages <- XArray::new(),
                wq,
            }),
            GFP_KERNEL,
        )?;
        // queue_rq copies inline and allocates only without sleeping; a
        // request that needs to sleep goes to the worker.  So the tag set
        // is not BLOCKING (blk-mq runs queue_rq under RCU, not SRCU).
        let tagset = Arc::pin_init(
            TagSet::new(1, 128, 1, flags::NO_SCHED_BY_DEFAULT),
            GFP_KERNEL,
        )?;
        let disk = GenDiskBuilder::new().devt(0, 0, 0).build(
            format_args!("rdax{}", number),
            tagset,
            dev,
        )?;
        disk.set_limits(&Limits {
            block_size: 512,
            write_cache: false,
            rotational: false,
            max_discard_sectors: u32::MAX >> SECTOR_SHIFT,
            discard_granularity: PAGE_SIZE as u32,
        })?;
        disk.set_capacity_and_notify(sectors);
        Ok(disk)
    }

    /// The page at `index`, allocating (zeroed) and publishing it if absent.
    fn page_for_write(&self, index: usize, alloc: Alloc) -> Result<PageRef<'_>> {
        if let Some(p) = self.pages.get(index) {
            return Ok(p);
        }
        let candidate = ZeroedPage::alloc(alloc.gfp()).map_err(|e| alloc.retry(e))?;
        self.pages
            .get_or_insert(index, candidate, alloc.gfp())
            .map_err(|e| alloc.retry(e))
    }

    /// Serves one request.  `EAGAIN` (only with `Alloc::NoWait`): it needs
    /// to sleep to allocate; the part already written is written again by
    /// the retry, with the same data.
    fn do_request(&self, rq: &mq::Request<Self>, alloc: Alloc) -> Result {
        let start = rq.sector();
        let bytes = u64::from(rq.bytes());
        let end = start
            .checked_add(bytes >> SECTOR_SHIFT)
            .filter(|&e| e <= self.sectors)
            .ok_or(EIO)?;
        let mut pos = start << SECTOR_SHIFT;
        let end = end << SECTOR_SHIFT;
        match rq.op() {
            Op::Read => {
                let mut iter = rq
                    .iov_dest(alloc == Alloc::Sleep)
                    .map_err(|e| alloc.retry(e))?;
                while pos < end {
                    let (index, offset, len) = chunk(pos, end);
                    let done = match self.pages.get(index) {
                        Some(p) => p.copy_to_iter(offset, len, &mut iter),
                        None => iter.zero(len),
                    };
                    if done != len {
                        return Err(EIO);
                    }
                    pos += len as u64;
                }
                Ok(())
            }
            Op::Write => {
                let mut iter = rq
                    .iov_source(alloc == Alloc::Sleep)
                    .map_err(|e| alloc.retry(e))?;
                while pos < end {
                    let (index, offset, len) = chunk(pos, end);
                    let page = self.page_for_write(index, alloc)?;
                    if page.copy_from_iter(offset, len, &mut iter) != len {
                        return Err(EIO);
                    }
                    pos += len as u64;
                }
                Ok(())
            }
            Op::Discard | Op::WriteZeroes => {
                while pos < end {
                    let (index, offset, len) = chunk(pos, end);
                    if let Some(p) = self.pages.get(index) {
                        p.write_zeroes(offset, len);
                    }
                    pos += len as u64;
                }
                Ok(())
            }
            Op::Flush => Ok(()),
            Op::Other(_) => Err(EIO),
        }
    }
}

/// The page index, offset in the page and length of the piece of
/// `[pos, end)` that lies in `pos`'s page.
fn chunk(pos: u64, end: u64) -> (usize, usize, usize) {
    let index = (pos >> (PAGE_SECTORS_SHIFT + SECTOR_SHIFT)) as usize;
    let offset = (pos as usize) & (PAGE_SIZE - 1);
    let len = (PAGE_SIZE - offset).min((end - pos) as usize);
    (index, offset, len)
}

#[vtable]
impl Operations for MemDisk {
    type QueueData = Arc<MemDisk>;

    fn queue_rq(
        dev: ArcBorrow<'_, MemDisk>,
        rq: OwnedRequest<Self>,
        _is_last: bool,
        _dispatch: &Dispatch,
    ) {
        match dev.do_request(&rq, Alloc::NoWait) {
            // The disk lives until `queue_rq` returns (`Dispatch`).
            Err(e) if e == EAGAIN => rq.queue_work(&dev.wq),
            status => rq.end(status),
        }
    }

    /// A request that needs to sleep to allocate, in the disk's worker.
    fn work(job: Job<'_, Self>) {
        // Page allocations here must not recurse into I/O: we are on the
        // I/O path of whatever writes to this disk.
        let status = {
            let _noio = NoIoScope::enter();
            job.data().do_request(job.request(), Alloc::Sleep)
        };
        job.end(status);
    }
}
