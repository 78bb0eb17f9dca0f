// SPDX-License-Identifier: GPL-2.0

//! The ZONE_DEVICE pool of DAX-capable rdax disks, and the allocation path
//! of a disk carved from it.
//!
//! At load, when rdax disks are asked for, [`Pool::setup`] looks for a
//! legacy persistent-memory range (`memmap=nn!ss`: e820 type 12,
//! `IORES_DESC_PERSISTENT_MEMORY_LEGACY`) that no other driver holds (or
//! the one `rdax_pool=` names), claims it (`request_mem_region`) and maps
//! it as `MEMORY_DEVICE_FS_DAX` pages (`memremap_pages`).  Each disk then
//! gets one contiguous, 2 MiB-aligned [`Slice`] of it: disk byte `N` is
//! pool byte `base + N`, so any range of the disk is one linear kernel
//! address range and one run of devmap pfns, as fs/dax.c needs (PMD
//! faults, and xfs's copies from `kaddr` that do not check the length
//! `direct_access` returns).  The pool is unmapped (`memunmap_pages`,
//! which waits for the last page reference) and released when the last
//! slice goes, i.e. after the disks and their dax devices.
//!
//! Pool memory holds whatever was there (a previous load's disks, say).
//! The allocation path is seed 004's lesson: a disk's storage is zeroed
//! once, in 2 MiB units, on first use, by [`Slice::make_ready`], the one
//! path behind block writes, `direct_access` and `zero_page_range`.  Each
//! unit has a state word: untouched, being zeroed, ready.  Whoever moves it
//! from untouched to being zeroed (a compare-exchange, so exactly one)
//! zeroes the unit while nobody can use it, then publishes it ready with a
//! release store; everybody else waits for ready (acquire), and nobody
//! ever zeroes a ready unit as part of making it usable.  A unit that is
//! not ready reads as zeroes without being touched: nothing can have been
//! written to it, since every writer makes it ready first.

use crate::kernel_ext::{
    dax::{Access, AccessMode},
    delay,
    iov::{IovIterDest, IovIterSource},
    memremap::{
        iomem_ranges, DevPagemap, PhysRange, Region, IORES_DESC_PERSISTENT_MEMORY_LEGACY,
        MEMREMAP_ALIGN,
    },
    page::PAGE_SIZE,
    task,
};
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use kernel::{c_str, ffi, prelude::*, str::CStr, sync::Arc};

/// The allocation unit: a PMD, so that every unit can back a PMD fault.
pub(crate) const UNIT: usize = 2 << 20;

// `memremap_pages`' alignment is the unit's.
const _: () = assert!(MEMREMAP_ALIGN as usize == UNIT);

/// Unit states.
const UNTOUCHED: u8 = 0;
const ZEROING: u8 = 1;
const READY: u8 = 2;

/// A claimed, mapped pool.
#[pin_data]
pub(crate) struct Pool {
    #[pin]
    mem: DevPagemap,
    /// Bytes handed out to slices so far (a multiple of `UNIT`).
    carved: AtomicUsize,
}

/// What `rdax_pool=` asked for.
enum Want {
    Off,
    Auto,
    At(u64),
}

/// Parses `rdax_pool=`: `auto` (or empty), `off`, or an address (`0x` hex
/// or decimal).
fn parse(s: &CStr) -> Option<Want> {
    let s = s.to_str().ok()?.trim();
    match s {
        "" | "auto" => return Some(Want::Auto),
        "off" => return Some(Want::Off),
        _ => {}
    }
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        v = v.checked_mul(u64::from(radix))?.checked_add(d)?;
    }
    Some(Want::At(v))
}

/// `[start, end]` shrunk to whole units (`None` if no unit is left).
fn aligned(r: PhysRange) -> Option<(u64, u64)> {
    let a = MEMREMAP_ALIGN;
    let start = r.start.checked_add(a - 1)? / a * a;
    let end = r.end.checked_add(1)? / a * a;
    (end > start).then(|| (start, end - start))
}

const NAME: &CStr = c_str!("rloop rdax pool");

