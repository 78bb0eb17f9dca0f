// SPDX-License-Identifier: GPL-2.0

//! Pages of a memory-backed disk.
//!
//! C header: [`include/linux/gfp.h`](srctree/include/linux/gfp.h)
//!
//! 6.12's `kernel::page::Page` cannot be rebuilt from a raw pointer, so it
//! cannot live in an [`XArray`](super::xarray::XArray).  [`ZeroedPage`] is
//! the one type of storage page here, and its only constructor allocates
//! with `__GFP_ZERO`: a page is zero before anybody can see it (seed 004).
//! Once stored it is reached through [`PageRef`], which copies data in
//! and out and can write zeroes over a range on a user's request (discard,
//! write-zeroes), but has no "zero this new page" operation, so no code can
//! zero a page another writer may already have written.

use super::iov::{IovIterDest, IovIterSource};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{bindings, ffi, prelude::*, types::ForeignOwnable};

/// `PAGE_SIZE`.
pub(crate) const PAGE_SIZE: usize = kernel::page::PAGE_SIZE;

/// An order-0 page, zeroed when allocated, owned.
///
/// # Invariants
///
/// `page` came from `alloc_pages(gfp | __GFP_ZERO, 0)` and is owned by this
/// value: it is freed (`__free_pages`) when the value drops.
pub(crate) struct ZeroedPage {
    page: NonNull<bindings::page>,
}

// SAFETY: a page may be used and freed from any thread.
unsafe impl Send for ZeroedPage {}
// SAFETY: `&ZeroedPage` gives no access to the data (see `PageRef`).
unsafe impl Sync for ZeroedPage {}

impl ZeroedPage {
    /// Allocates a zeroed page with `gfp` (`ENOMEM` if there is none).
    pub(crate) fn alloc(gfp: bindings::gfp_t) -> Result<Self> {
        // SAFETY: any gfp mask may be passed; order 0.
        let page = unsafe { bindings::alloc_pages(gfp | bindings::__GFP_ZERO, 0) };
        // INVARIANT: a non-null result is a zeroed page we own.
        Ok(Self {
            page: NonNull::new(page).ok_or(ENOMEM)?,
        })
    }
}

impl Drop for ZeroedPage {
    fn drop(&mut self) {
        // SAFETY: we own the page (type invariant).  Whoever mapped it
        // (DAX) has cleared `page->mapping` again before the page can be
        // dropped: the disk is gone, so is every file system on it.
        unsafe { bindings::__free_pages(self.page.as_ptr(), 0) };
    }
}

// `into_foreign` gives the `struct page` pointer (aligned, so a valid
// XArray entry), `from_foreign` takes it back once, and `borrow` hands out
// a `PageRef` that cannot outlive the storage (its lifetime is the
// caller's promise).
impl ForeignOwnable for ZeroedPage {
    type Borrowed<'a> = PageRef<'a>;

    fn into_foreign(self) -> *const ffi::c_void {
        let page = self.page.as_ptr();
        core::mem::forget(self);
        page.cast_const().cast()
    }

    unsafe fn borrow<'a>(ptr: *const ffi::c_void) -> PageRef<'a> {
        PageRef {
            // SAFETY: `ptr` came from `into_foreign`, so it is not null.
            page: unsafe { NonNull::new_unchecked(ptr.cast_mut().cast()) },
            _p: PhantomData,
        }
    }

    unsafe fn from_foreign(ptr: *const ffi::c_void) -> Self {
        Self {
            // SAFETY: as in `borrow`; ownership comes back once.
            page: unsafe { NonNull::new_unchecked(ptr.cast_mut().cast()) },
        }
    }
}

/// A stored page, borrowed for `'a`.
///
/// # Invariants
///
/// `page` is a live page for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct PageRef<'a> {
    page: NonNull<bindings::page>,
    _p: PhantomData<&'a ZeroedPage>,
}

impl PageRef<'_> {
    /// The `struct page`.
    pub(crate) fn as_ptr(&self) -> *mut bindings::page {
        self.page.as_ptr()
    }

    /// Copies `len` bytes at `offset` into `iter`; returns the bytes copied
    /// (fewer if the page raises a machine check: `_copy_mc_to_iter`, as
    /// the kernel copies pages it can recover from poison in, e.g.
    /// `copy_mc_user_highpage`; it also calls the out-of-line `memcpy`,
    /// as brd's copy does).
    pub(crate) fn copy_to_iter(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterDest<'_>,
    ) -> usize {
        let len = len.min(PAGE_SIZE.saturating_sub(offset));
        // SAFETY: the page is live (type invariant); `kmap_local_page` maps
        // it until `kunmap_local` below, on this task, and the range is
        // inside it; `iter` is a valid destination iterator.
        unsafe {
            let addr = bindings::kmap_local_page(self.as_ptr());
            let done = bindings::_copy_mc_to_iter(
                addr.cast::<u8>().add(offset).cast_const().cast(),
                len,
                iter.as_mut_ptr(),
            );
            bindings::kunmap_local(addr);
            done
        }
    }

    /// Copies `len` bytes from `iter` into the page at `offset`; returns the
    /// bytes copied.
    pub(crate) fn copy_from_iter(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        let len = len.min(PAGE_SIZE.saturating_sub(offset));
        // SAFETY: as in `copy_to_iter`, with a source iterator.
        unsafe { bindings::copy_page_from_iter(self.as_ptr(), offset, len, iter.as_mut_ptr()) }
    }

    /// Writes zeroes over `len` bytes at `offset`: a user's discard or
    /// write-zeroes, i.e. a data write like any other, never part of
    /// making a new page visible.
    pub(crate) fn write_zeroes(&self, offset: usize, len: usize) {
        let len = len.min(PAGE_SIZE.saturating_sub(offset));
        // SAFETY: the page is live; `kmap_local_page` maps it for this
        // scope, and the range is inside it.
        unsafe {
            let addr = bindings::kmap_local_page(self.as_ptr());
            core::ptr::write_bytes(addr.cast::<u8>().add(offset), 0, len);
            bindings::kunmap_local(addr);
        }
    }
}
