// SPDX-License-Identifier: GPL-2.0

//! Files: a reference-counted `struct file`, and I/O on it.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! Shaped like upstream's `kernel::fs::File` (≈6.13): `File::fget` gives an
//! `ARef<File>`; dropping it is `fput`.  `get_file` and the page-cache gfp
//! mask helpers are static inlines, so the C shim wraps them.

use core::ptr::NonNull;
use kernel::{
    bindings, ffi,
    prelude::*,
    types::{ARef, AlwaysRefCounted, Opaque},
};

extern "C" {
    // `struct file *` is declared as `void *`: bindgen's `file` embeds
    // zero-sized types that the FFI lint rejects.
    fn rloop_get_file(file: *mut ffi::c_void);
    fn rloop_file_set_gfp_noio(file: *mut ffi::c_void) -> bindings::gfp_t;
    fn rloop_file_restore_gfp(file: *mut ffi::c_void, gfp: bindings::gfp_t);
    fn rloop_file_fs_bsize(file: *mut ffi::c_void) -> ffi::c_long;
}

/// `FMODE_WRITE`.
const FMODE_WRITE: u32 = 1 << 1;
/// `FMODE_CAN_ODIRECT`.
const FMODE_CAN_ODIRECT: u32 = 1 << 22;
/// `O_DIRECT` of `f_flags` (`include/uapi/asm-generic/fcntl.h`, which
/// x86 uses).
const O_DIRECT: u32 = 0o40000;
/// `fallocate` modes (`include/uapi/linux/falloc.h`).
pub(crate) const FALLOC_FL_KEEP_SIZE: i32 = 0x01;
/// Deallocate the range (reads back zeroes).
pub(crate) const FALLOC_FL_PUNCH_HOLE: i32 = 0x02;
/// Zero the range, keeping it allocated.
pub(crate) const FALLOC_FL_ZERO_RANGE: i32 = 0x10;
/// `BLK_FEAT_ROTATIONAL` of a queue's features.
const BLK_FEAT_ROTATIONAL: u32 = bindings::BLK_FEAT_ROTATIONAL;
const S_IFMT: u16 = 0o170000;
const S_IFREG: u16 = 0o100000;
const S_IFBLK: u16 = 0o060000;

/// What a file is, as far as a loop device cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FileKind {
    /// A regular file.
    Regular,
    /// A block device, with its device number (`i_rdev`).
    Block(u32),
    /// Anything else: directory, socket, pipe, character device...
    Other,
}

/// Attributes of a file (`vfs_getattr`), device numbers encoded for user
/// space (`huge_encode_dev`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FileStat {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) rdev: u64,
}

/// What a loop device mirrors of the storage under its backing file
/// (loop_update_limits(), loop_get_discard_config()).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BackingLimits {
    /// The underlying block device is rotational.
    pub(crate) rotational: bool,
    /// Discard/write-zeroes limit in sectors (0: none).
    pub(crate) max_discard_sectors: u32,
    /// Discard granularity in bytes.
    pub(crate) discard_granularity: u32,
    /// Logical block size of the block device under the file (the device
    /// itself, or its file system's), 0 if there is none: the alignment
    /// direct I/O needs.
    pub(crate) logical_block_size: u32,
}