impl Pool {
    /// Finds, claims and maps the pool as `rdax_pool` says, logging what
    /// it found or why DAX is off.  `None`: rdax disks use RAM pages.
    pub(crate) fn setup(param: Option<&CStr>) -> Option<Arc<Pool>> {
        let want = match param.map(parse).unwrap_or(Some(Want::Auto)) {
            Some(w) => w,
            None => {
                pr_warn!("rdax_pool: not auto, off or a physical address; rdax disks use RAM pages, no DAX\n");
                return None;
            }
        };
        if let Want::Off = want {
            pr_info!("rdax_pool=off: rdax disks use RAM pages, no DAX\n");
            return None;
        }
        let ranges = match iomem_ranges(IORES_DESC_PERSISTENT_MEMORY_LEGACY) {
            Ok(r) => r,
            Err(e) => {
                pr_warn!("rdax: cannot list the iomem resources ({:?}); no DAX\n", e);
                return None;
            }
        };
        if ranges.is_empty() {
            pr_info!("rdax: no legacy persistent memory range (boot with memmap=nn!ss for one); rdax disks use RAM pages, no DAX\n");
            return None;
        }
        match want {
            Want::At(addr) => {
                let Some(r) = ranges.iter().find(|r| r.start <= addr && addr <= r.end) else {
                    pr_warn!("rdax_pool={:#x}: no legacy persistent memory range there; rdax disks use RAM pages, no DAX\n", addr);
                    return None;
                };
                if addr % MEMREMAP_ALIGN != 0 {
                    pr_warn!("rdax_pool={:#x}: not 2 MiB aligned (memremap_pages maps 2 MiB subsections); rdax disks use RAM pages, no DAX\n", addr);
                    return None;
                }
                let pool = Self::claim(PhysRange {
                    start: addr,
                    end: r.end,
                });
                if pool.is_none() {
                    pr_warn!("rdax_pool={:#x}: rdax disks use RAM pages, no DAX\n", addr);
                }
                pool
            }
            _ => {
                for r in ranges.iter() {
                    if let Some(p) = Self::claim(*r) {
                        return Some(p);
                    }
                }
                pr_info!("rdax: no usable legacy persistent memory range (all claimed or unusable, see above); rdax disks use RAM pages, no DAX\n");
                None
            }
        }
    }

    /// Claims and maps the whole units of `r`, logging why not.
    fn claim(r: PhysRange) -> Option<Arc<Pool>> {
        let Some((start, len)) = aligned(r) else {
            pr_info!(
                "rdax: {:#x}-{:#x} holds no whole 2 MiB unit; skipped\n",
                r.start,
                r.end
            );
            return None;
        };
        if usize::try_from(len).is_err() {
            return None;
        }
        let region = match Region::request_mem(start, len, NAME) {
            Ok(reg) => reg,
            Err(e) => {
                pr_info!(
                    "rdax: {:#x}-{:#x} is claimed by another driver (nd_pmem?) (errno {}); skipped\n",
                    start,
                    start + (len - 1),
                    e.to_errno()
                );
                return None;
            }
        };
        let pool = Arc::pin_init(
            try_pin_init!(Pool {
                mem <- DevPagemap::new(region),
                carved: AtomicUsize::new(0),
            }),
            GFP_KERNEL,
        );
        match pool {
            Ok(p) => {
                let pr = p.mem.range();
                pr_info!("rdax: pool {:#x}-{:#x} ({} MiB), ZONE_DEVICE (fs DAX) pages; rdax disks on it are DAX devices\n",
                    pr.start, pr.end, p.mem.len() >> 20);
                Some(p)
            }
            Err(e) => {
                pr_warn!(
                    "rdax: memremap_pages of {:#x}-{:#x} failed (errno {}); skipped\n",
                    start,
                    start + (len - 1),
                    e.to_errno()
                );
                None
            }
        }
    }

    /// Bytes not yet handed out.
    pub(crate) fn available(&self) -> usize {
        self.mem.len() - self.carved.load(Ordering::Relaxed)
    }

