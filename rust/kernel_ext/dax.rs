// SPDX-License-Identifier: GPL-2.0

//! DAX devices: a block device's memory handed to fs/dax.c.
//!
//! C header: [`include/linux/dax.h`](srctree/include/linux/dax.h)
//!
//! There is no upstream Rust abstraction.  [`DaxDevice`] does what
//! `pmem_attach_disk`/`pmem_release_disk` (drivers/nvdimm/pmem.c) do for
//! one disk: `alloc_dax` + `dax_add_host` when created, and on drop
//! `dax_remove_host`, `kill_dax` (no new operation starts; waits, through
//! `dax_srcu`, for those running) and `put_dax`, which must all happen
//! before the disk is deleted.  `dax.h` is not in 6.12's bindings, so the
//! C shim owns the `struct dax_operations` table (ANCHORS.md 3.2 (A)) and
//! calls the `rloop_dax_*_rs` functions below with the device's private
//! data, which leads back to the driver's [`Operations`].

use super::{block::mq::DiskRef, iov::IovIterSource};
use kernel::{error::from_err_ptr, ffi, prelude::*, sync::Arc, types::ARef};

extern "C" {
    // `struct dax_device *` and `struct gendisk *` as `void *`.
    fn rloop_alloc_dax(private: *mut ffi::c_void) -> *mut ffi::c_void;
    fn dax_add_host(dax_dev: *mut ffi::c_void, disk: *mut ffi::c_void) -> ffi::c_int;
    fn dax_remove_host(disk: *mut ffi::c_void);
    fn kill_dax(dax_dev: *mut ffi::c_void);
    fn put_dax(dax_dev: *mut ffi::c_void);
}

/// `enum dax_access_mode`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AccessMode {
    /// `DAX_ACCESS`: a normal access.
    Access,
    /// `DAX_RECOVERY_WRITE`: a write that clears poison.
    RecoveryWrite,
}

/// What `direct_access` found at a page offset.
pub(crate) struct Access {
    /// Contiguous pages available from there (at least 1).
    pub(crate) pages: usize,
    /// Their kernel address: the caller may access `pages` pages from it.
    pub(crate) kaddr: *mut ffi::c_void,
    /// Their physical address; the shim makes it a devmap pfn
    /// (`PFN_DEV | PFN_MAP`), so it must be `ZONE_DEVICE` memory.
    pub(crate) phys: u64,
}

/// The operations of a DAX device (`struct dax_operations`).
pub(crate) trait Operations: Send + Sync {
    /// `direct_access`: the memory behind page `pgoff` of the device, for
    /// up to `nr_pages` pages.  fs/dax.c copies from the kernel address
    /// without looking at the count returned when it asks without a pfn
    /// (xfs CoW and dedupe), so the whole requested range must be there.
    fn direct_access(&self, pgoff: usize, nr_pages: usize, mode: AccessMode) -> Result<Access>;

    /// `zero_page_range`: zero `nr_pages` pages from `pgoff`.
    fn zero_page_range(&self, pgoff: usize, nr_pages: usize) -> Result;

    /// `recovery_write`: write `bytes` from `iter` at `addr`, an address
    /// `direct_access` returned for `pgoff` in `RecoveryWrite` mode (plus
    /// an offset); returns the bytes written.
    fn recovery_write(
        &self,
        pgoff: usize,
        addr: *mut ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize;
}

/// Type-erased entry points, so the shim's table can be shared.
struct Dispatch {
    direct_access: unsafe fn(*const ffi::c_void, usize, usize, AccessMode) -> Result<Access>,
    zero_page_range: unsafe fn(*const ffi::c_void, usize, usize) -> Result,
    recovery_write: unsafe fn(
        *const ffi::c_void,
        usize,
        *mut ffi::c_void,
        usize,
        &mut IovIterSource<'_>,
    ) -> usize,
}

/// The private data of a dax device: a pointer to it is a pointer to its
/// first field (`repr(C)`), which the shim's callbacks use to dispatch.
#[repr(C)]
struct Holder<T: Operations> {
    dispatch: &'static Dispatch,
    data: Arc<T>,
}

impl<T: Operations> Holder<T> {
    const DISPATCH: Dispatch = Dispatch {
        direct_access: Self::direct_access,
        zero_page_range: Self::zero_page_range,
        recovery_write: Self::recovery_write,
    };

