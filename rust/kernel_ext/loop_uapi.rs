// SPDX-License-Identifier: GPL-2.0

//! The loop device uAPI (`struct loop_info`, `loop_info64`, `loop_config`).
//!
//! C header: [`include/uapi/linux/loop.h`](srctree/include/uapi/linux/loop.h)
//!
//! 6.12's bindings do not include `linux/loop.h`, so the layouts are copied
//! here (they are stable ABI) and checked against the C compiler's view in
//! [`check_layouts`].

use kernel::{prelude::*, types::FromBytes};

/// Size of the file and crypt name fields (`LO_NAME_SIZE`).
pub(crate) const LO_NAME_SIZE: usize = 64;
/// Size of the (unused) key field (`LO_KEY_SIZE`).
pub(crate) const LO_KEY_SIZE: usize = 32;

/// `lo_flags` bits.
pub(crate) mod flags {
    pub(crate) const LO_FLAGS_READ_ONLY: u32 = 1;
    pub(crate) const LO_FLAGS_AUTOCLEAR: u32 = 4;
    pub(crate) const LO_FLAGS_PARTSCAN: u32 = 8;
    pub(crate) const LO_FLAGS_DIRECT_IO: u32 = 16;
    /// What `LOOP_SET_STATUS` may set.
    pub(crate) const LOOP_SET_STATUS_SETTABLE_FLAGS: u32 = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
    /// What `LOOP_SET_STATUS` may clear.
    pub(crate) const LOOP_SET_STATUS_CLEARABLE_FLAGS: u32 = LO_FLAGS_AUTOCLEAR;
    /// What `LOOP_CONFIGURE` accepts.
    pub(crate) const LOOP_CONFIGURE_SETTABLE_FLAGS: u32 =
        LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;
}

/// `LO_CRYPT_XOR` (removed from the kernel).
pub(crate) const LO_CRYPT_XOR: u32 = 1;
/// `LO_CRYPT_CRYPTOAPI` (cryptoloop, removed from the kernel).
pub(crate) const LO_CRYPT_CRYPTOAPI: u32 = 18;

/// `struct loop_info64`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LoopInfo64 {
    pub(crate) lo_device: u64,
    pub(crate) lo_inode: u64,
    pub(crate) lo_rdevice: u64,
    pub(crate) lo_offset: u64,
    pub(crate) lo_sizelimit: u64,
    pub(crate) lo_number: u32,
    pub(crate) lo_encrypt_type: u32,
    pub(crate) lo_encrypt_key_size: u32,
    pub(crate) lo_flags: u32,
    pub(crate) lo_file_name: [u8; LO_NAME_SIZE],
    pub(crate) lo_crypt_name: [u8; LO_NAME_SIZE],
    pub(crate) lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub(crate) lo_init: [u64; 2],
}

/// `struct loop_config` (`LOOP_CONFIGURE`).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LoopConfig {
    pub(crate) fd: u32,
    pub(crate) block_size: u32,
    pub(crate) info: LoopInfo64,
    pub(crate) reserved: [u64; 8],
}

/// `struct loop_info` (the old, native-width `LOOP_SET_STATUS` layout, x86_64).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LoopInfo {
    pub(crate) lo_number: i32,
    /// Padding of the C layout (`__kernel_old_dev_t` is 8-byte aligned).
    pub(crate) pad0: u32,
    pub(crate) lo_device: u64,
    pub(crate) lo_inode: u64,
    pub(crate) lo_rdevice: u64,
    pub(crate) lo_offset: i32,
    pub(crate) lo_encrypt_type: i32,
    pub(crate) lo_encrypt_key_size: i32,
    pub(crate) lo_flags: i32,
    pub(crate) lo_name: [u8; LO_NAME_SIZE],
    pub(crate) lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub(crate) lo_init: [u64; 2],
    pub(crate) reserved: [u8; 4],
    /// Tail padding of the C layout.
    pub(crate) pad1: [u8; 4],
}

/// `struct compat_loop_info` of drivers/block/loop.c: `loop_info` as a
/// 32-bit x86 task lays it out (`compat_dev_t` is `u16`, `compat_ulong_t`
/// is `u32`, 4-byte alignment).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct CompatLoopInfo {
    pub(crate) lo_number: i32,
    pub(crate) lo_device: u16,
    /// Padding of the C layout.
    pub(crate) pad0: u16,
    pub(crate) lo_inode: u32,
    pub(crate) lo_rdevice: u16,
    /// Padding of the C layout.
    pub(crate) pad1: u16,
    pub(crate) lo_offset: i32,
    pub(crate) lo_encrypt_type: i32,
    pub(crate) lo_encrypt_key_size: i32,
    pub(crate) lo_flags: i32,
    pub(crate) lo_name: [u8; LO_NAME_SIZE],
    pub(crate) lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub(crate) lo_init: [u32; 2],
    pub(crate) reserved: [u8; 4],
}

