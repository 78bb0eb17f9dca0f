// SPDX-License-Identifier: GPL-2.0

//! The loop module parameters (`max_loop`, `max_part`, `hw_queue_depth`),
//! and rloop's own (the memory-backed disks' `rdax_nr`, `rdax_size` and
//! `rdax_pool`, the loop devices' `workers`, and the debug knobs
//! `force_async_clear`, `fail_dio_wq` and `debug_delay_ms`).
//!
//! 6.12's `module!` cannot declare parameters, so `rloop_shim.c` does, with
//! loop.c's names, permissions and setters; this module reads them.  They
//! are read-only (0444) after load, so plain reads are race-free once
//! `init_module` runs.

extern "C" {
    static rloop_max_loop: kernel::ffi::c_int;
    static rloop_max_loop_specified: bool;
    static mut rloop_max_part: kernel::ffi::c_int;
    static rloop_hw_queue_depth: kernel::ffi::c_int;
    static rloop_force_async_clear: bool;
    static rloop_debug_delay_ms: kernel::ffi::c_uint;
    static rloop_fail_dio_wq: bool;
    static rloop_workers: kernel::ffi::c_uint;
    static rloop_max_workers: kernel::ffi::c_uint;
    static rloop_spread_reads: bool;
    static rloop_spread_dio_writes: bool;
    static rloop_blocking: bool;
    static rloop_rdax_nr: kernel::ffi::c_int;
    static rloop_rdax_size: kernel::ffi::c_ulong;
    static rloop_rdax_pool: *const kernel::ffi::c_char;
}

/// `max_loop`: devices to create at load (default 8), and with
/// [`max_loop_specified`], the upper bound for on-demand creation.
pub(crate) fn max_loop() -> i32 {
    // SAFETY: a parameter of this module, written only by the module loader
    // before `init_module` runs (permissions 0444: no sysfs writes).
    unsafe { rloop_max_loop }
}

/// Whether `max_loop` was given explicitly at load.
pub(crate) fn max_loop_specified() -> bool {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_max_loop_specified }
}

/// `max_part`: partitions per device (0: no partition scanning by default).
pub(crate) fn max_part() -> i32 {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_max_part }
}

/// Sets the `max_part` shown in sysfs, as loop_init() normalises it.
///
/// Called from module init only, before the driver reads it again.
pub(crate) fn set_max_part(v: i32) {
    // SAFETY: only module init writes it, once; a concurrent sysfs read of
    // the aligned int sees the old or the new value, as with loop.c.
    unsafe { rloop_max_part = v };
}

/// `hw_queue_depth`: tags per hardware queue (>= 1, checked by the setter).
pub(crate) fn hw_queue_depth() -> i32 {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_hw_queue_depth }
}

/// `force_async_clear` (debug, writable at run time): clear autoclear
/// devices on the workqueue even for user tasks.
pub(crate) fn force_async_clear() -> bool {
    // SAFETY: a `bool` parameter; sysfs writes store 0 or 1 whole, and a
    // volatile read sees one of them (READ_ONCE).
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(rloop_force_async_clear)) }
}

/// `debug_delay_ms` (debug, writable at run time): how long to sleep at
/// the lifetime windows the tests widen (0: never).
pub(crate) fn debug_delay_ms() -> u32 {
    // SAFETY: an aligned `uint` parameter; sysfs writes store it whole, and
    // a volatile read sees the old or the new value (READ_ONCE).
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(rloop_debug_delay_ms)) }
}

/// `fail_dio_wq` (debug, writable at run time): creating the direct I/O
/// completion workqueue fails, as under memory pressure.
pub(crate) fn fail_dio_wq() -> bool {
    // SAFETY: as for `force_async_clear`.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(rloop_fail_dio_wq)) }
}

/// `workers`: workers per loop device (0: one per CPU id; N: N, 1 being
/// loop.c's one for the device; at most [`max_workers`] either way, N
/// checked by the setter).
pub(crate) fn workers() -> u32 {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_workers }
}

/// `spread_reads`: a buffered read may go to a less busy request list of
/// its device than the submitting thread's.
pub(crate) fn spread_reads() -> bool {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_spread_reads }
}

/// `spread_dio_writes`: a write above 64 KiB that is real direct I/O
/// stays on its thread's request list.
pub(crate) fn spread_dio_writes() -> bool {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_spread_dio_writes }
}

/// `blocking`: loop devices get a blocking (SRCU) tag set.
pub(crate) fn blocking() -> bool {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_blocking }
}

/// The most workers a loop device gets (`workers`): the shim's
/// `RLOOP_MAX_WORKERS`, which also bounds the parameter.
pub(crate) fn max_workers() -> u32 {
    // SAFETY: a `const` object of the shim, initialised at compile time and
    // never written.
    unsafe { rloop_max_workers }
}

/// `rdax_nr`: memory-backed disks to create at load.
pub(crate) fn rdax_nr() -> i32 {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_rdax_nr }
}

/// `rdax_size`: size of each memory-backed disk, in KiB.
pub(crate) fn rdax_size_kib() -> u64 {
    // SAFETY: as for `max_loop`.
    unsafe { rloop_rdax_size as u64 }
}

/// `rdax_pool`: where DAX-capable rdax disks get their memory (`auto`,
/// `off`, or a physical address); `None` if unset (a null `charp`).
pub(crate) fn rdax_pool() -> Option<&'static kernel::str::CStr> {
    // SAFETY: as for `max_loop`: a `charp` parameter, set before
    // `init_module` and read-only afterwards.
    let p = unsafe { rloop_rdax_pool };
    // SAFETY: a non-null `charp` is a NUL-terminated string owned by the
    // module's parameter code until the module is unloaded.
    (!p.is_null()).then(|| unsafe { kernel::str::CStr::from_char_ptr(p) })
}
