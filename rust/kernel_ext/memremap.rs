// SPDX-License-Identifier: GPL-2.0

//! Device memory: finding and claiming a physical range the page allocator
//! does not own, and giving it `struct page`s as `ZONE_DEVICE` memory.
//!
//! C headers: [`include/linux/ioport.h`](srctree/include/linux/ioport.h),
//! [`include/linux/memremap.h`](srctree/include/linux/memremap.h)
//!
//! [`Region`] is shaped like upstream's `kernel::io::resource::Region`
//! (≈6.16: a requested memory region, released on drop).  [`DevPagemap`]
//! has no upstream counterpart yet: it is `memremap_pages()` with a
//! `struct dev_pagemap` it owns, undone by `memunmap_pages()` on drop
//! (which waits until every page reference is gone), plus bounds-checked
//! copies in and out of the mapped memory through the kernel's direct map.

use super::iov::{IovIterDest, IovIterSource};
use kernel::{bindings, ffi, prelude::*, str::CStr, types::Opaque};

/// `IORES_DESC_PERSISTENT_MEMORY_LEGACY`: e820 type 12, `memmap=nn!ss`
/// ("Persistent Memory (legacy)" in `/proc/iomem`).
pub(crate) const IORES_DESC_PERSISTENT_MEMORY_LEGACY: u32 =
    bindings::IORES_DESC_PERSISTENT_MEMORY_LEGACY;

/// A physical address range, `end` inclusive (as `struct range`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PhysRange {
    /// First byte.
    pub(crate) start: u64,
    /// Last byte.
    pub(crate) end: u64,
}

impl PhysRange {
    /// Length in bytes (`range_len`); `None` for the whole 64-bit space.
    pub(crate) fn len(&self) -> Option<u64> {
        self.end.checked_sub(self.start)?.checked_add(1)
    }
}

/// What the walk below collects, through its `void *arg`.
struct Found {
    ranges: KVec<PhysRange>,
    err: Option<Error>,
}

/// `walk_iomem_res_desc`'s callback: records one matching resource.
///
/// # Safety
///
/// `res` is a valid resource and `arg` the `Found` of the walk that calls
/// this (`iomem_ranges`).
unsafe extern "C" fn found_one(res: *mut bindings::resource, arg: *mut ffi::c_void) -> ffi::c_int {
    // SAFETY: `arg` is the `Found` that `iomem_ranges` passes, alive and
    // not otherwise borrowed during the walk; `res` is the walk's copy of a
    // matching resource, valid for this call.
    let (found, res) = unsafe { (&mut *arg.cast::<Found>(), &*res) };
    let range = PhysRange {
        start: res.start,
        end: res.end,
    };
    match found.ranges.push(range, GFP_KERNEL) {
        Ok(()) => 0,
        Err(_) => {
            found.err = Some(ENOMEM);
            // Non-zero stops the walk.
            1
        }
    }
}

/// The iomem resources with descriptor `desc` and `IORESOURCE_MEM` set, at
/// any level of the tree, in address order (`walk_iomem_res_desc`).  Their
/// being listed says nothing about whether a driver claimed them.
pub(crate) fn iomem_ranges(desc: u32) -> Result<KVec<PhysRange>> {
    let mut found = Found {
        ranges: KVec::new(),
        err: None,
    };
    // SAFETY: the callback matches the prototype `walk_iomem_res_desc`
    // wants and only touches `found`, which outlives the call; the walk
    // copies each resource under `resource_lock` and calls the callback
    // without it, so it may allocate.
    unsafe {
        bindings::walk_iomem_res_desc(
            desc as ffi::c_ulong,
            bindings::IORESOURCE_MEM as ffi::c_ulong,
            0,
            u64::MAX,
            core::ptr::from_mut(&mut found).cast(),
            Some(found_one),
        )
    };
    match found.err {
        Some(e) => Err(e),
        None => Ok(found.ranges),
    }
}

/// A claimed range of physical memory (`request_mem_region`), released
/// (`release_mem_region`) on drop.
///
/// # Invariants
///
/// `[start, start + len)` was requested from `iomem_resource` by us and is
/// held until drop.
pub(crate) struct Region {
    start: u64,
    len: u64,
}