    /// # Safety
    ///
    /// `this` points to a live `Holder<T>`.
    unsafe fn direct_access(
        this: *const ffi::c_void,
        pgoff: usize,
        nr_pages: usize,
        mode: AccessMode,
    ) -> Result<Access> {
        // SAFETY: by the safety requirements.
        let this = unsafe { &*this.cast::<Self>() };
        this.data.direct_access(pgoff, nr_pages, mode)
    }

    /// # Safety
    ///
    /// As for `direct_access`.
    unsafe fn zero_page_range(this: *const ffi::c_void, pgoff: usize, nr_pages: usize) -> Result {
        // SAFETY: by the safety requirements.
        let this = unsafe { &*this.cast::<Self>() };
        this.data.zero_page_range(pgoff, nr_pages)
    }

    /// # Safety
    ///
    /// As for `direct_access`.
    unsafe fn recovery_write(
        this: *const ffi::c_void,
        pgoff: usize,
        addr: *mut ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        // SAFETY: by the safety requirements.
        let this = unsafe { &*this.cast::<Self>() };
        this.data.recovery_write(pgoff, addr, bytes, iter)
    }
}

/// The dispatch table of the holder at `private`.
///
/// # Safety
///
/// `private` is the private data of one of our dax devices, alive: a
/// `Holder<T>` for some `T`, whose first field is its `&'static Dispatch`.
unsafe fn dispatch(private: *mut ffi::c_void) -> &'static Dispatch {
    // SAFETY: by the safety requirements (`repr(C)`: the first field is at
    // offset 0).
    unsafe { *private.cast::<&'static Dispatch>() }
}

/// Called by the shim's `direct_access`.  Returns the pages available (> 0)
/// and sets `*kaddr` and `*phys`, or a negative errno.
///
/// # Safety
///
/// `private` is the private data of one of our live dax devices (fs/dax.c
/// calls the operations inside `dax_read_lock` after `dax_alive`, and
/// `DaxDevice::drop` kills the device before freeing it); `kaddr` and
/// `phys` are valid for writes.
#[no_mangle]
unsafe extern "C" fn rloop_dax_direct_access_rs(
    private: *mut ffi::c_void,
    pgoff: ffi::c_ulong,
    nr_pages: ffi::c_long,
    recovery: bool,
    kaddr: *mut *mut ffi::c_void,
    phys: *mut u64,
) -> ffi::c_long {
    let Ok(nr_pages) = usize::try_from(nr_pages) else {
        return EINVAL.to_errno() as ffi::c_long;
    };
    let mode = if recovery {
        AccessMode::RecoveryWrite
    } else {
        AccessMode::Access
    };
    // SAFETY: by the safety requirements.
    let d = unsafe { dispatch(private) };
    // SAFETY: `private` is the holder `d` belongs to.
    match unsafe { (d.direct_access)(private, pgoff, nr_pages, mode) } {
        Ok(a) => {
            // SAFETY: valid for writes (safety requirements).
            unsafe {
                *kaddr = a.kaddr;
                *phys = a.phys;
            }
            ffi::c_long::try_from(a.pages).unwrap_or(ffi::c_long::MAX)
        }
        Err(e) => e.to_errno() as ffi::c_long,
    }
}

/// Called by the shim's `zero_page_range`: 0 or a negative errno.
///
/// # Safety
///
/// As for `rloop_dax_direct_access_rs`.
#[no_mangle]
unsafe extern "C" fn rloop_dax_zero_page_range_rs(
    private: *mut ffi::c_void,
    pgoff: ffi::c_ulong,
    nr_pages: usize,
) -> ffi::c_int {
    // SAFETY: by the safety requirements.
    let d = unsafe { dispatch(private) };
    // SAFETY: `private` is the holder `d` belongs to.
    match unsafe { (d.zero_page_range)(private, pgoff, nr_pages) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Called by the shim's `recovery_write`: the bytes written.
///
/// # Safety
///
/// As for `rloop_dax_direct_access_rs`; `iter` is a valid source iterator
/// that nobody else uses during the call.
#[no_mangle]
unsafe extern "C" fn rloop_dax_recovery_write_rs(
    private: *mut ffi::c_void,
    pgoff: ffi::c_ulong,
    addr: *mut ffi::c_void,
    bytes: usize,
    iter: *mut kernel::bindings::iov_iter,
) -> usize {
    // SAFETY: by the safety requirements.
    let d = unsafe { dispatch(private) };
    // SAFETY: an `iov_iter` is a plain cursor that C code copies by value
    // (`iov_iter_save_state`); we work on a copy and store it back, so the
    // caller sees it advanced by what was written.  No array is owned.
    let mut it = unsafe { IovIterSource::from_raw(core::ptr::read(iter), core::ptr::null_mut()) };
    // SAFETY: `private` is the holder `d` belongs to.
    let n = unsafe { (d.recovery_write)(private, pgoff, addr, bytes, &mut it) };
    let (raw, _) = it.into_raw();
    // SAFETY: `iter` is valid for writes (safety requirements).
    unsafe { core::ptr::write(iter, raw) };
    n
}

/// A dax device registered as the DAX host of a disk.
///
/// # Invariants
///
/// `dax` came from a successful `alloc_dax` with `_holder` as private data
/// (only C reads it, through the shim) and was added with `dax_add_host`
/// for `disk`; both hold until drop.
pub(crate) struct DaxDevice<T: Operations> {
    dax: *mut ffi::c_void,
    disk: ARef<DiskRef>,
    _holder: Pin<KBox<Holder<T>>>,
}

// SAFETY: the dax functions we call may run on any thread; `T` is
// `Send + Sync`.
unsafe impl<T: Operations> Send for DaxDevice<T> {}
// SAFETY: `&self` gives no access to anything.
unsafe impl<T: Operations> Sync for DaxDevice<T> {}

impl<T: Operations> DaxDevice<T> {
    /// Allocates a dax device whose operations go to `data` and makes it
    /// the DAX host of `disk`, which file systems find by
    /// `fs_dax_get_by_bdev` when the disk's queue has `BLK_FEAT_DAX`.
    pub(crate) fn new(data: Arc<T>, disk: &DiskRef) -> Result<Self> {
        let holder = KBox::pin(
            Holder {
                dispatch: &Holder::<T>::DISPATCH,
                data,
            },
            GFP_KERNEL,
        )?;
        let private = core::ptr::from_ref::<Holder<T>>(&holder).cast_mut().cast();
        // SAFETY: `private` is a pinned holder that outlives the device
        // (it is freed after `kill_dax` + `put_dax` in `drop`).
        let dax = from_err_ptr(unsafe { rloop_alloc_dax(private) })?;
        // SAFETY: `dax` is a live dax device and `disk` a valid gendisk.
        let ret = unsafe { dax_add_host(dax, disk.as_raw().cast()) };
        if ret != 0 {
            // SAFETY: as pmem_attach_disk's error path: the device was
            // never found by anybody; kill it and drop our reference.
            unsafe {
                kill_dax(dax);
                put_dax(dax);
            }
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: allocated and added above.
        Ok(Self {
            dax,
            disk: disk.to_aref(),
            _holder: holder,
        })
    }
}

impl<T: Operations> Drop for DaxDevice<T> {
    fn drop(&mut self) {
        // SAFETY: as pmem_release_disk(), before the disk is deleted: no
        // new file system finds the device, then it is dead (operations
        // already running finish first: `kill_dax` waits for `dax_srcu`
        // readers), then our reference goes.  After this nothing calls
        // into `_holder`, which is freed with `self`.
        unsafe {
            dax_remove_host(self.disk.as_raw().cast());
            kill_dax(self.dax);
            put_dax(self.dax);
        }
    }
}
