// SPDX-License-Identifier: GPL-2.0

//! One loop device: its state, backing file, block device operations and
//! request queue.
//!
//! Mirrors `struct loop_device` of drivers/block/loop.c, with the locking of
//! REQUIREMENTS.md section 5:
//!
//! * `shared` (`rloop:lo_lock`, a leaf spinlock) holds the state word, the
//!   flags, the user-visible configuration and the current [`Binding`].
//!   Every write of the state holds it.  `open` and `release` (called
//!   under `disk->open_mutex`) take only this lock, so there is no
//!   open_mutex -> lo_mutex edge at all; the I/O path takes a reference to
//!   the binding under it and does the file I/O with no lock held.
//! * `config` (`rloop:lo_mutex`) serialises the operations that change the
//!   configuration (bind, clear, capacity); they take `shared` inside it.
//!   Under it run the queue freeze and the syncs that wait for our I/O
//!   (`sync_blockdev` of the device, `vfs_fsync` of the backing file), as
//!   in loop.c; no I/O path takes it.  Nothing that takes `open_mutex` runs
//!   under it: partition rescans come after it is dropped.

use crate::kernel_ext::{
    block::{
        mq::{
            flags, DiskRef, Dispatch, GenDisk, GenDiskBuilder, Job, Limits, Op, Operations,
            OwnedRequest, Request, RequestDrain, TagSet,
        },
        BlockDevice,
    },
    cpu, delay,
    fs::File,
    loop_params,
    loop_uapi::{flags::LO_FLAGS_DIRECT_IO, LO_NAME_SIZE},
    module::{ModulePinned, ModuleRef},
    task,
    task_work::{impl_has_deferred, Deferred},
    workqueue::{LazyQueue, LazyQueueKind},
};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    bindings::{self, gfp_t},
    new_mutex, new_spinlock,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
    types::ARef,
};

/// Largest request, in sectors: loop.c's "historic block max_sectors cap".
const MAX_HW_SECTORS: u32 = 2560;
/// Writes up to this many bytes go to the submitting thread's request list,
/// larger ones that are copies all to the first ([`LoopDevice::drain`]).
const SPREAD_WRITE_MAX: u32 = 64 * 1024;
/// Reads that are copies (`copy_reads`) of at least this many bytes may
/// go to another request list than the submitting thread's
/// ([`LoopDevice::drain`]): measured at 4k (lost to the wakeup) and 1M
/// (won); the same bound as the writes'.
const SPREAD_READ_MIN: u32 = 64 * 1024;
/// `SECTOR_SHIFT`.
pub(crate) const SECTOR_SHIFT: u32 = 9;

/// Whether a direct read of `file` is a copy out of its page cache, like a
/// buffered one: on tmpfs, whose `shmem_file_read_iter` ignores
/// `IOCB_DIRECT` (it accepts `O_DIRECT` since 6.6 and copies).
fn copies_direct_reads(file: &File) -> bool {
    file.super_magic() == u64::from(bindings::TMPFS_MAGIC)
}

/// `lo_state` of loop.c.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    /// No backing file.
    Unbound,
    /// Bound to a backing file.
    Bound,
    /// Being cleared after the last close; opens fail with `ENXIO`.
    Rundown,
    /// Being removed through `LOOP_CTL_REMOVE`; opens fail with `ENXIO`.
    Deleting,
}

/// What a bound device does I/O on.  Immutable: `LOOP_CHANGE_FD` publishes
/// a new one.  Dropping the last reference puts the backing file, nothing
/// else: the lifecycle references are in [`Lifecycle`], which the I/O path
/// never holds.
pub(crate) struct Binding {
    pub(crate) file: ARef<File>,
    pub(crate) read_only: bool,
    pub(crate) has_fsync: bool,
    /// The backing file's page-cache gfp mask before we bound it.
    pub(crate) old_gfp: gfp_t,
}

/// What keeps a bound device's disk and the module alive: taken by the
/// bind, held by the device (`Shared::lifecycle`), released by the clear
/// only, explicitly, the module last, after the clear's last use of the
/// device.  No request, worker or completion ever holds it, so no drop on
/// the I/O path can run `free_disk`, `destroy_workqueue` or the module put.
pub(crate) struct Lifecycle {
    /// Our disk, for the deferred clear (which runs outside any callback).
    pub(crate) disk: ARef<DiskRef>,
    /// rloop stays loaded while a device is bound (loop.c's `__module_get`).
    pub(crate) module: ModuleRef,
}

