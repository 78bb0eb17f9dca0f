// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the current task.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h)

use kernel::bindings;

/// Whether the current task has `CAP_SYS_ADMIN` (`capable(CAP_SYS_ADMIN)`;
/// sets `PF_SUPERPRIV` when it does, as in C).
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials, which is
    // always valid in process context (ioctl).
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}