    /// Bytes in the pool.
    pub(crate) fn size(&self) -> usize {
        self.mem.len()
    }

    /// A slice of `bytes` (rounded up to whole units) for one disk, or
    /// `None` if it does not fit in what is left.
    pub(crate) fn carve(self: &Arc<Self>, bytes: u64) -> Result<Option<Slice>> {
        let len = usize::try_from(bytes).map_err(|_| EINVAL)?;
        let nunits = len.div_ceil(UNIT);
        let Some(size) = nunits.checked_mul(UNIT) else {
            return Ok(None);
        };
        let mut units = KVec::with_capacity(nunits, GFP_KERNEL)?;
        for _ in 0..nunits {
            units.push(AtomicU8::new(UNTOUCHED), GFP_KERNEL)?;
        }
        let mut cur = self.carved.load(Ordering::Relaxed);
        loop {
            let Some(next) = cur.checked_add(size).filter(|&n| n <= self.mem.len()) else {
                return Ok(None);
            };
            match self
                .carved
                .compare_exchange(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(c) => cur = c,
            }
        }
        Ok(Some(Slice {
            pool: self.clone(),
            base: cur,
            len,
            units,
        }))
    }
}

/// One disk's storage: `len` bytes at `base` in the pool.
///
/// `base` is a multiple of `UNIT` and `[base, base + units.len() * UNIT)`
/// lies in the pool and belongs to this slice alone.
pub(crate) struct Slice {
    pool: Arc<Pool>,
    base: usize,
    len: usize,
    units: KVec<AtomicU8>,
}

impl Slice {
    /// The unit of disk byte `pos` and the length of the piece of
    /// `[pos, end)` inside it.
    fn piece(pos: usize, end: usize) -> (usize, usize) {
        let unit = pos / UNIT;
        let len = ((unit + 1) * UNIT).min(end) - pos;
        (unit, len)
    }

    fn is_ready(&self, unit: usize) -> bool {
        self.units
            .get(unit)
            .is_some_and(|s| s.load(Ordering::Acquire) == READY)
    }

    /// Makes `unit` usable: zeroes it if it was never used (exactly once,
    /// whoever else races for it), or waits for whoever is zeroing it.
    /// May sleep.
    fn make_ready(&self, unit: usize) -> Result {
        let state = self.units.get(unit).ok_or(EIO)?;
        loop {
            match state.compare_exchange(UNTOUCHED, ZEROING, Ordering::Acquire, Ordering::Acquire) {
                Ok(_) => {
                    // Ours alone: nobody reads or writes a unit that is
                    // not ready.
                    self.pool.mem.write_zeroes(self.base + unit * UNIT, UNIT);
                    state.store(READY, Ordering::Release);
                    return Ok(());
                }
                Err(READY) => return Ok(()),
                // Somebody else is zeroing it: a few milliseconds at most.
                Err(_) => delay::msleep(1),
            }
        }
    }

    /// `make_ready` for every unit of `[pos, end)`.
    fn make_range_ready(&self, pos: usize, end: usize) -> Result {
        if end == pos {
            return Ok(());
        }
        for unit in pos / UNIT..=(end - 1) / UNIT {
            self.make_ready(unit)?;
        }
        Ok(())
    }

    /// Reads `len` bytes at disk byte `pos` into `iter`; units never
    /// written read as zeroes, untouched.  Returns the bytes copied.
    pub(crate) fn read(&self, pos: usize, len: usize, iter: &mut IovIterDest<'_>) -> usize {
        let end = pos.saturating_add(len).min(self.len);
        let mut p = pos;
        while p < end {
            let (unit, n) = Self::piece(p, end);
            let done = if self.is_ready(unit) {
                self.pool.mem.copy_to_iter(self.base + p, n, iter)
            } else {
                iter.zero(n)
            };
            p += done;
            if done != n {
                break;
            }
        }
        p - pos
    }

