// SPDX-License-Identifier: GPL-2.0

//! A counted reference to this module.
//!
//! C header: [`include/linux/module.h`](srctree/include/linux/module.h)

/// Keeps this module loaded while it lives (`__module_get`/`module_put`):
/// `rmmod` fails with `EBUSY` meanwhile.
pub(crate) struct ModuleRef(());

impl ModuleRef {
    /// Takes a reference.  Call it only where the module is already pinned
    /// (an open file of ours, as loop.c's "we have a reference from
    /// open()"), which `__module_get` requires.
    pub(crate) fn get() -> Self {
        // SAFETY: `THIS_MODULE` is this module, which is live and pinned by
        // the caller (see above).
        unsafe { kernel::bindings::__module_get(crate::THIS_MODULE.as_ptr()) };
        Self(())
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference taken in `get`.
        unsafe { kernel::bindings::module_put(crate::THIS_MODULE.as_ptr()) };
    }
}
