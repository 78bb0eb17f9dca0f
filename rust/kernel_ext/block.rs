// SPDX-License-Identifier: GPL-2.0

//! Block devices: major registration and blk-mq disks.
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

pub(crate) mod mq;

/// Open for writing (`BLK_OPEN_WRITE`), in the `mode` of block device
/// `open` and `ioctl`.
pub(crate) const BLK_OPEN_WRITE: u32 = 1 << 1;

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{bindings, error::to_result, ffi, prelude::*, str::CStr, types::ForeignOwnable};

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