impl Region {
    /// Claims `[start, start + len)` under the name `name` (shown in
    /// `/proc/iomem`).  `EBUSY` when any part of it is claimed already
    /// (another driver's busy resource), or not inside one parent.
    pub(crate) fn request_mem(start: u64, len: u64, name: &'static CStr) -> Result<Self> {
        if len == 0 || start.checked_add(len).is_none() {
            return Err(EINVAL);
        }
        // SAFETY: `iomem_resource` is the root of the iomem tree, which
        // `__request_region` locks itself; `name` is static, as the new
        // resource keeps the pointer.  (`request_mem_region` is this call.)
        let res = unsafe {
            bindings::__request_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                start,
                len,
                name.as_char_ptr(),
                0,
            )
        };
        if res.is_null() {
            return Err(EBUSY);
        }
        // INVARIANT: the range is ours until drop.
        Ok(Self { start, len })
    }

    /// The claimed range.
    pub(crate) fn range(&self) -> PhysRange {
        PhysRange {
            start: self.start,
            // `request_mem` checked that `start + len` does not overflow.
            end: self.start + (self.len - 1),
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: we requested exactly this range (type invariant);
        // `release_mem_region` is this call.
        unsafe {
            bindings::__release_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                self.start,
                self.len,
            )
        };
    }
}

/// `SUBSECTION_SIZE` on x86-64 with `SPARSEMEM_VMEMMAP`: `memremap_pages`
/// maps whole 2 MiB subsections.
pub(crate) const MEMREMAP_ALIGN: u64 = 2 << 20;

/// A claimed physical range mapped as `MEMORY_DEVICE_FS_DAX` pages
/// (`memremap_pages`): its pfns are devmap pfns that fs/dax.c can insert
/// into DAX mappings, also as PMDs, and its bytes are reachable through the
/// kernel's direct map, which `arch_add_memory` built for it.
///
/// The pages belong to whoever maps them: this type never takes a page
/// reference and never touches a `struct page`.  `memunmap_pages` on drop
/// waits for the last reference that fs/dax.c took.
///
/// # Invariants
///
/// `pgmap` was passed to a successful `memremap_pages` for `region`'s
/// range, and `virt` is what it returned: the direct-map address of the
/// range, `len` bytes, valid until drop.
pub(crate) struct DevPagemap {
    pgmap: Opaque<bindings::dev_pagemap>,
    region: Region,
    virt: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory reachable from any CPU; the
// `dev_pagemap` is only touched by `memremap_pages`/`memunmap_pages` and by
// the mm core under its own synchronisation.
unsafe impl Send for DevPagemap {}
// SAFETY: `&self` only copies bytes in and out of the mapped memory (a
// disk's contents, raced on like a page cache page's) and reads constants.
unsafe impl Sync for DevPagemap {}

impl DevPagemap {
    /// Maps `region` as `MEMORY_DEVICE_FS_DAX` pages (`memremap_pages` on
    /// no particular node).  Fails if the range is not 2 MiB aligned
    /// (`EINVAL`, before calling C), or as `memremap_pages` does: `ENXIO`
    /// if it intersects System RAM, `ENOMEM` if it overlaps another
    /// pagemap, `EINVAL` if hotplug cannot map it.
    pub(crate) fn new(region: Region) -> impl PinInit<Self, Error> {
        let closure = move |slot: *mut Self| -> Result {
            let range = region.range();
            let len = range.len().ok_or(EINVAL)?;
            if range.start % MEMREMAP_ALIGN != 0 || len % MEMREMAP_ALIGN != 0 {
                return Err(EINVAL);
            }
            let len_usize = usize::try_from(len).map_err(|_| EINVAL)?;
            // SAFETY: `slot` is valid for writes and pinned (the
            // `pin_init_from_closure` contract).  The `dev_pagemap` starts
            // zeroed (no altmap, no ops, no flags, vmemmap_shift 0) with
            // one range, as pmem sets it up for a raw namespace;
            // `memremap_pages` initialises its percpu ref and completion.
            // The structure is pinned inside `Self` and must outlive every
            // page (`page->pgmap` points at it), which `Drop` ensures by
            // `memunmap_pages` before it goes.
            unsafe {
                let pgmap = Opaque::raw_get(core::ptr::addr_of!((*slot).pgmap));
                core::ptr::write_bytes(pgmap, 0, 1);
                let r = (*pgmap).__bindgen_anon_1.range.as_mut();
                r.start = range.start;
                r.end = range.end;
                (*pgmap).nr_range = 1;
                (*pgmap).type_ = bindings::memory_type_MEMORY_DEVICE_FS_DAX;
                let virt = kernel::error::from_err_ptr(bindings::memremap_pages(
                    pgmap,
                    bindings::NUMA_NO_NODE,
                ))?;
                core::ptr::addr_of_mut!((*slot).virt).write(virt.cast());
                core::ptr::addr_of_mut!((*slot).len).write(len_usize);
                // INVARIANT: mapped above; `region` moves in last, so an
                // error return drops (releases) it.
                core::ptr::addr_of_mut!((*slot).region).write(region);
            }
            Ok(())
        };
        // SAFETY: the closure initialises every field on success; on error
        // nothing needs dropping (the `dev_pagemap` is plain data that
        // `memremap_pages` unwound itself) and `region` is dropped with
        // the closure.
        unsafe { kernel::init::pin_init_from_closure(closure) }
    }

