// SPDX-License-Identifier: GPL-2.0

//! An insert-only XArray.
//!
//! C header: [`include/linux/xarray.h`](srctree/include/linux/xarray.h)
//!
//! Shaped like upstream's `kernel::xarray::XArray<T: ForeignOwnable>`
//! (≈6.16), restricted to what a memory-backed disk needs and can use
//! safely without a lock guard: entries are inserted if absent and live
//! until the array is dropped.  Because nothing removes an entry while the
//! array is shared, a borrowed entry stays valid for as long as the array
//! is borrowed, and [`XArray::get_or_insert`] is the seed-004 pattern:
//! the caller prepares its candidate privately (a zeroed page), the array
//! publishes it only if the index is empty, and a loser's candidate is
//! dropped while the winner's entry is returned, untouched.

use core::marker::PhantomData;
use kernel::{bindings, ffi, prelude::*, types::ForeignOwnable, types::Opaque};

extern "C" {
    // `struct xarray *` as `void *` (see block/mq/request.rs).
    fn rloop_xa_init(xa: *mut ffi::c_void);
    fn rloop_xa_lock(xa: *mut ffi::c_void);
    fn rloop_xa_unlock(xa: *mut ffi::c_void);
    fn rloop_xa_load_range(
        xa: *mut ffi::c_void,
        first: ffi::c_ulong,
        out: *mut *mut ffi::c_void,
        n: ffi::c_uint,
    );
}

/// `XA_PRESENT`: the search mark for "any entry" (a cast macro bindgen
/// does not translate).
const XA_PRESENT: bindings::xa_mark_t = 8;

/// An XArray of `T`, insert-only.
///
/// # Invariants
///
/// `xa` is an initialised `struct xarray` whose entries all came from
/// `T::into_foreign`; entries are removed only by `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct XArray<T: ForeignOwnable> {
    #[pin]
    xa: Opaque<bindings::xarray>,
    _p: PhantomData<T>,
}

// SAFETY: the XArray's own lock makes it usable from any thread; `T`s cross
// threads when inserted and dropped.
unsafe impl<T: ForeignOwnable + Send> Send for XArray<T> {}
// SAFETY: `&XArray` only loads (RCU-safe) and inserts under the lock.
unsafe impl<T: ForeignOwnable + Send + Sync> Sync for XArray<T> {}

impl<T: ForeignOwnable> XArray<T> {
    /// An empty array (`xa_init`).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `xa_init` initialises the structure in place.
            xa <- Opaque::ffi_init(|slot: *mut bindings::xarray| unsafe {
                rloop_xa_init(slot.cast())
            }),
            _p: PhantomData,
        })
    }

    fn raw(&self) -> *mut bindings::xarray {
        self.xa.get()
    }

    /// The entry at `index`, if any (`xa_load`).
    pub(crate) fn get(&self, index: usize) -> Option<T::Borrowed<'_>> {
        // SAFETY: the array is initialised; `xa_load` takes the RCU read
        // lock itself.
        let ptr = unsafe { bindings::xa_load(self.raw(), index as ffi::c_ulong) };
        // SAFETY: a non-null entry came from `T::into_foreign` and is not
        // removed while `&self` lives (type invariant).
        (!ptr.is_null()).then(|| unsafe { T::borrow(ptr) })
    }

    /// The entries at `first`, `first + 1`... `first + count - 1` (`None`
    /// where empty; `count` at most `N`, the rest of the array `None`),
    /// looked up with one cursor under one RCU read lock (`xas_load` +
    /// `xas_next`) instead of one walk from the root each (`xa_load`).
    /// Indices past `usize::MAX` read as empty.
    pub(crate) fn get_run<const N: usize>(
        &self,
        first: usize,
        count: usize,
    ) -> [Option<T::Borrowed<'_>>; N] {
        let mut raw = [core::ptr::null_mut::<ffi::c_void>(); N];
        let n = (usize::MAX - first).saturating_add(1).min(count).min(N);
        // SAFETY: the array is initialised; `raw` has room for `n <= N`
        // entries; the function takes the RCU read lock itself.
        unsafe {
            rloop_xa_load_range(
                self.raw().cast(),
                first as ffi::c_ulong,
                raw.as_mut_ptr(),
                n as ffi::c_uint,
            )
        };
        // SAFETY: a non-null entry came from `T::into_foreign` and is not
        // removed while `&self` lives (type invariant), so it stays valid
        // after the RCU read lock is dropped.
        raw.map(|p| (!p.is_null()).then(|| unsafe { T::borrow(p) }))
    }

    /// The entry at `index`: `value` if the index was empty (`__xa_insert`
    /// under the lock), otherwise the entry already there, and `value` is
    /// dropped.  `ENOMEM` (with `value` dropped) if the array cannot grow.
    pub(crate) fn get_or_insert(
        &self,
        index: usize,
        value: T,
        gfp: bindings::gfp_t,
    ) -> Result<T::Borrowed<'_>> {
        let ptr = value.into_foreign();
        // SAFETY: the array is initialised; its lock is held around
        // `__xa_insert` (which may drop and retake it to allocate); `ptr`
        // is a valid, aligned entry.
        let ret = unsafe {
            rloop_xa_lock(self.raw().cast());
            let ret = bindings::__xa_insert(self.raw(), index as ffi::c_ulong, ptr.cast_mut(), gfp);
            rloop_xa_unlock(self.raw().cast());
            ret
        };
        if ret == 0 {
            // SAFETY: just stored; never removed while `&self` lives.
            return Ok(unsafe { T::borrow(ptr) });
        }
        // SAFETY: not stored, so we still own it: the loser's candidate.
        drop(unsafe { T::from_foreign(ptr) });
        if ret == -(bindings::EBUSY as i32) {
            // Somebody else's entry is there, and stays (insert-only).
            return self.get(index).ok_or(EIO);
        }
        Err(Error::from_errno(ret))
    }
}

#[pinned_drop]
impl<T: ForeignOwnable> PinnedDrop for XArray<T> {
    fn drop(self: Pin<&mut Self>) {
        let mut index: ffi::c_ulong = 0;
        loop {
            // SAFETY: the array is initialised and no longer shared.
            let ptr =
                unsafe { bindings::xa_find(self.raw(), &mut index, ffi::c_ulong::MAX, XA_PRESENT) };
            if ptr.is_null() {
                break;
            }
            // SAFETY: every entry came from `T::into_foreign`; each is taken
            // back once (the index then moves past it).
            drop(unsafe { T::from_foreign(ptr) });
            match index.checked_add(1) {
                Some(i) => index = i,
                None => break,
            }
        }
        // SAFETY: frees the array's nodes; the entries were dropped above.
        unsafe { bindings::xa_destroy(self.raw()) };
    }
}
