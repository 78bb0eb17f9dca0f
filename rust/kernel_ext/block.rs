// SPDX-License-Identifier: GPL-2.0

//! Block devices: major registration and blk-mq disks.
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

pub(crate) mod bio;
pub(crate) mod mq;

/// Open for writing (`BLK_OPEN_WRITE`), in the `mode` of block device
/// `open` and `ioctl`.
pub(crate) const BLK_OPEN_WRITE: u32 = 1 << 1;

/// Opened exclusively (`BLK_OPEN_EXCL`): the opener holds the claim.
pub(crate) const BLK_OPEN_EXCL: u32 = 1 << 2;

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{
    bindings,
    error::to_result,
    ffi,
    prelude::*,
    str::CStr,
    types::{ForeignOwnable, Opaque},
};
use mq::DiskRef;

/// An open `struct block_device` (the disk or one of its partitions), as
/// handed to the `ioctl` callbacks.
///
/// # Invariants
///
/// The block device is open, hence valid along with its disk, for as long
/// as the reference lives.
#[repr(transparent)]
pub(crate) struct BlockDevice(Opaque<bindings::block_device>);

impl BlockDevice {
    /// # Safety
    ///
    /// `ptr` is an open block device for the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::block_device) -> &'a Self {
        // SAFETY: `BlockDevice` is `repr(transparent)`; validity by the
        // safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut bindings::block_device {
        self.0.get()
    }

    /// The disk the block device belongs to (`bdev->bd_disk`).
    pub(crate) fn disk(&self) -> &DiskRef {
        // SAFETY: an open block device has a valid `bd_disk` that lives at
        // least as long as the block device (type invariant).
        unsafe { DiskRef::from_raw((*self.as_raw()).bd_disk) }
    }

    /// Claims the block device for `holder` (`bd_prepare_to_claim`), as a
    /// driver does before changing a device it did not open exclusively:
    /// `EBUSY` if somebody else holds it (a mounted file system); waits
    /// while another claim is in progress.  The claim ends when the guard
    /// drops (`bd_abort_claiming`).
    pub(crate) fn prepare_to_claim(&self, holder: &'static ClaimHolder) -> Result<Claim<'_>> {
        // SAFETY: the block device is open (type invariant); `holder` is a
        // non-null address that no other claimer uses; `hops` may be NULL.
        to_result(unsafe {
            bindings::bd_prepare_to_claim(self.as_raw(), holder.as_ptr(), core::ptr::null())
        })?;
        // INVARIANT: the claim succeeded just above.
        Ok(Claim { bdev: self, holder })
    }
}

/// The identity of a claimer: a distinct static per purpose, as loop.c uses
/// the address of the function that claims.
pub(crate) struct ClaimHolder {
    /// Not zero-sized, so that every holder has its own address.
    _unique: u8,
}

impl ClaimHolder {
    /// A holder; each `static` has its own address.
    pub(crate) const fn new() -> Self {
        Self { _unique: 0 }
    }

    fn as_ptr(&'static self) -> *mut ffi::c_void {
        (self as *const Self).cast_mut().cast()
    }
}

/// A claim in progress on a block device (see
/// [`BlockDevice::prepare_to_claim`]).
///
/// # Invariants
///
/// `bd_prepare_to_claim(bdev, holder)` succeeded and was not aborted yet.
pub(crate) struct Claim<'a> {
    bdev: &'a BlockDevice,
    holder: &'static ClaimHolder,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, `holder` claims `bdev`, which is
        // still open (it outlives `'a`).
        unsafe { bindings::bd_abort_claiming(self.bdev.as_raw(), self.holder.as_ptr()) };
    }
}

/// Creates devices on demand: called when user space opens a device number
/// of the registered major that has no disk yet (`blk_request_module`).
pub(crate) trait Probe {
    /// Data of the registration, handed to every call.
    type Ptr: ForeignOwnable + Send + Sync;

    /// `devt` is the device number being opened.
    fn probe(data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>, devt: u32);
}

/// The data of the one registration with a probe (C's probe callback has no
/// context argument).  Null when there is none.
static PROBE_DATA: AtomicPtr<ffi::c_void> = AtomicPtr::new(core::ptr::null_mut());

/// A registered block device major number (`__register_blkdev`).
///
/// # Invariants
///
/// `major` is registered under `name`, with `probe_callback::<P>` as probe
/// function, for as long as this value lives; meanwhile `PROBE_DATA` holds
/// `P::Ptr::into_foreign` of the registration's data.
pub(crate) struct MajorRegistration<P: Probe> {
    major: u32,
    name: &'static CStr,
    _p: PhantomData<P>,
}

impl<P: Probe> MajorRegistration<P> {
    /// Registers the fixed block major `major` under `name` (shown in
    /// `/proc/devices`), with `P` creating devices on demand from `data`.
    /// Only one registration with a probe may exist at a time (`EBUSY`).
    pub(crate) fn new(major: u32, name: &'static CStr, data: P::Ptr) -> Result<Self> {
        let data = data.into_foreign();
        if PROBE_DATA
            .compare_exchange(
                core::ptr::null_mut(),
                data.cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `data` came from `into_foreign` just above, unshared.
            drop(unsafe { P::Ptr::from_foreign(data) });
            return Err(EBUSY);
        }
        // SAFETY: `name` is NUL-terminated and lives for `'static`, as
        // `__register_blkdev` keeps the pointer until `unregister_blkdev`;
        // `probe_callback::<P>` has the `void (*)(dev_t)` prototype it expects.
        let ret = to_result(unsafe {
            bindings::__register_blkdev(major, name.as_char_ptr(), Some(Self::probe_callback))
        });
        if let Err(e) = ret {
            Self::release_data();
            return Err(e);
        }
        // INVARIANT: registration succeeded just above.
        Ok(Self {
            major,
            name,
            _p: PhantomData,
        })
    }

    /// Clears `PROBE_DATA` and releases the data it held.
    fn release_data() {
        let data = PROBE_DATA.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `data` came from `P::Ptr::into_foreign` in `new`, and the
        // probe callback that borrows it can no longer run.
        drop(unsafe { P::Ptr::from_foreign(data) });
    }

    /// # Safety
    ///
    /// Called by `blk_request_module` with `major_names_lock` held, so never
    /// concurrently with `unregister_blkdev` of this major: `PROBE_DATA` is
    /// set and live.
    unsafe extern "C" fn probe_callback(devt: bindings::dev_t) {
        let data = PROBE_DATA.load(Ordering::Acquire);
        // SAFETY: `data` came from `P::Ptr::into_foreign` and is released
        // only after `unregister_blkdev` (safety requirements).
        let data = unsafe { P::Ptr::borrow(data) };
        P::probe(data, devt)
    }
}

impl<P: Probe> Drop for MajorRegistration<P> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, `major` is registered under `name`;
        // after this returns no probe callback runs (`major_names_lock`).
        unsafe { bindings::unregister_blkdev(self.major, self.name.as_char_ptr()) };
        Self::release_data();
    }
}
