// SPDX-License-Identifier: GPL-2.0

//! CPU numbers: upstream's `kernel::cpu::nr_cpu_ids`, which 6.12 lacks.
//!
//! C header: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)

extern "C" {
    fn rloop_nr_cpu_ids() -> kernel::ffi::c_uint;
}

/// The number of CPU ids (`nr_cpu_ids`): every CPU number is below it.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a value set during boot, constant afterwards.
    unsafe { rloop_nr_cpu_ids() }
}
