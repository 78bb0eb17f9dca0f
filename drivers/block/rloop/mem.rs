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
//!
//! When the module found a ZONE_DEVICE pool ([`crate::pool`]), a disk is
//! instead a contiguous [`Slice`] of it, and a DAX device: the slice's
//! allocation path (zero each 2 MiB unit once, on first use) serves
//! bios, `direct_access` and `zero_page_range` alike.

use crate::kernel_ext::{
    block::{
        bio::{Bio, BioDisk, BioOperations, OwnedBio},
        mq::{GenDiskBuilder, Limits, Op},
    },
    dax::{self, Access, AccessMode, DaxDevice},
    errno::eopnotsupp,
    iov::IovIterSource,
    page::{PageRef, ZeroedPage, PAGE_SIZE},
    task::{self, NoIoScope},
    xarray::XArray,
};
use crate::pool::{Pool, Slice};
use kernel::{
    bindings, ffi,
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// `SECTOR_SHIFT`.
const SECTOR_SHIFT: u32 = 9;
/// Sectors per page.
const PAGE_SECTORS_SHIFT: u32 = PAGE_SIZE.trailing_zeros() - SECTOR_SHIFT;
/// Pages looked up at once by [`MemDisk::walk`] (one XArray cursor).
const RUN: usize = 32;

/// One memory-backed disk.
#[pin_data]
pub(crate) struct MemDisk {
    /// Size in sectors.
    sectors: u64,
    /// The pages written so far, by page index (RAM disks).
    #[pin]
    pages: XArray<ZeroedPage>,
    /// The disk's slice of the pool, if it has one (then `pages` stays
    /// empty).
    slice: Option<Slice>,
}

/// Whether a bio may sleep to allocate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alloc {
    /// A `REQ_NOWAIT` bio: `GFP_NOWAIT`, and `EAGAIN` (`BLK_STS_AGAIN`,
    /// the submitter retries without `REQ_NOWAIT`) when that fails or a
    /// pool unit would have to be zeroed.
    NoWait,
    /// Any other bio, in the submitter's context: `GFP_KERNEL` in a NOIO
    /// scope, i.e. `GFP_NOIO` as brd (we are on the I/O path of whatever
    /// writes to this disk).
    Sleep,
}

impl Alloc {
    fn of(bio: &Bio) -> Self {
        if bio.nowait() {
            Alloc::NoWait
        } else {
            Alloc::Sleep
        }
    }

    fn gfp(self) -> bindings::gfp_t {
        match self {
            Alloc::NoWait => bindings::GFP_NOWAIT | bindings::__GFP_NOWARN,
            // Inside `submit_bio`'s NOIO scope.
            Alloc::Sleep => bindings::GFP_KERNEL,
        }
    }

    /// What a failed allocation ends the bio with: `EAGAIN` if it may
    /// sleep next time; `EIO` if it could sleep already, as brd
    /// (`ENOMEM` would be `BLK_STS_RESOURCE`, a blk-mq dispatch status).
    fn retry(self, e: Error) -> Error {
        match self {
            _ if e != ENOMEM => e,
            Alloc::NoWait => EAGAIN,
            Alloc::Sleep => EIO,
        }
    }
}

