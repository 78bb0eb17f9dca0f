// SPDX-License-Identifier: GPL-2.0

//! The loop device uAPI (`struct loop_info`, `loop_info64`, `loop_config`).
//!
//! C header: [`include/uapi/linux/loop.h`](srctree/include/uapi/linux/loop.h)
//!
//! 6.12's bindings do not include `linux/loop.h`, so the layouts are copied
//! here (they are stable ABI) and checked against the C compiler's view in
//! [`check_layouts`].

use kernel::prelude::*;

/// Size of the file and crypt name fields (`LO_NAME_SIZE`).
pub(crate) const LO_NAME_SIZE: usize = 64;
/// Size of the (unused) key field (`LO_KEY_SIZE`).
pub(crate) const LO_KEY_SIZE: usize = 32;

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
}

kernel::static_assert!(core::mem::size_of::<LoopInfo64>() == 232);
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
