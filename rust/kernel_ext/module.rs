// SPDX-License-Identifier: GPL-2.0

//! A counted reference to this module whose last put never returns into
//! the module.
//!
//! C header: [`include/linux/module.h`](srctree/include/linux/module.h)
//!
//! loop.c pins itself with `__module_get` while a device is bound and puts
//! it in `__loop_clr_fd()`, from `lo_release()`, where the open block
//! device still pins the module.  rloop's clear runs later (task_work or a
//! workqueue), after the block device dropped its pin, so a plain
//! `module_put` there could let `rmmod` free the module's text while the
//! rest of the clear (and the callback's return) still runs in it.
//! [`ModuleRef`] therefore holds an anonymous file whose `f_op->owner` is
//! this module: `fops_get` took the reference when the file was made, and
//! its last `fput` puts it from `__fput()`, core code that runs from the
//! task's task_work or the delayed-fput worker after our callback returned.
//! The references share one such file while any is held (the shim's
//! `rloop_module_pin`): a bind takes a file reference, not a new file.

use crate::kernel_ext::fs::File;
use core::ptr::NonNull;
use kernel::{ffi, prelude::*, types::ARef};

extern "C" {
    // `struct file *` (as `void *`: bindgen's type embeds zero-sized
    // members that the FFI lint rejects), or an `ERR_PTR`.
    fn rloop_module_pin() -> *mut ffi::c_void;
}

/// Keeps this module loaded while it lives: `rmmod` fails with `EBUSY`
/// meanwhile.  Dropping it puts the module from core code, never from a
/// return into the module.
///
/// # Invariants
///
/// `_pin` is a file whose `f_op->owner` is this module.
pub(crate) struct ModuleRef {
    _pin: ARef<File>,
}

impl ModuleRef {
    /// Takes a reference (to the shim's pin file, made if there is none
    /// with references left).  Call it only where
    /// the module is already pinned (an open file of ours, as loop.c's "we
    /// have a reference from open()"), so that `try_module_get` cannot fail
    /// because the module is going away.
    pub(crate) fn get() -> Result<Self> {
        // SAFETY: `rloop_module_pin` may be called from process context; it
        // returns an `ERR_PTR` or a new file with a reference we own.
        let ptr = unsafe { rloop_module_pin() };
        let ptr = kernel::error::from_err_ptr(ptr)?;
        let ptr = NonNull::new(ptr.cast::<File>()).ok_or(ENOMEM)?;
        // INVARIANT: the shim's file has `rloop_pin_fops`, owned by us.
        Ok(Self {
            // SAFETY: `ptr` is a valid file we own a reference to; `File` is
            // `repr(transparent)` over `struct file`.
            _pin: unsafe { ARef::from_raw(ptr) },
        })
    }
}

/// Proof, for as long as it is borrowed, that this module cannot be
/// unloaded: handed by the abstractions to callbacks that the kernel runs
/// with a reference to the module held for them (block device operations
/// of an open disk: the block device holds `fops->owner`).
pub(crate) struct ModulePinned(());

impl ModulePinned {
    /// The proof, for a callback.
    ///
    /// # Safety
    ///
    /// The caller runs in a context that holds a reference to this module
    /// for at least `'a`.
    pub(crate) unsafe fn assume<'a>() -> &'a Self {
        &ModulePinned(())
    }
}