    /// Writes `len` bytes from `iter` at disk byte `pos`.  Without
    /// `may_sleep`, `EAGAIN` at the first unit that is not ready yet (what
    /// was copied before it is copied again by the retry, same data).
    pub(crate) fn write(
        &self,
        pos: usize,
        len: usize,
        iter: &mut IovIterSource<'_>,
        may_sleep: bool,
    ) -> Result {
        let end = pos.checked_add(len).filter(|&e| e <= self.len).ok_or(EIO)?;
        let mut p = pos;
        while p < end {
            let (unit, n) = Self::piece(p, end);
            if !self.is_ready(unit) {
                if !may_sleep {
                    return Err(EAGAIN);
                }
                self.make_ready(unit)?;
            }
            if self.pool.mem.copy_from_iter(self.base + p, n, iter) != n {
                return Err(EIO);
            }
            p += n;
        }
        Ok(())
    }

    /// Discard and write-zeroes: zeroes what is ready; the rest reads as
    /// zeroes already.
    pub(crate) fn write_zeroes(&self, pos: usize, len: usize) -> Result {
        let end = pos.checked_add(len).filter(|&e| e <= self.len).ok_or(EIO)?;
        let mut p = pos;
        while p < end {
            let (unit, n) = Self::piece(p, end);
            if self.is_ready(unit) {
                self.pool.mem.write_zeroes(self.base + p, n);
            }
            p += n;
            // Up to 4 GiB in one bio: yield between units.
            task::cond_resched();
        }
        Ok(())
    }

    /// Disk pages (whole ones: DAX works in pages).
    fn pages(&self) -> usize {
        self.len / PAGE_SIZE
    }

    /// `direct_access`: makes the requested pages ready and returns their
    /// address; the slice is contiguous, so all of them are there.
    pub(crate) fn direct_access(
        &self,
        pgoff: usize,
        nr_pages: usize,
        _mode: AccessMode,
    ) -> Result<Access> {
        let avail = self
            .pages()
            .checked_sub(pgoff)
            .filter(|&a| a > 0)
            .ok_or(ERANGE)?;
        let pages = nr_pages.min(avail);
        let pos = pgoff * PAGE_SIZE;
        self.make_range_ready(pos, pos + pages * PAGE_SIZE)?;
        let off = self.base + pos;
        Ok(Access {
            pages,
            kaddr: self.pool.mem.kaddr(off),
            phys: self.pool.mem.phys(off).ok_or(ERANGE)?,
        })
    }

    /// `zero_page_range`.
    pub(crate) fn zero_pages(&self, pgoff: usize, nr_pages: usize) -> Result {
        let end = pgoff
            .checked_add(nr_pages)
            .filter(|&e| e <= self.pages())
            .ok_or(EIO)?;
        let (pos, end) = (pgoff * PAGE_SIZE, end * PAGE_SIZE);
        self.make_range_ready(pos, end)?;
        self.pool.mem.write_zeroes(self.base + pos, end - pos);
        Ok(())
    }

    /// `recovery_write`: there is no poison to clear in RAM, so as pmem
    /// for a good range, a plain copy to `addr` (which must be this
    /// slice's memory, at or after page `pgoff`).  0 if it is not.
    pub(crate) fn recovery_write(
        &self,
        pgoff: usize,
        addr: *mut ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        let Some(pos) = self
            .pool
            .mem
            .offset_of(addr)
            .and_then(|o| o.checked_sub(self.base))
        else {
            return 0;
        };
        let ok = pgoff
            .checked_mul(PAGE_SIZE)
            .is_some_and(|start| pos >= start)
            && pos.checked_add(bytes).is_some_and(|e| e <= self.len);
        if !ok || self.make_range_ready(pos, pos + bytes).is_err() {
            return 0;
        }
        self.pool.mem.copy_from_iter(self.base + pos, bytes, iter)
    }

    /// Where the slice lies, for the log.
    pub(crate) fn phys_range(&self) -> PhysRange {
        let start = self.pool.mem.range().start + self.base as u64;
        PhysRange {
            start,
            end: start + (self.units.len() * UNIT) as u64 - 1,
        }
    }
}