impl Lifecycle {
    /// Releases the references: the disk (whose last put may free it and
    /// the device with it), then the module (put from core code, after
    /// the caller's last instruction: see `ModuleRef`).
    pub(crate) fn release(self) {
        let Lifecycle { disk, module } = self;
        drop(disk);
        drop(module);
    }
}

/// What one request needs of the configuration.  Offset and direct I/O
/// mode change only with the queue frozen, so they hold for the request.
///
/// Exists only attached to the request's [`Job`] ([`LoopDevice::start`]),
/// which drops it before the request ends: a handler cannot keep the
/// backing file past the end of its request.
pub(crate) struct IoSnapshot {
    pub(crate) binding: Arc<Binding>,
    pub(crate) offset: u64,
    /// Direct I/O mode (`use_dio`: `LO_FLAGS_DIRECT_IO` in the flags).
    pub(crate) dio: bool,
}

/// A request in the device's handler, with its snapshot attached.
pub(crate) type IoJob<'a> = Job<'a, LoopDevice, IoSnapshot>;

/// State under `lo_lock`.
pub(crate) struct Shared {
    /// Written only through [`LoopDevice::set_state`].
    pub(crate) state: State,
    pub(crate) flags: u32,
    pub(crate) offset: u64,
    pub(crate) sizelimit: u64,
    pub(crate) file_name: [u8; LO_NAME_SIZE],
    /// What the I/O path uses; `Some` exactly while bound or in rundown.
    pub(crate) binding: Option<Arc<Binding>>,
    /// The disk and module references of the binding; `Some` exactly
    /// while bound or in rundown.
    pub(crate) lifecycle: Option<Lifecycle>,
}

/// loop.c's `loop_validate_mutex`: serialises walks of loop-device chains
/// with the state changes of devices that back other loop devices.  Taken
/// before any device's `lo_mutex`.
#[pin_data]
pub(crate) struct Validator {
    #[pin]
    pub(crate) mutex: Mutex<()>,
}

impl Validator {
    /// The one validator of the module.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Validator {
                mutex <- new_mutex!((), "rloop:loop_validate_mutex"),
            }),
            GFP_KERNEL,
        )
    }
}

/// A loop device (`loopN`).
#[pin_data]
pub(crate) struct LoopDevice {
    pub(crate) number: u32,
    pub(crate) part_shift: u32,
    pub(crate) validator: Arc<Validator>,
    /// `lo_lock`: state, flags, configuration, binding (leaf).
    #[pin]
    pub(crate) shared: SpinLock<Shared>,
    /// `shared.state == State::Bound`, for `queue_rq`, which checks it
    /// without `lo_lock` as loop.c reads `lo_state` (`data_race`): a lock
    /// per request in the submitter's context cost more than the check
    /// is worth, and the check is a snapshot either way.  Written only by
    /// [`LoopDevice::set_state`], under `lo_lock`.
    pub(crate) bound: AtomicBool,
    /// `lo_mutex`: serialises configuration changes.
    #[pin]
    pub(crate) config: Mutex<()>,
    /// The device's workqueue: created at the first bind, destroyed only
    /// when the device is freed (after its disk).
    #[pin]
    pub(crate) wq: LazyQueue,
    /// The requests waiting for the device's workers (loop.c's
    /// `cmd_list`), one list per worker: each runs on `wq` and handles its
    /// requests one at a time, in submission order.  A request goes to the
    /// list of the thread that submits it ([`LoopDevice::drain`]), so that
    /// submitters do not all wait for one worker (loop.c has one worker per
    /// cgroup instead; its root-cgroup I/O, all of it here, has one).  Not
    /// empty.
    pub(crate) drains: KVec<Arc<RequestDrain<LoopDevice>>>,
    /// A read of the backing file is a copy out of its page cache: the
    /// device is in buffered mode (`shared.flags` has no
    /// `LO_FLAGS_DIRECT_IO`), or the file is on tmpfs, whose direct reads
    /// copy too ([`copies_direct_reads`]).  For `queue_rq`, which reads it
    /// without `lo_lock`: the mode and the file change only with the queue
    /// frozen, or while unbound.  Written only by
    /// [`LoopDevice::set_flags`], under `lo_lock`.
    pub(crate) copy_reads: AtomicBool,
    /// Which other list the next read that may move compares with its
    /// thread's, modulo the count of the others (`spread_reads`).
    pub(crate) next_read: AtomicU32,
    /// Where direct I/O completions that need process context go (short
    /// transfers): created by the first direct I/O (seed 000), destroyed
    /// only when the device is freed.
    #[pin]
    pub(crate) dio_wq: LazyQueue,
    /// The clear after the last close (no allocation in `release`).
    #[pin]
    pub(crate) rundown: Deferred<LoopDevice>,
}

