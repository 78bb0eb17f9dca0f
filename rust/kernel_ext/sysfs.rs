// SPDX-License-Identifier: GPL-2.0

//! A disk's attribute group (`/sys/block/<disk>/<group>/`).
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)
//!
//! The group itself (names, modes, the `show` trampoline) is a C-only
//! structure and lives in the shim; it is the loop group: `backing_file`,
//! `offset`, `sizelimit`, `autoclear`, `partscan`, `dio`, in that order.
//! Values come from [`DiskAttributes::show`] by index.

use super::{
    block::mq::{operations::QueueDataBorrowed, DiskRef, Operations},
    fs::File,
};
use core::fmt;
use kernel::{bindings, error::to_result, ffi, prelude::*, types::ForeignOwnable};

extern "C" {
    // `disk`: `struct gendisk *` (as `void *`, see `fs.rs`).
    fn rloop_sysfs_add(
        disk: *mut ffi::c_void,
        show: unsafe extern "C" fn(*mut ffi::c_void, ffi::c_uint, *mut ffi::c_char) -> isize,
    ) -> ffi::c_int;
    fn rloop_sysfs_remove(disk: *mut ffi::c_void);
}

/// Attribute values of a disk's group.
pub(crate) trait DiskAttributes: Operations {
    /// Writes attribute number `index` of the group (newline-terminated)
    /// into `out`.
    fn show(data: QueueDataBorrowed<'_, Self>, index: usize, out: &mut SysfsBuf) -> Result;
}

/// The `PAGE_SIZE` buffer of a sysfs `show`.
///
/// # Invariants
///
/// `buf` is valid for `PAGE_SIZE` bytes of writes; `len < PAGE_SIZE`.
pub(crate) struct SysfsBuf {
    buf: *mut u8,
    len: usize,
}

impl fmt::Write for SysfsBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = bindings::PAGE_SIZE - 1 - self.len;
        if s.len() > room {
            return Err(fmt::Error);
        }
        // SAFETY: the destination is within the page (checked above, type
        // invariant) and does not overlap `s`, a Rust string.
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), s.len()) };
        self.len += s.len();
        Ok(())
    }
}

impl SysfsBuf {
    /// Writes the path of `file` and a newline, as loop.c's
    /// `backing_file` does (`file_path`).  Call it on an empty buffer.
    pub(crate) fn write_path(&mut self, file: &File) -> Result {
        if self.len != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `file` is open; `file_path` writes the path, NUL-terminated,
        // at the end of the `PAGE_SIZE - 1` bytes we give it and returns a
        // pointer into them, or an `ERR_PTR`.
        let p = unsafe {
            bindings::file_path(
                file.as_raw(),
                self.buf.cast(),
                (bindings::PAGE_SIZE - 1) as i32,
            )
        };
        let p = kernel::error::from_err_ptr(p)?;
        // SAFETY: `p` points to a NUL-terminated string inside the buffer.
        let n = unsafe { kernel::str::CStr::from_char_ptr(p) }.len();
        // SAFETY: source and destination are inside the buffer; `copy`
        // allows overlap (memmove); `n + 1 < PAGE_SIZE`.
        unsafe {
            core::ptr::copy(p.cast::<u8>(), self.buf, n);
            self.buf.add(n).write(b'\n');
            self.buf.add(n + 1).write(0);
        }
        self.len = n + 1;
        Ok(())
    }
}

impl DiskRef {
    /// Adds the shim's attribute group, with values from `T`.  The disk's
    /// `private_data` must be `T::QueueData` (disks built for `T`).
    pub(crate) fn add_attributes<T: DiskAttributes>(&self) -> Result {
        // SAFETY: the disk is valid and added; `show_callback::<T>` matches
        // the shim's prototype.
        to_result(unsafe { rloop_sysfs_add(self.as_raw().cast(), show_callback::<T>) })
    }

    /// Removes the group (waits for running `show` calls).
    pub(crate) fn remove_attributes(&self) {
        // SAFETY: the disk is valid; removing a group that is not there is
        // a no-op.
        unsafe { rloop_sysfs_remove(self.as_raw().cast()) };
    }
}

/// # Safety
///
/// Called by the shim's `show` for a disk built for `T` (so `data` is its
/// live `T::QueueData`: sysfs files go before the disk is freed), with a
/// `PAGE_SIZE` buffer.
unsafe extern "C" fn show_callback<T: DiskAttributes>(
    data: *mut ffi::c_void,
    index: ffi::c_uint,
    buf: *mut ffi::c_char,
) -> isize {
    // SAFETY: by the safety requirements.
    let data = unsafe { T::QueueData::borrow(data) };
    // INVARIANT: `buf` is a sysfs page.
    let mut out = SysfsBuf {
        buf: buf.cast(),
        len: 0,
    };
    match T::show(data, index as usize, &mut out) {
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
