// SPDX-License-Identifier: GPL-2.0

//! Block device registration.
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use kernel::{bindings, error::to_result, prelude::*, str::CStr};

/// A registered block device major number (`__register_blkdev`).
///
/// # Invariants
///
/// `major` is registered under `name` for as long as this value lives.
pub(crate) struct MajorRegistration {
    major: u32,
    name: &'static CStr,
}

impl MajorRegistration {
    /// Registers the fixed block major `major` under `name` (shown in
    /// `/proc/devices`).
    pub(crate) fn new(major: u32, name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and lives for `'static`, as
        // `__register_blkdev` keeps the pointer until `unregister_blkdev`; a
        // NULL probe callback is allowed (blkdev_get_no_open skips it).
        to_result(unsafe { bindings::__register_blkdev(major, name.as_char_ptr(), None) })?;
        // INVARIANT: registration succeeded just above.
        Ok(Self { major, name })
    }

    /// The registered major number.
    pub(crate) fn major(&self) -> u32 {
        self.major
    }
}

impl Drop for MajorRegistration {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, `major` is registered under `name`.
        unsafe { bindings::unregister_blkdev(self.major, self.name.as_char_ptr()) };
    }
}