// SAFETY: `LoopConfig` is `repr(C)` with only integer fields and arrays of
// integers, and no padding (304 bytes, checked below and against C): every
// bit pattern is valid, as `FromBytes` requires for copies from user space.
unsafe impl kernel::types::FromBytes for LoopConfig {}

// SAFETY: as for `LoopConfig`: `repr(C)`, integers only, no padding.
unsafe impl kernel::types::FromBytes for LoopInfo64 {}

// SAFETY: `repr(C)`, integers only, padding spelled out as fields: every bit
// pattern is valid.
unsafe impl kernel::types::FromBytes for LoopInfo {}

// SAFETY: `LoopInfo64` is `repr(C)`, integers only, no padding (232 bytes:
// five u64, four u32, 160 bytes of arrays, two u64): every byte is
// initialised, as `AsBytes` requires for copies to user space.
unsafe impl kernel::types::AsBytes for LoopInfo64 {}

// SAFETY: `LoopInfo` is `repr(C)` with its padding spelled out as fields
// (`pad0`, `pad1`), integers only: every byte is initialised.
unsafe impl kernel::types::AsBytes for LoopInfo {}

// SAFETY: `CompatLoopInfo` is `repr(C)` with its padding spelled out as
// fields (`pad0`, `pad1`; 140 bytes, no tail padding), integers only: every
// bit pattern is valid.
unsafe impl kernel::types::FromBytes for CompatLoopInfo {}

// SAFETY: as above: every byte of a `CompatLoopInfo` is an initialised
// integer.
unsafe impl kernel::types::AsBytes for CompatLoopInfo {}

/// All-zero values of the uAPI structures.
pub(crate) trait Zeroed: FromBytes {
    /// Every field (and every padding field) zero.
    fn zeroed() -> Self;
}

impl<T: FromBytes> Zeroed for T {
    fn zeroed() -> Self {
        // SAFETY: `FromBytes` promises that every bit pattern, all-zero
        // included, is a valid `T`.
        unsafe { core::mem::zeroed() }
    }
}

kernel::static_assert!(core::mem::size_of::<LoopInfo64>() == 232);
// The C struct is private to loop.c, so there is no C `sizeof` to compare
// with: 4 + 2+2 + 4 + 2+2 + 4*4 + 64 + 32 + 2*4 + 4 bytes.
kernel::static_assert!(core::mem::size_of::<CompatLoopInfo>() == 140);
kernel::static_assert!(core::mem::size_of::<LoopConfig>() == 304);
kernel::static_assert!(core::mem::size_of::<LoopInfo>() == 168);

extern "C" {
    /// Defined in `rloop_shim.c`: `sizeof` of `loop_info`, `loop_info64`,
    /// `loop_config` as the C compiler lays them out.
    static rloop_uapi_sizes: [usize; 3];
}

/// Checks the Rust copies of the uAPI structures against the C layouts.
pub(crate) fn check_layouts() -> Result {
    // SAFETY: `rloop_uapi_sizes` is a `const` array defined in rloop_shim.c,
    // initialised at build time and never written.
    let c = unsafe { rloop_uapi_sizes };
    let rust = [
        core::mem::size_of::<LoopInfo>(),
        core::mem::size_of::<LoopInfo64>(),
        core::mem::size_of::<LoopConfig>(),
    ];
    if c != rust {
        pr_err!("uAPI layout mismatch: C {:?}, Rust {:?}\n", c, rust);
        return Err(EINVAL);
    }
    Ok(())
}

/// `LOOP_*` ioctls on a loop block device (`include/uapi/linux/loop.h`).
pub(crate) mod ioctl {
    pub(crate) const LOOP_SET_FD: u32 = 0x4C00;
    pub(crate) const LOOP_CLR_FD: u32 = 0x4C01;
    pub(crate) const LOOP_SET_STATUS: u32 = 0x4C02;
    pub(crate) const LOOP_GET_STATUS: u32 = 0x4C03;
    pub(crate) const LOOP_SET_STATUS64: u32 = 0x4C04;
    pub(crate) const LOOP_GET_STATUS64: u32 = 0x4C05;
    pub(crate) const LOOP_CHANGE_FD: u32 = 0x4C06;
    pub(crate) const LOOP_SET_CAPACITY: u32 = 0x4C07;
    pub(crate) const LOOP_SET_DIRECT_IO: u32 = 0x4C08;
    pub(crate) const LOOP_SET_BLOCK_SIZE: u32 = 0x4C09;
    pub(crate) const LOOP_CONFIGURE: u32 = 0x4C0A;
    /// `/dev/loop-control`: add device N (or the first free one if N < 0).
    pub(crate) const LOOP_CTL_ADD: u32 = 0x4C80;
    /// `/dev/loop-control`: remove device N.
    pub(crate) const LOOP_CTL_REMOVE: u32 = 0x4C81;
    /// `/dev/loop-control`: index of an unbound device (creating one).
    pub(crate) const LOOP_CTL_GET_FREE: u32 = 0x4C82;
}