impl_has_deferred!(LoopDevice { rundown });

impl LoopDevice {
    /// A new, unbound device number `number`.
    pub(crate) fn new(
        number: u32,
        part_shift: u32,
        validator: Arc<Validator>,
    ) -> Result<Arc<Self>> {
        let drains = Self::new_drains()?;
        Arc::pin_init(
            pin_init!(LoopDevice {
                number,
                part_shift,
                validator,
                shared <- new_spinlock!(
                    Shared {
                        state: State::Unbound,
                        flags: 0,
                        offset: 0,
                        sizelimit: 0,
                        file_name: [0; LO_NAME_SIZE],
                        binding: None,
                        lifecycle: None,
                    },
                    "rloop:lo_lock"
                ),
                bound: AtomicBool::new(false),
                copy_reads: AtomicBool::new(true),
                next_read: AtomicU32::new(0),
                config <- new_mutex!((), "rloop:lo_mutex"),
                wq <- LazyQueue::new(LazyQueueKind::Worker),
                drains,
                dio_wq <- LazyQueue::new(LazyQueueKind::DioCompletion),
                rundown <- Deferred::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// The device's request lists, one per worker: `workers` of them, or
    /// with 0, one per CPU id (at most `max_workers`).
    fn new_drains() -> Result<KVec<Arc<RequestDrain<LoopDevice>>>> {
        let n = match loop_params::workers() {
            0 => cpu::nr_cpu_ids(),
            n => n,
        }
        .clamp(1, loop_params::max_workers());
        let mut drains = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for _ in 0..n {
            drains.push(RequestDrain::new()?, GFP_KERNEL)?;
        }
        Ok(drains)
    }

    /// The request list for `rq`, submitted now: the submitting thread's
    /// (its id modulo the count), but the first list for every write above
    /// [`SPREAD_WRITE_MAX`] that is a copy (all of them without
    /// `spread_dio_writes`); with `spread_reads`, when reads are copies
    /// (`copy_reads`), a read of at least [`SPREAD_READ_MIN`] goes to
    /// another list, taken in turn, if that one is at least two requests
    /// behind the thread's (`None` only if there were no lists, which
    /// `new_drains` rules out).
    ///
    /// By thread, not by CPU: one thread's requests stay in one list, in
    /// order, wherever the scheduler moves it (a sequential stream stays
    /// sequential for the backing file's readahead and allocation), and
    /// submitters that the scheduler packs on one CPU still spread.
    ///
    /// A write copies into the backing file under its inode's lock
    /// (exclusive for buffered writes on ext4 and tmpfs): for a large one
    /// that copy is nearly all the work, so two workers writing at once
    /// only wait for each other (1M writes were 0.89 of one worker on
    /// tmpfs), while small writes gain from the work they do outside it.
    /// A direct write that is real direct I/O (not a copy: not tmpfs) only
    /// starts a transfer, and ext4 starts aligned overwrites under a
    /// shared lock, so with `spread_dio_writes` a large one stays on its
    /// thread's list: 1M direct writes at QD1 from four threads on ext4
    /// were 1.047 of loop.ko (won, 20 rounds; 0.994 with all on the first
    /// list), for 13 % more CPU per byte (four workers wake for what one
    /// did); level at QD32.
    ///
    /// A buffered read is a copy out of the page cache, which readers share
    /// (no exclusive lock): one thread's queued reads then copy on several
    /// CPUs at once (1M reads at QD32 from one thread: 1.82 and 1.88 of
    /// one list on ext4 and tmpfs).  Only to a list that is behind, not
    /// simply the next: handed out in turn, four threads' reads at QD1
    /// could pile up on one list while the other idled (0.77-0.82 of one
    /// list each).  Two behind, not one: at QD1 four threads keep each
    /// list at zero to two requests, and moving on "one against none"
    /// cost those reads 7-12 % (0.98 of one list with the margin).  Not
    /// small reads: the copy of a 4k read is shorter than the other
    /// worker's wakeup (4k reads at QD32 from one thread: 0.95 of one
    /// list, every round below, on both file systems).
    ///
    /// A direct read on a file system with real direct I/O only starts a
    /// transfer that completes elsewhere; spread, the second worker's
    /// wakeup cost more than it saved (ext4 4k reads at QD32 from one
    /// thread: 0.77).  tmpfs's direct reads are copies, so they spread as
    /// buffered ones do.
    pub(crate) fn drain(&self, rq: &Request<Self>) -> Option<&Arc<RequestDrain<LoopDevice>>> {
        // Writes are copies exactly when reads are (`copy_reads`).
        if rq.op() == Op::Write
            && rq.bytes() > SPREAD_WRITE_MAX
            && (self.copy_reads.load(Ordering::Relaxed) || !loop_params::spread_dio_writes())
        {
            return self.drains.first();
        }
        let n = self.drains.len();
        let home = (task::current_pid() as usize).checked_rem(n)?;
        let big_read = rq.op() == Op::Read && rq.bytes() >= SPREAD_READ_MIN;
        if !big_read
            || n < 2
            || !self.copy_reads.load(Ordering::Relaxed)
            || !loop_params::spread_reads()
        {
            return self.drains.get(home);
        }
        // The other list, taken in turn, only if it is behind the thread's
        // by two or more: one request ahead is what a worker that is busy
        // with someone else's request always has, and moving then buys a
        // wakeup on a CPU that is busy too, not a second copy at once.
        let turn = self.next_read.fetch_add(1, Ordering::Relaxed) as usize;
        let other = (home + 1 + turn.checked_rem(n - 1)?).checked_rem(n)?;
        let (h, o) = (self.drains.get(home)?, self.drains.get(other)?);
        let behind = o.queued().saturating_add(1) < h.queued();
        Some(if behind { o } else { h })
    }

    /// Changes the flags (`shared` is this device's, locked, its binding
    /// already the one they are for): the only writer of `shared.flags`
    /// and of `copy_reads`.
    pub(crate) fn set_flags(&self, shared: &mut Shared, flags: u32) {
        shared.flags = flags;
        let copies = flags & LO_FLAGS_DIRECT_IO == 0
            || shared
                .binding
                .as_ref()
                .is_some_and(|b| copies_direct_reads(&b.file));
        self.copy_reads.store(copies, Ordering::Relaxed);
    }

    /// Changes the state (`shared` is this device's, locked): the only
    /// writer of `shared.state` and of `bound`.
    pub(crate) fn set_state(&self, shared: &mut Shared, state: State) {
        shared.state = state;
        self.bound.store(state == State::Bound, Ordering::Release);
    }

    /// Whether the device is bound, without `lo_lock` (see `bound`).
    pub(crate) fn is_bound(&self) -> bool {
        self.bound.load(Ordering::Acquire)
    }

    /// The device number N of `loopN`.
    pub(crate) fn number(&self) -> u32 {
        self.number
    }

    /// Creates and adds the disk `loopN` for this device, with minors
    /// `N << part_shift` onwards.
    pub(crate) fn add_disk(self: &Arc<Self>) -> Result<GenDisk<Self>> {
        let part_shift = self.part_shift;
        let first_minor = i32::try_from(self.number)
            .ok()
            .and_then(|n| n.checked_shl(part_shift))
            .filter(|m| (m >> part_shift) as u32 == self.number)
            .ok_or(EINVAL)?;
        let depth = u32::try_from(loop_params::hw_queue_depth()).map_err(|_| EINVAL)?;
        let mut tag_flags = flags::SHOULD_MERGE | flags::STACKING | flags::NO_SCHED_BY_DEFAULT;
        if loop_params::blocking() {
            tag_flags |= flags::BLOCKING;
        }
        let tagset = Arc::pin_init(TagSet::new(1, depth, 1, tag_flags), GFP_KERNEL)?;
        GenDiskBuilder::new()
            .max_hw_sectors(MAX_HW_SECTORS)
            .devt(crate::LOOP_MAJOR, first_minor, 1 << part_shift)
            .suppress_part_scan(part_shift == 0)
            .media_change_events(true)
            .build(format_args!("loop{}", self.number), tagset, self.clone())
    }

    /// Whether the device is unbound (a candidate for `LOOP_CTL_GET_FREE`).
    pub(crate) fn is_unbound(&self) -> bool {
        self.shared.lock().state == State::Unbound
    }

    /// Marks the device as being deleted if it is unbound and `openers` is
    /// 0 (loop_control_remove()); `EBUSY` otherwise.
    pub(crate) fn start_deleting(&self, openers: u32) -> Result {
        let mut shared = self.shared.lock();
        if shared.state != State::Unbound || openers > 0 {
            return Err(EBUSY);
        }
        self.set_state(&mut shared, State::Deleting);
        Ok(())
    }

    /// The current binding.
    pub(crate) fn binding(&self) -> Option<Arc<Binding>> {
        self.shared.lock().binding.clone()
    }

    /// Attaches the binding and offset to a request's job (the only way to
    /// get an [`IoSnapshot`]); ends the request with `EIO` and returns
    /// `None` if the device is not bound.  Offset and mode changes freeze
    /// the queue, so they never happen while a request is in flight.
    pub(crate) fn start(job: Job<'_, Self>) -> Option<IoJob<'_>> {
        let snapshot = {
            let shared = job.data().shared.lock();
            shared.binding.clone().map(|binding| IoSnapshot {
                binding,
                offset: shared.offset,
                dio: shared.flags & LO_FLAGS_DIRECT_IO != 0,
            })
        };
        match snapshot {
            Some(s) => Some(job.hold(s)),
            None => {
                job.complete(Err(EIO));
                None
            }
        }
    }

    /// The queue limits for `file` with `block_size` (loop_update_limits()):
    /// 0 means the default (loop_default_blocksize(): the backing block
    /// device's logical block size in direct I/O mode, else 512); the block
    /// layer validates the others.
    pub(crate) fn limits(file: &File, block_size: u32, write_cache: bool, dio: bool) -> Limits {
        let backing = file.backing_limits();
        let block_size = match block_size {
            0 if dio && backing.logical_block_size != 0 => backing.logical_block_size,
            0 => 512,
            bs => bs,
        };
        Limits {
            block_size,
            write_cache,
            rotational: backing.rotational,
            max_discard_sectors: backing.max_discard_sectors,
            discard_granularity: backing.discard_granularity,
        }
    }

    /// Whether direct I/O can work on `file` for a device with logical
    /// block size `block_size` at `offset` (lo_can_use_dio() and
    /// lo_bdev_can_use_dio()): the file supports it, and the backing block
    /// device's logical block size, if any, divides the offset and is no
    /// larger than ours.
    pub(crate) fn can_use_dio(file: &File, block_size: u32, offset: u64) -> bool {
        if !file.can_direct_io() {
            return false;
        }
        match file.backing_limits().logical_block_size {
            0 => true,
            lbs => block_size >= lbs && offset % u64::from(lbs) == 0,
        }
    }

    /// Rescans partitions, warning as loop_reread_partitions() does.
    pub(crate) fn rescan(&self, disk: &DiskRef) {
        if let Err(e) = disk.rescan_partitions() {
            let name = self.shared.lock().file_name;
            pr_warn!(
                "loop_reread_partitions: partition scan of loop{} ({}) failed (rc={})\n",
                self.number,
                crate::status::FileName(&name),
                e.to_errno()
            );
        }
    }
}

/// Sleeps `debug_delay_ms` (a debug knob, 0 by default) at one of the
/// lifetime windows the `lifetimes` test widens.
pub(crate) fn debug_delay() {
    let ms = loop_params::debug_delay_ms();
    if ms > 0 {
        delay::msleep(ms);
    }
}

/// The device size in sectors (get_size()): the backing size past
/// `offset`, capped by `sizelimit` when set.
pub(crate) fn loop_size(offset: u64, sizelimit: u64, file: &File) -> u64 {
    let size = u64::try_from(file.size()).unwrap_or(0);
    let mut bytes = size.saturating_sub(offset);
    if sizelimit > 0 && sizelimit < bytes {
        bytes = sizelimit;
    }
    bytes >> SECTOR_SHIFT
}

#[vtable]
impl Operations for LoopDevice {
    type QueueData = Arc<LoopDevice>;

    fn queue_rq(
        dev: ArcBorrow<'_, LoopDevice>,
        rq: OwnedRequest<Self>,
        _is_last: bool,
        dispatch: &Dispatch,
    ) {
        dev.queue_rq(rq, dispatch)
    }

    fn work(job: Job<'_, Self>) {
        LoopDevice::handle(job)
    }

    fn aio_complete(job: Job<'_, Self>, ret: isize) {
        LoopDevice::aio_complete(job, ret)
    }

    fn open(dev: ArcBorrow<'_, LoopDevice>, _disk: &DiskRef, _mode: u32) -> Result {
        match dev.shared.lock().state {
            State::Deleting | State::Rundown => Err(ENXIO),
            State::Unbound | State::Bound => Ok(()),
        }
    }

    fn release(dev: ArcBorrow<'_, LoopDevice>, disk: &DiskRef, pinned: &ModulePinned) {
        LoopDevice::release(dev, disk, pinned)
    }

    fn ioctl(
        dev: ArcBorrow<'_, LoopDevice>,
        bdev: &BlockDevice,
        mode: u32,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        dev.ioctl(bdev, mode, cmd, arg)
    }

    fn compat_ioctl(
        dev: ArcBorrow<'_, LoopDevice>,
        bdev: &BlockDevice,
        mode: u32,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        dev.compat_ioctl(bdev, mode, cmd, arg)
    }
}