impl MemDisk {
    /// Creates and adds `rdaxN` with `kib` KiB: a slice of `pool` and a
    /// DAX device if there is one and the disk fits, else RAM pages.
    pub(crate) fn create(number: u32, kib: u64, pool: Option<&Arc<Pool>>) -> Result<RdaxDisk> {
        let sectors = kib.checked_mul(2).ok_or(EINVAL)?;
        if sectors == 0 {
            return Err(EINVAL);
        }
        let slice = match pool {
            Some(pool) => {
                let bytes = kib.checked_mul(1024).ok_or(EINVAL)?;
                let slice = pool.carve(bytes)?;
                if slice.is_none() {
                    pr_warn!(
                        "rdax{}: {} KiB does not fit in the pool ({} KiB left of {} KiB); RAM pages, no DAX\n",
                        number,
                        kib,
                        pool.available() >> 10,
                        pool.size() >> 10
                    );
                }
                slice
            }
            None => None,
        };
        let dev = Arc::pin_init(
            pin_init!(MemDisk {
                sectors,
                pages <- XArray::new(),
                slice,
            }),
            GFP_KERNEL,
        )?;
        // Bio-based, as brd and pmem: each bio is copied in its
        // submitter's context, with no request, tag or worker.  No limit
        // of our own on a bio's size or shape (it is copied bvec by bvec),
        // so a 1 MiB read is not split into pieces of 255 sectors (the
        // default `max_hw_sectors`), 128 segments or 64 KiB segments.
        let disk = GenDiskBuilder::new()
            .devt(0, 0, 0)
            .max_hw_sectors(u32::MAX)
            .max_segments(u16::MAX)
            .max_segment_size(u32::MAX)
            .build_bio(format_args!("rdax{}", number), dev.clone())?;
        disk.set_limits(&Limits {
            block_size: 512,
            write_cache: false,
            rotational: false,
            max_discard_sectors: u32::MAX >> SECTOR_SHIFT,
            discard_granularity: PAGE_SIZE as u32,
        })?;
        disk.set_capacity_and_notify(sectors);
        let mut rdax = RdaxDisk { dax: None, disk };
        if let Some(slice) = &dev.slice {
            // As pmem_attach_disk(): the dax device is the disk's DAX host,
            // then the queue says DAX.  On error `rdax` drops and undoes.
            rdax.dax = Some(DaxDevice::new(dev.clone(), &rdax.disk)?);
            rdax.disk.set_dax(true)?;
            let r = slice.phys_range();
            pr_info!(
                "rdax{}: {} KiB at {:#x}-{:#x} of the pool, DAX\n",
                number,
                kib,
                r.start,
                r.end
            );
        }
        Ok(rdax)
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

    /// Serves one bio.  `EAGAIN` (only with `Alloc::NoWait`): it needs to
    /// sleep to allocate; the part already written is written again by the
    /// retry, with the same data.
    fn do_bio(&self, bio: &Bio, alloc: Alloc) -> Result {
        let start = bio.sector();
        let bytes = u64::from(bio.bytes());
        // The block layer checks no alignment for a bio-based disk.
        if bytes & ((1 << SECTOR_SHIFT) - 1) != 0 {
            return Err(EIO);
        }
        let end = start
            .checked_add(bytes >> SECTOR_SHIFT)
            .filter(|&e| e <= self.sectors)
            .ok_or(EIO)?;
        let pos = start << SECTOR_SHIFT;
        let end = end << SECTOR_SHIFT;
        if let Some(slice) = &self.slice {
            return Self::do_slice_bio(slice, bio, alloc, pos, end);
        }
        match bio.op() {
            Op::Read => {
                let mut iter = bio.iov_dest()?;
                self.walk(pos, end, |page, _, offset, len| {
                    let done = match page {
                        Some(p) => p.copy_to_iter(offset, len, &mut iter),
                        None => iter.zero(len),
                    };
                    if done != len {
                        return Err(EIO);
                    }
                    Ok(())
                })
            }
            Op::Write => {
                let mut iter = bio.iov_source()?;
                self.walk(pos, end, |page, index, offset, len| {
                    let page = match page {
                        Some(p) => p,
                        None => self.page_for_write(index, alloc)?,
                    };
                    if page.copy_from_iter(offset, len, &mut iter) != len {
                        return Err(EIO);
                    }
                    Ok(())
                })
            }
            Op::Discard | Op::WriteZeroes => self.walk(pos, end, |page, _, offset, len| {
                if let Some(p) = page {
                    p.write_zeroes(offset, len);
                }
                Ok(())
            }),
            Op::Flush => Ok(()),
            Op::Other(_) => Err(EIO),
        }
    }

    /// Calls `f(page, index, offset, len)` for each piece of `[pos, end)`
    /// (bytes) in one page, in order, with the page if it exists; stops at
    /// the first error.  Pages are looked up [`RUN`] at a time with one
    /// XArray cursor (a single page with `xa_load`).
    fn walk(
        &self,
        mut pos: u64,
        end: u64,
        mut f: impl FnMut(Option<PageRef<'_>>, usize, usize, usize) -> Result,
    ) -> Result {
        while pos < end {
            let (first, offset, len) = chunk(pos, end);
            let (last, _, _) = chunk(end - 1, end);
            if first == last {
                // One page (every 4k bio): one lookup, as brd.
                return f(self.pages.get(first), first, offset, len);
            }
            let run = self.pages.get_run::<RUN>(first, last - first + 1);
            for page in run {
                if pos >= end {
                    break;
                }
                let (index, offset, len) = chunk(pos, end);
                f(page, index, offset, len)?;
                pos += len as u64;
            }
            // A discard may span gigabytes: yield between runs.
            task::cond_resched();
        }
        Ok(())
    }
}

impl MemDisk {
    /// Serves one bio of a disk on the pool: `[pos, end)` in bytes, inside
    /// the disk.
    fn do_slice_bio(slice: &Slice, bio: &Bio, alloc: Alloc, pos: u64, end: u64) -> Result {
        let pos = usize::try_from(pos).map_err(|_| EIO)?;
        let len = usize::try_from(end - pos as u64).map_err(|_| EIO)?;
        match bio.op() {
            Op::Read => {
                let mut iter = bio.iov_dest()?;
                if slice.read(pos, len, &mut iter) != len {
                    return Err(EIO);
                }
                Ok(())
            }
            Op::Write => {
                let mut iter = bio.iov_source()?;
                slice.write(pos, len, &mut iter, alloc == Alloc::Sleep)
            }
            Op::Discard | Op::WriteZeroes => slice.write_zeroes(pos, len),
            Op::Flush => Ok(()),
            Op::Other(_) => Err(EIO),
        }
    }
}

/// A memory-backed disk and, on the pool, its DAX device, which goes
/// first (as pmem_release_disk(): `dax_remove_host`, `kill_dax`,
/// `put_dax`, then the disk is deleted).
pub(crate) struct RdaxDisk {
    dax: Option<DaxDevice<MemDisk>>,
    disk: BioDisk<MemDisk>,
}

impl Drop for RdaxDisk {
    fn drop(&mut self) {
        drop(self.dax.take());
        // `disk` drops next: `del_gendisk` and `put_disk`.
    }
}

/// DAX on a disk of the pool; a RAM disk has no dax device, so these are
/// never called for one (they fail if they are).
impl dax::Operations for MemDisk {
    fn direct_access(&self, pgoff: usize, nr_pages: usize, mode: AccessMode) -> Result<Access> {
        self.slice
            .as_ref()
            .ok_or_else(eopnotsupp)?
            .direct_access(pgoff, nr_pages, mode)
    }

    fn zero_page_range(&self, pgoff: usize, nr_pages: usize) -> Result {
        self.slice
            .as_ref()
            .ok_or_else(eopnotsupp)?
            .zero_pages(pgoff, nr_pages)
    }

    fn recovery_write(
        &self,
        pgoff: usize,
        addr: *mut ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        self.slice
            .as_ref()
            .map_or(0, |s| s.recovery_write(pgoff, addr, bytes, iter))
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

impl BioOperations for MemDisk {
    type QueueData = Arc<MemDisk>;

    fn submit_bio(dev: ArcBorrow<'_, MemDisk>, bio: OwnedBio) {
        let status = {
            let _noio = NoIoScope::enter();
            dev.do_bio(&bio, Alloc::of(&bio))
        };
        // The disk lives until `submit_bio` returns (the queue is entered).
        bio.end(status);
    }
}
