// SPDX-License-Identifier: GPL-2.0

//! Sleeping for a while.
//!
//! C header: [`include/linux/delay.h`](srctree/include/linux/delay.h)
//!
//! Upstream has `kernel::time::delay::fsleep` (≈6.16); 6.12 has nothing,
//! and `msleep` is all rloop needs (a waiter for another task's short work).

/// Sleeps for at least `ms` milliseconds (`msleep`).  Must be called where
/// sleeping is allowed.
pub(crate) fn msleep(ms: u32) {
    // SAFETY: `msleep` has no preconditions beyond a sleepable context,
    // which the caller provides (and `might_sleep` checks it in debug
    // kernels).
    unsafe { kernel::bindings::msleep(ms) };
}
