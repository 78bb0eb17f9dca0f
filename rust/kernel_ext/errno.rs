// SPDX-License-Identifier: GPL-2.0

//! Error codes that 6.12's `kernel::error::code` does not declare.

use kernel::{bindings, error::Error};

/// "Invalid system call number" (`ENOSYS`): loop-control's unknown ioctl.
pub(crate) fn enosys() -> Error {
    Error::from_errno(-(bindings::ENOSYS as i32))
}

/// "Value too large for defined data type" (`EOVERFLOW`).
pub(crate) fn eoverflow() -> Error {
    Error::from_errno(-(bindings::EOVERFLOW as i32))
}

/// "Operation not supported" (`EOPNOTSUPP`).
pub(crate) fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as i32))
}
