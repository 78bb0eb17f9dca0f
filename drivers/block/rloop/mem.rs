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
    block::mq::{self, flags, GenDisk, GenDiskBuilder, Limits, Op, Operations, TagSet},
    page::{PageRef, ZeroedPage, PAGE_SIZE},
    task::NoIoScope,
    xarray::XArray,
};
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, ArcBorrow},
    types::ARef,
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
}

impl MemDisk {
    /// Creates and adds `rdaxN` with `kib` KiB.
    pub(crate) fn create(number: u32, kib: u64) -> Result<GenDisk<Self>> {
        let sectors = kib.checked_mul(2).ok_or(EINVAL)?;
        if sectors == 0 {
            return Err(EINVAL);
        }
        let dev = Arc::pin_init(
            pin_init!(MemDisk {
                sectors,
                pages <- XArray::new(),
            }),
            GFP_KERNEL,
        )?;
        // queue_rq copies inline and may allocate a page (in a NOIO scope):
        // it may sleep, so the queue is BLOCKING.
        let tagset = Arc::pin_init(
            TagSet::new(1, 128, 1, flags::BLOCKING | flags::NO_SCHED_BY_DEFAULT),
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
    fn page_for_write(&self, index: usize) -> Result<PageRef<'_>> {
        if let Some(p) = self.pages.get(index) {
            return Ok(p);
        }
        // GFP_KERNEL inside the request's NOIO scope (see `queue_rq`).
        let candidate = ZeroedPage::alloc(bindings::GFP_KERNEL)?;
        self.pages
            .get_or_insert(index, candidate, bindings::GFP_KERNEL)
    }

    /// Serves one request, inline.
    fn do_request(&self, rq: &mq::Request<Self>) -> Result {
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
                let mut iter = rq.iov_dest()?;
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
                let mut iter = rq.iov_source()?;
                while pos < end {
                    let (index, offset, len) = chunk(pos, end);
                    let page = self.page_for_write(index)?;
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
        rq: ARef<mq::Request<Self>>,
        _is_last: bool,
    ) -> Result {
        // Page allocations here must not recurse into I/O: we are on the
        // I/O path of whatever writes to this disk.
        let status = {
            let _noio = NoIoScope::enter();
            dev.do_request(&rq)
        };
        let _ = mq::Request::end(rq, status);
        Ok(())
    }

    fn work(_dev: ArcBorrow<'_, MemDisk>, rq: ARef<mq::Request<Self>>) {
        // Memory disks serve requests in `queue_rq` and never queue work.
        let _ = mq::Request::end(rq, Err(EIO));
    }
}
