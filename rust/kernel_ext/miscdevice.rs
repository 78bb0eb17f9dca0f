// SPDX-License-Identifier: GPL-2.0

//! Miscellaneous character devices (`/dev/loop-control`).
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h)
//!
//! Shaped like upstream's `kernel::miscdevice` (≈6.13): a `#[vtable]`
//! [`MiscDevice`] trait with `type Ptr: ForeignOwnable` and a
//! [`MiscDeviceRegistration`] that deregisters on drop.  6.12's bindings
//! have no `struct miscdevice`, so the C shim owns the structure and its
//! `file_operations` (with `.owner = THIS_MODULE`) and forwards
//! `unlocked_ioctl`/`compat_ioctl` here with the registration's data.  The
//! shim has one device, the loop control node, so one registration can
//! exist at a time.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{error::to_result, ffi, prelude::*, types::ForeignOwnable};

extern "C" {
    fn rloop_ctl_register(
        ioctl: unsafe extern "C" fn(*mut ffi::c_void, ffi::c_uint, ffi::c_ulong) -> ffi::c_long,
        ctx: *mut ffi::c_void,
    ) -> ffi::c_int;
    fn rloop_ctl_deregister();
}

/// Operations of a misc device.
#[vtable]
pub(crate) trait MiscDevice: Sized {
    /// Data of the device, handed to every call.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Handles `unlocked_ioctl` (and `compat_ioctl`, for devices whose
    /// arguments are plain integers).
    fn ioctl(
        device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        cmd: u32,
        arg: usize,
    ) -> Result<isize>;
}

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// A registered misc device.
///
/// # Invariants
///
/// The shim's misc device is registered with `ioctl_callback::<T>` and
/// `data` (from `T::Ptr::into_foreign`) for as long as this value lives.
pub(crate) struct MiscDeviceRegistration<T: MiscDevice> {
    data: *const ffi::c_void,
    _p: PhantomData<T>,
}

// SAFETY: `data` is a `T::Ptr`, which is `Send + Sync`.
unsafe impl<T: MiscDevice> Send for MiscDeviceRegistration<T> {}
// SAFETY: `&self` gives no access to `data`.
unsafe impl<T: MiscDevice> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Registers the control node with `data`; `EBUSY` if it is already
    /// registered.
    pub(crate) fn register(data: T::Ptr) -> Result<Self> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        let data = data.into_foreign();
        // SAFETY: `ioctl_callback::<T>` has exactly the prototype of the
        // shim's `rloop_ctl_ioctl_fn`; `data` stays valid until after
        // `misc_deregister` (released in `drop`); we may sleep here.
        let ret = to_result(unsafe { rloop_ctl_register(Self::ioctl_callback, data.cast_mut()) });
        if let Err(e) = ret {
            // SAFETY: `data` came from `into_foreign` just above and the
            // device was not registered, so nothing else uses it.
            drop(unsafe { T::Ptr::from_foreign(data) });
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }
        // INVARIANT: registered just above.
        Ok(Self {
            data,
            _p: PhantomData,
        })
    }

    /// # Safety
    ///
    /// Called by the shim's `file_operations` of the registered device, in
    /// process context, with the `ctx` given to `rloop_ctl_register`.  An
    /// open file of the device pins the module, so the registration (and
    /// `ctx`) outlives the call.
    unsafe extern "C" fn ioctl_callback(
        ctx: *mut ffi::c_void,
        cmd: ffi::c_uint,
        arg: ffi::c_ulong,
    ) -> ffi::c_long {
        // SAFETY: `ctx` came from `T::Ptr::into_foreign` and is live (safety
        // requirements).
        let device = unsafe { T::Ptr::borrow(ctx) };
        match T::ioctl(device, cmd, arg) {
            Ok(v) => v as ffi::c_long,
            Err(e) => e.to_errno() as ffi::c_long,
        }
    }
}

impl<T: MiscDevice> Drop for MiscDeviceRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the device is registered.  The shim
        // deregisters it, waits for the calls in flight and fails later
        // ones (through files opened before) with ENODEV, so nothing uses
        // `data` after this, even on module init's error path.
        unsafe { rloop_ctl_deregister() };
        // SAFETY: `data` came from `into_foreign` in `register` and is
        // released once, here.
        drop(unsafe { T::Ptr::from_foreign(self.data) });
        REGISTERED.store(false, Ordering::Release);
    }
}
