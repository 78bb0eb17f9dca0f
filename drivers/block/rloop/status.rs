// SPDX-License-Identifier: GPL-2.0

//! The status of a device: `LOOP_GET_STATUS(64)` (loop_get_status()),
//! `LOOP_SET_STATUS(64)` (loop_set_status()), and the conversions between
//! `loop_info64` and the old `loop_info` and 32-bit `compat_loop_info`.

use crate::device::{loop_size, LoopDevice, State};
use crate::kernel_ext::{
    block::mq::DiskRef,
    errno,
    loop_uapi::{
        flags::*, CompatLoopInfo, LoopInfo, LoopInfo64, Zeroed, LO_CRYPT_CRYPTOAPI, LO_CRYPT_XOR,
        LO_KEY_SIZE, LO_NAME_SIZE,
    },
};
use core::fmt;
use kernel::prelude::*;

impl LoopDevice {
    /// `LOOP_SET_STATUS(64)` (loop_set_status()): offset, size limit, name,
    /// and the flags user space may change (set AUTOCLEAR/PARTSCAN, clear
    /// AUTOCLEAR).  The queue is frozen while the offset changes.
    pub(crate) fn set_status(&self, disk: &DiskRef, info: &LoopInfo64) -> Result<i32> {
        let config = self.config.lock();
        let (b, prev_flags, size_changed) = {
            let shared = self.shared.lock();
            match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => (
                    b.clone(),
                    shared.flags,
                    shared.offset != info.lo_offset || shared.sizelimit != info.lo_sizelimit,
                ),
                _ => return Err(ENXIO),
            }
        };
        if size_changed {
            disk.sync_and_invalidate();
        }
        let frozen = disk.freeze();
        check_info(info)?;
        let mut flags = info.lo_flags & LOOP_SET_STATUS_SETTABLE_FLAGS;
        flags |= prev_flags & !LOOP_SET_STATUS_SETTABLE_FLAGS;
        flags |= prev_flags & !LOOP_SET_STATUS_CLEARABLE_FLAGS;
        {
            let mut shared = self.shared.lock();
            shared.offset = info.lo_offset;
            shared.sizelimit = info.lo_sizelimit;
            shared.file_name = info.lo_file_name;
            shared.file_name[LO_NAME_SIZE - 1] = 0;
            self.set_flags(&mut shared, flags);
        }
        if size_changed {
            disk.set_capacity_and_notify(loop_size(info.lo_offset, info.lo_sizelimit, &b.file));
        }
        // The offset may rule direct I/O out (or in again).
        self.update_dio(disk, prev_flags & LO_FLAGS_DIRECT_IO != 0, true);
        drop(frozen);
        let partscan = flags & LO_FLAGS_PARTSCAN != 0 && prev_flags & LO_FLAGS_PARTSCAN == 0;
        if partscan {
            disk.set_suppress_part_scan(false);
        }
        drop(config);
        // Never under our mutex or frozen: the rescan takes open_mutex.
        if partscan {
            self.rescan(disk);
        }
        Ok(0)
    }

    /// The status of a bound device (loop_get_status()), with the backing
    /// file's numbers read without `lo_mutex` held.
    pub(crate) fn status(&self) -> Result<LoopInfo64> {
        let mut info = LoopInfo64::zeroed();
        let file = {
            let shared = self.shared.lock();
            let b = match (shared.state, &shared.binding) {
                (State::Bound, Some(b)) => b,
                _ => return Err(ENXIO),
            };
            info.lo_number = self.number;
            info.lo_offset = shared.offset;
            info.lo_sizelimit = shared.sizelimit;
            info.lo_flags = shared.flags;
            info.lo_file_name = shared.file_name;
            b.file.clone()
        };
        let st = file.stat()?;
        info.lo_device = st.dev;
        info.lo_inode = st.ino;
        info.lo_rdevice = st.rdev;
        Ok(info)
    }
}

/// The checks of loop_set_status_from_info().
pub(crate) fn check_info(info: &LoopInfo64) -> Result {
    if info.lo_encrypt_key_size as usize > LO_KEY_SIZE {
        return Err(EINVAL);
    }
    match info.lo_encrypt_type {
        0 => {}
        LO_CRYPT_XOR => {
            pr_warn!("support for the xor transformation has been removed.\n");
            return Err(EINVAL);
        }
        LO_CRYPT_CRYPTOAPI => {
            pr_warn!("support for cryptoloop has been removed.  Use dm-crypt instead.\n");
            return Err(EINVAL);
        }
        _ => return Err(EINVAL),
    }
    if info.lo_offset > i64::MAX as u64 || info.lo_sizelimit > i64::MAX as u64 {
        return Err(errno::eoverflow());
    }
    Ok(())
}

