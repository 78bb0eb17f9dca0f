// SPDX-License-Identifier: GPL-2.0

//! CPU numbers: upstream's `kernel::cpu` (`nr_cpu_ids`, `CpuId::current`),
//! which 6.12 lacks.
//!
//! C headers: [`include/linux/smp.h`](srctree/include/linux/smp.h),
//! [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)

extern "C" {
    fn rloop_raw_smp_processor_id() -> kernel::ffi::c_uint;
    fn rloop_nr_cpu_ids() -> kernel::ffi::c_uint;
}

/// The number of CPU ids (`nr_cpu_ids`): every CPU number is below it.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a value set during boot, constant afterwards.
    unsafe { rloop_nr_cpu_ids() }
}

/// A CPU number.
///
/// # Invariants
///
/// The number is below [`nr_cpu_ids`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CpuId(u32);

impl CpuId {
    /// The CPU the caller runs on (`raw_smp_processor_id()`): a hint, since
    /// the task may move to another CPU right after unless preemption is
    /// off.
    pub(crate) fn current() -> Self {
        // INVARIANT: the kernel numbers CPUs below `nr_cpu_ids`.
        // SAFETY: reads the current CPU's number; any context may.
        Self(unsafe { rloop_raw_smp_processor_id() })
    }

    /// The number as a `u32`.
    pub(crate) fn as_u32(self) -> u32 {
        self.0
    }
}