/// `huge_encode_dev()`: a kernel `dev_t` as the 64-bit user-space number.
fn huge_encode_dev(dev: u32) -> u64 {
    let major = u64::from(dev >> 20);
    let minor = u64::from(dev & 0xfffff);
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// A `struct file`.
///
/// # Invariants
///
/// Instances are only reached through `ARef<File>` (or borrowed from one),
/// which owns one reference to a valid `struct file`.
#[repr(transparent)]
pub(crate) struct File(Opaque<bindings::file>);

// SAFETY: `struct file` is reference counted with atomic operations and its
// functions may be called from any thread.
unsafe impl Send for File {}
// SAFETY: as for `Send`; `&File` only calls thread-safe C functions.
unsafe impl Sync for File {}

// SAFETY: `get_file` and `fput` increment and decrement the file's
// reference count; the file is freed only when it drops to zero.
unsafe impl AlwaysRefCounted for File {
    fn inc_ref(&self) {
        // SAFETY: the file is valid (type invariant), so it has a reference.
        unsafe { rloop_get_file(self.0.get().cast()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns; `fput` defers the
        // final release (task_work or `delayed_fput`), so this never sleeps
        // on the caller's locks.
        unsafe { bindings::fput(obj.as_ptr().cast()) };
    }
}

impl File {
    /// Takes a reference to the file of the caller's descriptor `fd`
    /// (`fget`): `EBADF` if there is none.
    pub(crate) fn fget(fd: u32) -> Result<ARef<File>> {
        // SAFETY: `fget` may be called with any number from process context;
        // it returns NULL or a file with a new reference, which we own.
        let ptr = unsafe { bindings::fget(fd) };
        let ptr = NonNull::new(ptr.cast::<File>()).ok_or(EBADF)?;
        // SAFETY: `ptr` is a valid file and we own the reference `fget` took;
        // `File` is `repr(transparent)` over `struct file`.
        Ok(unsafe { ARef::from_raw(ptr) })
    }

    /// The C `struct file`.
    pub(crate) fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The inode of the file's mapping (`f_mapping->host`), as loop.c uses.
    fn host(&self) -> *mut bindings::inode {
        // SAFETY: an open file has a valid `f_mapping` whose host is valid
        // while the file is open.
        unsafe { (*(*self.as_raw()).f_mapping).host }
    }

    /// The magic number of the file system the file is on
    /// (`f_mapping->host->i_sb->s_magic`, `include/uapi/linux/magic.h`).
    pub(crate) fn super_magic(&self) -> u64 {
        let inode = self.host();
        // SAFETY: the host inode is valid (see `host`), and so is its
        // super block, which outlives its inodes; `s_magic` is set when
        // the file system is mounted and never changes.
        let magic = unsafe { (*(*inode).i_sb).s_magic };
        // `unsigned long` is at most 64 bits on every kernel target.
        magic as u64
    }

    /// Whether the file was opened for writing (`FMODE_WRITE`).
    pub(crate) fn is_writable(&self) -> bool {
        // SAFETY: `f_mode` is set at open and stable afterwards.
        unsafe { (*self.as_raw()).f_mode & FMODE_WRITE != 0 }
    }

    /// Whether direct I/O works on the file (`FMODE_CAN_ODIRECT`).
    pub(crate) fn can_direct_io(&self) -> bool {
        // SAFETY: as in `is_writable`.
        unsafe { (*self.as_raw()).f_mode & FMODE_CAN_ODIRECT != 0 }
    }

    /// Whether the file is `O_DIRECT` now (`f_flags`, which `fcntl` may
    /// change at any time: a snapshot, as loop.c's read).
    pub(crate) fn is_o_direct(&self) -> bool {
        // SAFETY: `f_flags` of an open file is a valid, aligned `unsigned
        // int` that `fcntl(F_SETFL)` stores whole; a volatile read
        // (READ_ONCE) sees the old or the new value.
        let flags =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_raw()).f_flags)) };
        flags & O_DIRECT != 0
    }

    /// Whether the file supports `read_iter`, `write_iter`, `fsync`.
    pub(crate) fn ops(&self) -> (bool, bool, bool) {
        // SAFETY: `f_op` of an open file points to its (static) operations.
        let op = unsafe { &*(*self.as_raw()).f_op };
        (
            op.read_iter.is_some(),
            op.write_iter.is_some(),
            op.fsync.is_some(),
        )
    }

    /// What the file is (from `f_mapping->host->i_mode`).
    pub(crate) fn kind(&self) -> FileKind {
        let inode = self.host();
        // SAFETY: the host inode is valid (see `host`); `i_mode` and `i_rdev`
        // do not change while it is open.
        let (mode, rdev) = unsafe { ((*inode).i_mode, (*inode).i_rdev) };
        match mode & S_IFMT {
            S_IFREG => FileKind::Regular,
            S_IFBLK => FileKind::Block(rdev),
            _ => FileKind::Other,
        }
    }

    /// For an open block device, its disk (`I_BDEV(host)->bd_disk`).
    pub(crate) fn block_disk(&self) -> Option<*mut bindings::gendisk> {
        let inode = self.host();
        // SAFETY: the host inode is valid; for a block device inode
        // `I_BDEV` gives the `block_device` this file holds open, whose
        // `bd_disk` is valid while it is open.
        unsafe {
            if (*inode).i_mode & S_IFMT != S_IFBLK {
                return None;
            }
            Some((*bindings::I_BDEV(inode)).bd_disk)
        }
    }

    /// The size in bytes (`i_size_read(f_mapping->host)`).
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: the host inode is valid; on 64-bit `i_size_read` is a
        // plain (once) read of `i_size`.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.host()).i_size)) }
    }

    /// Device and inode numbers (`vfs_getattr(STATX_INO)`), for
    /// `LOOP_GET_STATUS`.  May sleep; call it without driver locks.
    pub(crate) fn stat(&self) -> Result<FileStat> {
        // SAFETY: `kstat` is plain data; all-zero is a valid value.
        let mut st: bindings::kstat = unsafe { core::mem::zeroed() };
        // SAFETY: `f_path` of an open file is valid and pinned by the file's
        // reference, as `vfs_getattr` needs.
        let ret = unsafe {
            bindings::vfs_getattr(
                core::ptr::addr_of!((*self.as_raw()).f_path),
                &mut st,
                bindings::STATX_INO,
                bindings::AT_STATX_SYNC_AS_STAT,
            )
        };
        kernel::error::to_result(ret)?;
        Ok(FileStat {
            dev: huge_encode_dev(st.dev),
            ino: st.ino,
            rdev: huge_encode_dev(st.rdev),
        })
    }

    /// The limits to mirror from the storage under the file.
    pub(crate) fn backing_limits(&self) -> BackingLimits {
        let inode = self.host();
        let mut l = BackingLimits::default();
        // SAFETY: the host inode of an open file is valid; for a block
        // device inode `I_BDEV` gives its open `block_device`, whose disk
        // and queue are valid while it is open; `i_sb->s_bdev` is valid (or
        // null) while the file pins the superblock; `rloop_file_fs_bsize`
        // does `vfs_statfs` on the open file's path.  Limits are read
        // racily, as the C helpers (`bdev_*`) do.
        unsafe {
            let is_blk = (*inode).i_mode & S_IFMT == S_IFBLK;
            let bdev = if is_blk {
                bindings::I_BDEV(inode)
            } else {
                (*(*inode).i_sb).s_bdev
            };
            if !bdev.is_null() {
                let lim = &(*(*(*bdev).bd_disk).queue).limits;
                l.rotational = lim.features & BLK_FEAT_ROTATIONAL != 0;
                l.logical_block_size = lim.logical_block_size;
                if is_blk {
                    l.max_discard_sectors = lim.max_write_zeroes_sectors;
                    l.discard_granularity = lim.discard_granularity;
                }
            }
            if !is_blk && (*(*self.as_raw()).f_op).fallocate.is_some() {
                let bsize = rloop_file_fs_bsize(self.as_raw().cast());
                if bsize >= 0 {
                    l.max_discard_sectors = u32::MAX >> 9;
                    l.discard_granularity = u32::try_from(bsize).unwrap_or(0);
                }
            }
        }
        l
    }

    /// `f_op->fallocate(file, mode, offset, len)` (as loop.c, without
    /// `vfs_fallocate`'s checks): `EOPNOTSUPP` if the file has none.
    pub(crate) fn fallocate(&self, mode: i32, offset: i64, len: i64) -> Result {
        // SAFETY: `f_op` of an open file is valid.
        let Some(f) = (unsafe { (*(*self.as_raw()).f_op).fallocate }) else {
            return Err(super::errno::eopnotsupp());
        };
        // SAFETY: the file is open; the arguments are plain values.
        kernel::error::to_result(unsafe { f(self.as_raw(), mode, offset, len) } as i32)
    }

    /// `vfs_fsync(file, 0)`.
    pub(crate) fn fsync(&self) -> Result {
        // SAFETY: the file is open.
        kernel::error::to_result(unsafe { bindings::vfs_fsync(self.as_raw(), 0) })
    }

    /// Makes the page cache of the file allocate without I/O or fs
    /// recursion (`__GFP_IO | __GFP_FS` off); returns the old mask for
    /// [`Self::restore_gfp`].
    pub(crate) fn set_gfp_noio(&self) -> bindings::gfp_t {
        // SAFETY: the file is open, so `f_mapping` is valid.
        unsafe { rloop_file_set_gfp_noio(self.as_raw().cast()) }
    }

    /// Restores the page-cache mask saved by [`Self::set_gfp_noio`].
    pub(crate) fn restore_gfp(&self, gfp: bindings::gfp_t) {
        // SAFETY: the file is open, so `f_mapping` is valid.
        unsafe { rloop_file_restore_gfp(self.as_raw().cast(), gfp) }
    }
}
