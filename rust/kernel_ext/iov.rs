// SPDX-License-Identifier: GPL-2.0

//! I/O vector iterators over kernel pages.
//!
//! C header: [`include/linux/uio.h`](srctree/include/linux/uio.h)
//!
//! Shaped like upstream's `kernel::iov` (≈6.18): the direction is part of the
//! type, so data read from a file can only go into an [`IovIterDest`] and
//! data written to a file can only come from an [`IovIterSource`].  Ours are
//! built over a block request's bvecs ([`super::block::mq::Request`]).

use core::marker::PhantomData;
use kernel::{bindings, ffi};

/// Marker: the iterator is filled (`ITER_DEST`, a read).
pub(crate) struct Dest;
/// Marker: the iterator is drained (`ITER_SOURCE`, a write).
pub(crate) struct Source;

/// An `iov_iter` of `ITER_BVEC` type.
///
/// # Invariants
///
/// `raw` was set up by `iov_iter_bvec` over pages that stay valid for `'a`
/// (the pages of a request borrowed for `'a`: the iterator cannot outlive
/// the request's end), through its bvecs or the array in `alloc`, which we
/// own and free on drop.  Not `Send`: it lives on the stack of one I/O.
pub(crate) struct IovIter<'a, D> {
    raw: bindings::iov_iter,
    alloc: *mut bindings::bio_vec,
    _d: PhantomData<(D, *mut (), &'a ())>,
}

/// An iterator to read into.
pub(crate) type IovIterDest<'a> = IovIter<'a, Dest>;
/// An iterator to write from.
pub(crate) type IovIterSource<'a> = IovIter<'a, Source>;

impl<D> IovIter<'_, D> {
    /// Wraps an iterator set up over `alloc` (or the request's own bvecs
    /// when `alloc` is null).
    ///
    /// # Safety
    ///
    /// `raw` is an initialised bvec iterator of direction `D` whose pages
    /// stay valid for the lifetime of the new value; `alloc` is null or a `kmalloc`ed
    /// array it uses, owned by the new value.
    pub(crate) unsafe fn from_raw(raw: bindings::iov_iter, alloc: *mut bindings::bio_vec) -> Self {
        // INVARIANT: by the safety requirements.
        Self {
            raw,
            alloc,
            _d: PhantomData,
        }
    }

    /// The C iterator, for the functions that advance it.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut bindings::iov_iter {
        &mut self.raw
    }

    /// Skips `bytes` (`iov_iter_advance`, clamped at the end).
    pub(crate) fn advance(&mut self, bytes: usize) {
        // SAFETY: `raw` is an initialised iterator (type invariant).
        unsafe { bindings::iov_iter_advance(&mut self.raw, bytes) };
    }

    /// The C iterator and the array to `kfree` once the I/O that uses it
    /// has ended (or null): for an asynchronous transfer, which outlives
    /// this value.
    pub(crate) fn into_raw(self) -> (bindings::iov_iter, *mut bindings::bio_vec) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so moving `raw` out (a plain C
        // struct) leaves nothing to double-free; `alloc` passes to the
        // caller.
        (unsafe { core::ptr::read(&this.raw) }, this.alloc)
    }
}

impl IovIter<'_, Dest> {
    /// Fills `bytes` of the destination with zeroes (`iov_iter_zero`);
    /// returns the bytes filled.
    pub(crate) fn zero(&mut self, bytes: usize) -> usize {
        // SAFETY: `raw` is an initialised destination iterator.
        unsafe { bindings::iov_iter_zero(bytes, &mut self.raw) }
    }
}

impl<D> Drop for IovIter<'_, D> {
    fn drop(&mut self) {
        // SAFETY: `alloc` is null or a `kmalloc`ed array we own (type
        // invariant); `kfree(NULL)` is a no-op.
        unsafe { bindings::kfree(self.alloc.cast::<ffi::c_void>()) };
    }
}