/// loop_info -> loop_info64 (loop_info64_from_old()).
pub(crate) fn from_old_info(info: &LoopInfo) -> LoopInfo64 {
    let mut info64 = LoopInfo64::zeroed();
    info64.lo_number = info.lo_number as u32;
    info64.lo_device = info.lo_device;
    info64.lo_inode = info.lo_inode;
    info64.lo_rdevice = info.lo_rdevice;
    // An int widened to loff_t and stored unsigned, as C does: a negative
    // offset becomes huge and gets EOVERFLOW.
    info64.lo_offset = i64::from(info.lo_offset) as u64;
    info64.lo_encrypt_type = info.lo_encrypt_type as u32;
    info64.lo_encrypt_key_size = info.lo_encrypt_key_size as u32;
    info64.lo_flags = info.lo_flags as u32;
    info64.lo_init = info.lo_init;
    if info64.lo_encrypt_type == LO_CRYPT_CRYPTOAPI {
        info64.lo_crypt_name = info.lo_name;
    } else {
        info64.lo_file_name = info.lo_name;
    }
    info64.lo_encrypt_key = info.lo_encrypt_key;
    info64
}

/// loop_info64 -> loop_info (loop_info64_to_old()): `EOVERFLOW` where a
/// value does not fit the old layout.
pub(crate) fn to_old_info(info64: &LoopInfo64) -> Result<LoopInfo> {
    let mut info = LoopInfo::zeroed();
    info.lo_number = info64.lo_number as i32;
    info.lo_device = info64.lo_device;
    info.lo_inode = info64.lo_inode;
    info.lo_rdevice = info64.lo_rdevice;
    info.lo_offset = i32::try_from(info64.lo_offset).map_err(|_| errno::eoverflow())?;
    info.lo_encrypt_type = info64.lo_encrypt_type as i32;
    info.lo_encrypt_key_size = info64.lo_encrypt_key_size as i32;
    info.lo_flags = info64.lo_flags as i32;
    info.lo_name = info64.lo_file_name;
    info.lo_name[LO_NAME_SIZE - 1] = 0;
    Ok(info)
}

/// compat_loop_info -> loop_info64 (loop_info64_from_compat()): the
/// encryption fields are ignored, as in loop.c.
pub(crate) fn from_compat_info(info: &CompatLoopInfo) -> LoopInfo64 {
    let mut info64 = LoopInfo64::zeroed();
    info64.lo_number = info.lo_number as u32;
    info64.lo_device = u64::from(info.lo_device);
    info64.lo_inode = u64::from(info.lo_inode);
    info64.lo_rdevice = u64::from(info.lo_rdevice);
    // Sign-extended, then unsigned: a negative offset gets EOVERFLOW.
    info64.lo_offset = i64::from(info.lo_offset) as u64;
    info64.lo_flags = info.lo_flags as u32;
    info64.lo_file_name = info.lo_name;
    info64
}

/// loop_info64 -> compat_loop_info (loop_info64_to_compat()): `EOVERFLOW`
/// where a device number, the inode or the offset does not fit.
pub(crate) fn to_compat_info(info64: &LoopInfo64) -> Result<CompatLoopInfo> {
    let overflow = |_| errno::eoverflow();
    let mut info = CompatLoopInfo::zeroed();
    info.lo_number = info64.lo_number as i32;
    info.lo_device = u16::try_from(info64.lo_device).map_err(overflow)?;
    info.lo_inode = u32::try_from(info64.lo_inode).map_err(overflow)?;
    info.lo_rdevice = u16::try_from(info64.lo_rdevice).map_err(overflow)?;
    info.lo_offset = i32::try_from(info64.lo_offset).map_err(overflow)?;
    info.lo_flags = info64.lo_flags as i32;
    info.lo_name = info64.lo_file_name;
    Ok(info)
}

/// `lo_file_name` as loop.c prints it with `%s`: the bytes up to the first
/// NUL.  Valid UTF-8 is written as it is (the bytes `%s` would write);
/// other bytes, which a Rust string cannot carry, as `\xNN`.
pub(crate) struct FileName<'a>(pub(crate) &'a [u8]);

impl fmt::Display for FileName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        let mut rest = &self.0[..end];
        loop {
            match core::str::from_utf8(rest) {
                Ok(s) => return f.write_str(s),
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    f.write_str(core::str::from_utf8(valid).unwrap_or_default())?;
                    let (bad, next) = after.split_at(e.error_len().unwrap_or(after.len()));
                    for b in bad {
                        write!(f, "\\x{:02x}", b)?;
                    }
                    rest = next;
                }
            }
        }
    }
}