    /// The mapped physical range.
    pub(crate) fn range(&self) -> PhysRange {
        self.region.range()
    }

    /// Bytes mapped.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `len` clamped so that `[offset, offset + len)` lies in the mapping
    /// (0 if `offset` is past its end).
    fn clamp(&self, offset: usize, len: usize) -> usize {
        len.min(self.len.saturating_sub(offset))
    }

    /// The physical address of byte `offset` (`None` past the end).
    pub(crate) fn phys(&self, offset: usize) -> Option<u64> {
        (offset < self.len).then(|| self.region.range().start + offset as u64)
    }

    /// The kernel (direct-map) address of byte `offset`, for handing to
    /// fs/dax.c (`direct_access`); null past the end.  The memory behind
    /// it stays mapped until `self` is dropped.
    pub(crate) fn kaddr(&self, offset: usize) -> *mut ffi::c_void {
        if offset >= self.len {
            return core::ptr::null_mut();
        }
        // `offset` is inside the mapping (type invariant: `len` bytes).
        self.virt.wrapping_add(offset).cast()
    }

    /// The offset of kernel address `addr` in the mapping, if it is one of
    /// ours (the inverse of [`Self::kaddr`]).
    pub(crate) fn offset_of(&self, addr: *const ffi::c_void) -> Option<usize> {
        let off = (addr as usize).checked_sub(self.virt as usize)?;
        (off < self.len).then_some(off)
    }

    /// Copies `len` bytes at `offset` into `iter`; returns the bytes copied
    /// (fewer at the end of the mapping or of `iter`, or at memory that
    /// raises a machine check).  `_copy_mc_to_iter`, as pmem's reads and
    /// `dax_copy_to_iter`: device memory may be poisoned, and this copy
    /// stops short there instead of taking the kernel down.
    pub(crate) fn copy_to_iter(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterDest<'_>,
    ) -> usize {
        let len = self.clamp(offset, len);
        if len == 0 {
            return 0;
        }
        // SAFETY: `[offset, offset + len)` lies in the mapping, which is
        // valid (type invariant); `iter` is a valid destination iterator.
        unsafe {
            bindings::_copy_mc_to_iter(self.kaddr(offset).cast_const(), len, iter.as_mut_ptr())
        }
    }

    /// Copies `len` bytes from `iter` into the mapping at `offset`; returns
    /// the bytes copied.  `_copy_from_iter_flushcache`, as pmem's writes
    /// (`memcpy_flushcache`) and `dax_copy_from_iter` on a `DAXDEV_NOCACHE`
    /// device: the data goes to the memory, not to the CPU's cache, which a
    /// disk's writer does not read back soon.
    pub(crate) fn copy_from_iter(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        let len = self.clamp(offset, len);
        if len == 0 {
            return 0;
        }
        // SAFETY: as in `copy_to_iter`, with a source iterator (the function
        // refuses, with a WARN and 0, an iterator that is not a source).
        unsafe { bindings::_copy_from_iter_flushcache(self.kaddr(offset), len, iter.as_mut_ptr()) }
    }

    /// Writes zeroes over `len` bytes at `offset` (clamped to the mapping).
    pub(crate) fn write_zeroes(&self, offset: usize, len: usize) {
        let len = self.clamp(offset, len);
        if len == 0 {
            return;
        }
        // SAFETY: the range lies in the mapping, which is valid (type
        // invariant); it is disk storage, never a Rust object.
        unsafe { core::ptr::write_bytes(self.kaddr(offset).cast::<u8>(), 0, len) };
    }
}

impl Drop for DevPagemap {
    fn drop(&mut self) {
        // SAFETY: `pgmap` was mapped by `memremap_pages` (type invariant)
        // and is unmapped once; `memunmap_pages` drops the initial
        // references and waits for the rest (DAX mappings), then removes
        // the pages; `region` is released after this, by its own drop.
        unsafe { bindings::memunmap_pages(self.pgmap.get()) };
    }
}
