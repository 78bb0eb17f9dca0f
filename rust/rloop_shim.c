// SPDX-License-Identifier: GPL-2.0
/*
 * rloop C shim: only what Rust cannot reach through 6.12's bindings
 * (static inlines, C-only structures, module parameters, uAPI layouts).
 * Keep it small; all logic lives in Rust.
 */
#include <linux/anon_inodes.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/statfs.h>
#include <linux/uio.h>
#include <linux/xarray.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/loop.h>
#include <linux/major.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pfn_t.h>

#include "rloop_shim.h"

/*
 * uAPI layouts as the C compiler sees them; rust/kernel_ext/loop_uapi.rs
 * checks its #[repr(C)] copies against these at module init.
 */
const size_t rloop_uapi_sizes[3] = {
	sizeof(struct loop_info),
	sizeof(struct loop_info64),
	sizeof(struct loop_config),
};

/*
 * Module parameters, named and checked as loop.c's (6.12's Rust `module!`
 * has no parameter support).  Read by rust/kernel_ext/loop_params.rs.
 */
#ifdef CONFIG_BLK_DEV_LOOP_MIN_COUNT
int rloop_max_loop = CONFIG_BLK_DEV_LOOP_MIN_COUNT;
#else
int rloop_max_loop = 8;
#endif
bool rloop_max_loop_specified;
int rloop_max_part;
int rloop_hw_queue_depth = 128;

static int rloop_max_loop_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_int(val, kp);

	if (ret < 0)
		return ret;
	rloop_max_loop_specified = true;
	return 0;
}

static const struct kernel_param_ops rloop_max_loop_ops = {
	.set = rloop_max_loop_set,
	.get = param_get_int,
};
module_param_cb(max_loop, &rloop_max_loop_ops, &rloop_max_loop, 0444);
MODULE_PARM_DESC(max_loop, "Maximum number of loop devices");
module_param_named(max_part, rloop_max_part, int, 0444);
MODULE_PARM_DESC(max_part, "Maximum number of partitions per loop device");

static int rloop_hw_queue_depth_set(const char *s, const struct kernel_param *p)
{
	int qd, ret;

	ret = kstrtoint(s, 0, &qd);
	if (ret < 0)
		return ret;
	if (qd < 1)
		return -EINVAL;
	rloop_hw_queue_depth = qd;
	return 0;
}

static const struct kernel_param_ops rloop_hw_queue_depth_ops = {
	.set = rloop_hw_queue_depth_set,
	.get = param_get_int,
};
module_param_cb(hw_queue_depth, &rloop_hw_queue_depth_ops, &rloop_hw_queue_depth, 0444);
MODULE_PARM_DESC(hw_queue_depth, "Queue depth for each hardware queue. Default: 128");

/* Debug: run every deferred clear on the workqueue, as for kernel threads. */
bool rloop_force_async_clear;
module_param_named(force_async_clear, rloop_force_async_clear, bool, 0644);
MODULE_PARM_DESC(force_async_clear, "Debug: clear autoclear devices asynchronously, on the driver's workqueue (default: task_work in the closing task)");

/*
 * Debug: widen the lifetime windows the tests race against (milliseconds):
 * after a request handler has released what it holds and before it ends the
 * request, and in the deferred clear before it drops its last references.
 */
unsigned int rloop_debug_delay_ms;
module_param_named(debug_delay_ms, rloop_debug_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_delay_ms, "Debug: sleep this many ms at the lifetime windows (end of a request, end of a deferred clear) (default: 0)");

int rloop_rdax_nr;
module_param_named(rdax_nr, rloop_rdax_nr, int, 0444);
MODULE_PARM_DESC(rdax_nr, "Memory-backed disks rdax0.. to create at load (default: 0)");

unsigned long rloop_rdax_size = 16384;
module_param_named(rdax_size, rloop_rdax_size, ulong, 0444);
MODULE_PARM_DESC(rdax_size, "Size of each memory-backed disk in KiB (default: 16384)");

char *rloop_rdax_pool = "auto";
module_param_named(rdax_pool, rloop_rdax_pool, charp, 0444);
MODULE_PARM_DESC(rdax_pool, "Memory for DAX-capable rdax disks: auto (an unclaimed legacy persistent memory range, memmap=nn!ss), off (RAM pages, no DAX), or the physical start address of such a range (default: auto)");

/*
 * Workers per loop device: requests go to the submitting thread's (its id
 * modulo the count), so that submitters do not all queue behind one
 * worker.  0: one per CPU id (at most 64).
 */
unsigned int rloop_workers;
/* RLOOP_MAX_WORKERS for Rust, which cannot see the macro. */
const unsigned int rloop_max_workers = RLOOP_MAX_WORKERS;

/* 0..RLOOP_MAX_WORKERS, else EINVAL (the loader prints the refusal). */
static int rloop_workers_set(const char *s, const struct kernel_param *p)
{
	return param_set_uint_minmax(s, p, 0, RLOOP_MAX_WORKERS);
}

static const struct kernel_param_ops rloop_workers_ops = {
	.set = rloop_workers_set,
	.get = param_get_uint,
};
module_param_cb(workers, &rloop_workers_ops, &rloop_workers, 0444);
MODULE_PARM_DESC(workers, "Workers per loop device running its backing-file I/O, each for the requests of its share of the submitting threads: 0 (default) one per CPU, at most 64; N (1-64) N workers, 1 being loop.c's single worker");

/*
 * Buffered reads go to the less busy of the submitting thread's request list
 * and another: one thread's queued reads then run on several workers.
 */
bool rloop_spread_reads = true;
module_param_named(spread_reads, rloop_spread_reads, bool, 0444);
MODULE_PARM_DESC(spread_reads, "Hand a read of 64 KiB or more that is a copy (buffered mode, or a backing file on tmpfs) to another of the loop device's workers when that one is two requests behind the submitting thread's, so that one thread's queued reads run side by side; 0: to the thread's worker, as writes (default: 1)");

/*
 * Writes above 64 KiB that are real direct I/O stay with the submitting
 * thread's worker: ext4 starts aligned direct overwrites under a shared
 * inode lock, so several threads' large writes start side by side.
 */
bool rloop_spread_dio_writes = true;
module_param_named(spread_dio_writes, rloop_spread_dio_writes, bool, 0444);
MODULE_PARM_DESC(spread_dio_writes, "Leave a write above 64 KiB that is real direct I/O (direct-I/O mode, a backing file other than tmpfs) with the submitting thread's worker, so that several threads' large direct writes start side by side; 0: every write above 64 KiB to the first worker, as copies (default: 1)");

/*
 * A blocking tag set (BLK_MQ_F_BLOCKING, as null_blk's "blocking"):
 * dispatch runs under the tag set's SRCU instead of RCU, so the quiesce in
 * del_gendisk() waits for an SRCU grace period, expedited when idle,
 * instead of a normal RCU one: LOOP_CTL_REMOVE took half the time
 * (Documentation/benchmarks-analysis.rst).  queue_rq never sleeps either
 * way.
 */
bool rloop_blocking = true;
module_param_named(blocking, rloop_blocking, bool, 0444);
MODULE_PARM_DESC(blocking, "Register loop devices with a blocking (SRCU) tag set, so that LOOP_CTL_REMOVE's queue quiesce waits for an idle SRCU grace period instead of an RCU one; 0: an RCU tag set, as loop.c (default: 1)");

bool rloop_fail_dio_wq;
module_param_named(fail_dio_wq, rloop_fail_dio_wq, bool, 0644);
MODULE_PARM_DESC(fail_dio_wq, "Debug: make the creation of the direct I/O completion workqueue fail");

MODULE_ALIAS_MISCDEV(LOOP_CTRL_MINOR);
MODULE_ALIAS("devname:loop-control");
MODULE_ALIAS_BLOCKDEV_MAJOR(LOOP_MAJOR);

/*
 * /dev/loop-control.  The shim owns the C-only struct miscdevice and its
 * file_operations (with a real owner); the ioctl goes to Rust
 * (rust/kernel_ext/miscdevice.rs).
 */
static long (*rloop_ctl_ioctl_fn)(void *ctx, unsigned int cmd, unsigned long arg);
static void *rloop_ctl_ctx;

/*
 * Calls in flight, plus one while registered: rloop_ctl_deregister() waits
 * for the calls that started before it, and later calls (through a file
 * opened before) get -ENODEV, so the context is never used after it.
 */
static atomic_t rloop_ctl_active = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(rloop_ctl_wait);

static long rloop_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long ret;

	if (!atomic_inc_not_zero(&rloop_ctl_active))
		return -ENODEV;
	ret = rloop_ctl_ioctl_fn(rloop_ctl_ctx, cmd, arg);
	if (atomic_dec_and_test(&rloop_ctl_active))
		wake_up(&rloop_ctl_wait);
	return ret;
}

static const struct file_operations rloop_ctl_fops = {
	.open		= nonseekable_open,
	.unlocked_ioctl	= rloop_ctl_ioctl,
	.compat_ioctl	= rloop_ctl_ioctl,
	.owner		= THIS_MODULE,
	.llseek		= noop_llseek,
};

static struct miscdevice rloop_ctl_misc = {
	.minor		= LOOP_CTRL_MINOR,
	.name		= "loop-control",
	.fops		= &rloop_ctl_fops,
};

int rloop_ctl_register(long (*ioctl)(void *ctx, unsigned int cmd, unsigned long arg),
		       void *ctx)
{
	int ret;

	rloop_ctl_ioctl_fn = ioctl;
	rloop_ctl_ctx = ctx;
	atomic_set(&rloop_ctl_active, 1);
	ret = misc_register(&rloop_ctl_misc);
	if (ret)
		atomic_set(&rloop_ctl_active, 0);
	return ret;
}

void rloop_ctl_deregister(void)
{
	misc_deregister(&rloop_ctl_misc);
	if (!atomic_dec_and_test(&rloop_ctl_active))
		wait_event(rloop_ctl_wait, atomic_read(&rloop_ctl_active) == 0);
}

/* get_file() is a static inline. */
void rloop_get_file(struct file *file)
{
	get_file(file);
}

/*
 * An iov_iter over the data of a blk-mq request, as lo_rw_aio() sets it up
 * (rq_for_each_bvec() is a macro).  A request of several bios gets a copy
 * of its bvecs in *alloc (GFP_NOIO), which the caller kfree()s after the
 * I/O; otherwise *alloc is NULL and the iterator uses the bio's own array.
 */
int rloop_rq_iter(struct request *rq, struct iov_iter *iter, unsigned int dir,
		  struct bio_vec **alloc, bool may_sleep)
{
	gfp_t gfp = may_sleep ? GFP_NOIO : GFP_NOWAIT | __GFP_NOWARN;
	struct req_iterator rq_iter;
	struct bio_vec tmp, *bvec;
	struct bio *bio = rq->bio;
	unsigned int offset;
	int nr_bvec = 0;

	*alloc = NULL;
	if (!bio)
		return -EIO;
	rq_for_each_bvec(tmp, rq, rq_iter)
		nr_bvec++;
	if (rq->bio != rq->biotail) {
		bvec = kmalloc_array(nr_bvec, sizeof(*bvec), gfp);
		if (!bvec)
			return -ENOMEM;
		*alloc = bvec;
		rq_for_each_bvec(tmp, rq, rq_iter)
			*bvec++ = tmp;
		bvec = *alloc;
		offset = 0;
	} else {
		offset = bio->bi_iter.bi_bvec_done;
		bvec = __bvec_iter_bvec(bio->bi_io_vec, bio->bi_iter);
	}
	iov_iter_bvec(iter, dir, bvec, nr_bvec, blk_rq_bytes(rq));
	iter->iov_offset = offset;
	return 0;
}

/*
 * An iov_iter over the data of a bio, for a bio-based disk's submit_bio
 * (bio_for_each_bvec() is a macro): the bio's own bvecs from bi_iter, which
 * may start inside a bvec after a split, as for a one-bio request above.
 */
void rloop_bio_iter(struct bio *bio, struct iov_iter *iter, unsigned int dir)
{
	struct bvec_iter it;
	struct bio_vec tmp;
	unsigned int nr_bvec = 0;

	bio_for_each_bvec(tmp, bio, it)
		nr_bvec++;
	iov_iter_bvec(iter, dir, __bvec_iter_bvec(bio->bi_io_vec, bio->bi_iter),
		      nr_bvec, bio->bi_iter.bi_size);
	iter->iov_offset = bio->bi_iter.bi_bvec_done;
}

/* zero_fill_bio() is a static inline. */
void rloop_rq_zero_fill(struct request *rq)
{
	struct bio *bio;

	for (bio = rq->bio; bio; bio = bio->bi_next)
		zero_fill_bio(bio);
}

/* memalloc_noio_save()/restore() are static inlines. */
unsigned int rloop_memalloc_noio_save(void)
{
	return memalloc_noio_save();
}

void rloop_memalloc_noio_restore(unsigned int flags)
{
	memalloc_noio_restore(flags);
}

/*
 * PF_LOCAL_THROTTLE, as loop_process_work() sets it: the worker writing
 * the backing file is throttled by that file's dirty pages only, not by
 * the dirty pages of the loop device it is cleaning.  Returns whether it
 * was set, for rloop_local_throttle_restore().
 */
bool rloop_local_throttle_save(void)
{
	bool old = current->flags & PF_LOCAL_THROTTLE;

	current->flags |= PF_LOCAL_THROTTLE;
	return old;
}

void rloop_local_throttle_restore(bool old)
{
	if (!old)
		current->flags &= ~PF_LOCAL_THROTTLE;
}

/* nr_cpu_ids is a constant in some configurations. */
unsigned int rloop_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

/* cond_resched() is a macro. */
void rloop_cond_resched(void)
{
	cond_resched();
}

/*
 * A file whose f_op->owner is this module: while it is open the module
 * cannot be unloaded (anon_inode_getfile() takes the reference through
 * fops_get()), and its last fput() drops that reference in __fput(), core
 * code, after the last instruction of ours that can run for it (task_work
 * or the delayed-fput worker, never a return into this module).
 *
 * Bound devices share one such file (a new reference to it per bind), so
 * that a bind does not allocate a file and its dentry and an unbind does
 * not tear them down.  rloop_pin_file is the newest pin file, or NULL; a
 * reference is taken only while its count is not zero, under
 * rloop_pin_lock, and its release (in __fput(), before the file is freed
 * and before the module reference is put) clears the pointer if it is
 * still this file.  A file whose count reached zero stays there until its
 * release; rloop_module_pin() then makes a new one.
 */
static DEFINE_SPINLOCK(rloop_pin_lock);
static struct file *rloop_pin_file;

static int rloop_pin_release(struct inode *inode, struct file *file)
{
	spin_lock(&rloop_pin_lock);
	if (rloop_pin_file == file)
		rloop_pin_file = NULL;
	spin_unlock(&rloop_pin_lock);
	return 0;
}

static const struct file_operations rloop_pin_fops = {
	.owner = THIS_MODULE,
	.release = rloop_pin_release,
};

struct file *rloop_module_pin(void)
{
	struct file *file;

	spin_lock(&rloop_pin_lock);
	file = rloop_pin_file;
	if (file && !atomic_long_inc_not_zero(&file->f_count))
		file = NULL;
	spin_unlock(&rloop_pin_lock);
	if (file)
		return file;

	file = anon_inode_getfile("[rloop-pin]", &rloop_pin_fops, NULL, O_RDONLY);
	if (IS_ERR(file))
		return file;
	spin_lock(&rloop_pin_lock);
	rloop_pin_file = file;
	spin_unlock(&rloop_pin_lock);
	return file;
}

/*
 * blk_mq_complete_request() of a request the driver owns.  Our queues have
 * one hardware queue, so unless it needs an IPI, blk-mq raises the block
 * softirq on this CPU; raised from a worker (process context), that wakes
 * ksoftirqd to end the request.  With here (the worker has nothing else
 * to do: see RequestDrain) and complete_bh, it is raised with bottom
 * halves disabled, and re-enabling them runs it at once, in this thread:
 * the request ends without a ksoftirqd wakeup.  A worker with more
 * requests leaves it to ksoftirqd, which ends them in batches meanwhile.
 * Only in a task with interrupts on: raised from a hard or soft interrupt,
 * the softirq runs on its way out without ksoftirqd anyway.
 *
 * Off by default: a worker faster than a submitter that keeps many
 * requests in flight (4k, QD32, one thread) finds its list empty after
 * almost every request, so it would end each at once and the submitter
 * would reap them one by one (10-20 % slower there); deferred, they end
 * in batches.  At QD1 the submitter waits for each request, and ending
 * it here is 15-30 % faster (Documentation/benchmarks-analysis.rst).
 */
bool rloop_complete_bh;
module_param_named(complete_bh, rloop_complete_bh, bool, 0444);
MODULE_PARM_DESC(complete_bh, "A worker with no other request ends its request in its own softirq run instead of waking ksoftirqd: faster at queue depth 1, slower with many requests in flight from one thread (default: 0, always through ksoftirqd, as loop.c)");

void rloop_rq_complete(struct request *rq, bool here)
{
	bool bh = here && rloop_complete_bh && in_task() && !irqs_disabled();

	if (bh)
		local_bh_disable();
	blk_mq_complete_request(rq);
	if (bh)
		local_bh_enable();
}

/* blk_update_request() of a request the driver owns. */
bool rloop_rq_update(struct request *rq, unsigned int bytes)
{
	return blk_update_request(rq, BLK_STS_OK, bytes);
}

/*
 * The backing file's page cache must not recurse into I/O or the fs while
 * we write it on behalf of a block device (loop_configure()).  Returns the
 * old mask, for rloop_file_restore_gfp().
 */
gfp_t rloop_file_set_gfp_noio(struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	gfp_t old = mapping_gfp_mask(mapping);

	mapping_set_gfp_mask(mapping, old & ~(__GFP_IO | __GFP_FS));
	return old;
}

void rloop_file_restore_gfp(struct file *file, gfp_t gfp)
{
	mapping_set_gfp_mask(file->f_mapping, gfp);
}

/*
 * /sys/block/loopN/loop/: the attribute group is a C-only structure; the
 * values come from Rust (rust/kernel_ext/sysfs.rs) through one show
 * function, by attribute index.  Present only while the device is bound.
 */
static ssize_t (*rloop_sysfs_show_fn)(void *private_data, unsigned int index, char *buf);

static ssize_t rloop_attr_show(struct device *dev, struct device_attribute *attr, char *buf);

static struct device_attribute rloop_attrs[] = {
	__ATTR(backing_file, 0444, rloop_attr_show, NULL),
	__ATTR(offset, 0444, rloop_attr_show, NULL),
	__ATTR(sizelimit, 0444, rloop_attr_show, NULL),
	__ATTR(autoclear, 0444, rloop_attr_show, NULL),
	__ATTR(partscan, 0444, rloop_attr_show, NULL),
	__ATTR(dio, 0444, rloop_attr_show, NULL),
};

static struct attribute *rloop_attr_ptrs[] = {
	&rloop_attrs[0].attr,
	&rloop_attrs[1].attr,
	&rloop_attrs[2].attr,
	&rloop_attrs[3].attr,
	&rloop_attrs[4].attr,
	&rloop_attrs[5].attr,
	NULL,
};

static const struct attribute_group rloop_attribute_group = {
	.name = "loop",
	.attrs = rloop_attr_ptrs,
};

static ssize_t rloop_attr_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct gendisk *disk = dev_to_disk(dev);

	return rloop_sysfs_show_fn(disk->private_data, attr - rloop_attrs, buf);
}

int rloop_sysfs_add(struct gendisk *disk,
		    ssize_t (*show)(void *private_data, unsigned int index, char *buf))
{
	rloop_sysfs_show_fn = show;
	return sysfs_create_group(&disk_to_dev(disk)->kobj, &rloop_attribute_group);
}

void rloop_sysfs_remove(struct gendisk *disk)
{
	sysfs_remove_group(&disk_to_dev(disk)->kobj, &rloop_attribute_group);
}

/* struct kstatfs is not in 6.12's bindings: the block size of a file's fs. */
long rloop_file_fs_bsize(struct file *file)
{
	struct kstatfs sbuf;
	int err = vfs_statfs(&file->f_path, &sbuf);

	return err ? err : sbuf.f_bsize;
}

/*
 * One read or write of a request's data through a kiocb, as lo_rw_aio()
 * issues it: init_sync_kiocb() and kiocb_start_write() are static inlines,
 * and f_op->read_iter/write_iter are called directly.  With @complete the
 * kiocb is asynchronous (IOCB_DIRECT, maybe IOCB_NOWAIT): the result is
 * -EIOCBQUEUED or the final one, and @complete runs later in the first
 * case only.  Without it the call is synchronous (IOCB_DIRECT if @direct,
 * page cache otherwise).
 * A write hands its sb_writers freeze protection to the kiocb
 * (kiocb_start_write: lockdep ownership is released until
 * rloop_kiocb_end_write()); *@write_started says whether it did, so
 * whether rloop_kiocb_end_write() is due when the kiocb is done.
 */
long rloop_kiocb_rw(struct kiocb *iocb, struct file *file, loff_t pos,
		    unsigned short ioprio, bool direct, bool write,
		    void (*complete)(struct kiocb *, long), struct iov_iter *iter,
		    bool *write_started)
{
	*write_started = false;
	init_sync_kiocb(iocb, file);
	iocb->ki_pos = pos;
	iocb->ki_ioprio = ioprio;
	iocb->ki_complete = complete;
	/* As loop.c: the file's own O_DIRECT does not count, the mode does. */
	iocb->ki_flags = direct ? IOCB_DIRECT : 0;
	if (!write)
		return file->f_op->read_iter(iocb, iter);
	kiocb_start_write(iocb);
	*write_started = true;
	return file->f_op->write_iter(iocb, iter);
}

/* kiocb_end_write() is a static inline. */
void rloop_kiocb_end_write(struct kiocb *iocb)
{
	kiocb_end_write(iocb);
}

/* req_get_ioprio() is a static inline. */
unsigned short rloop_rq_ioprio(struct request *rq)
{
	return req_get_ioprio(rq);
}

/* dev_set_uevent_suppress() is a static inline. */
void rloop_disk_set_uevent_suppress(struct gendisk *disk, bool on)
{
	dev_set_uevent_suppress(disk_to_dev(disk), on);
}

/* xa_init(), xa_lock() and xa_unlock() are static inlines and macros. */
void rloop_xa_init(struct xarray *xa)
{
	xa_init(xa);
}

/*
 * xa_load() of n consecutive indices from first, with one cursor under one
 * RCU read lock (xas_next() is a static inline): out[i] is the entry at
 * first + i, or NULL.  For an insert-only array, whose entries stay valid
 * after the lock is dropped.
 */
void rloop_xa_load_range(struct xarray *xa, unsigned long first, void **out,
			 unsigned int n)
{
	XA_STATE(xas, xa, first);
	unsigned int i = 0;
	void *entry;

	if (!n)
		return;
	rcu_read_lock();
	entry = xas_load(&xas);
	for (;;) {
		/* A node being freed under us: walk again to the same index. */
		if (xa_is_retry(entry)) {
			xas_reset(&xas);
			entry = xas_load(&xas);
			continue;
		}
		/* A reserved entry (never stored here) reads as empty. */
		out[i++] = xa_is_zero(entry) ? NULL : entry;
		if (i == n)
			break;
		entry = xas_next(&xas);
	}
	rcu_read_unlock();
}

void rloop_xa_lock(struct xarray *xa)
{
	xa_lock(xa);
}

void rloop_xa_unlock(struct xarray *xa)
{
	xa_unlock(xa);
}

/*
 * DAX on rdax disks (rust/kernel_ext/dax.rs).  struct dax_operations is
 * C-only (dax.h is not in 6.12's bindings), so the table lives here and
 * forwards to Rust with the device's private data; pfn_t and
 * phys_to_pfn_t() are C-only too.  The pfns are devmap pfns of the
 * driver's ZONE_DEVICE pool (PFN_DEV | PFN_MAP, as pmem's with pages).
 */
long rloop_dax_direct_access_rs(void *private, pgoff_t pgoff, long nr_pages,
				bool recovery, void **kaddr, u64 *phys);
int rloop_dax_zero_page_range_rs(void *private, pgoff_t pgoff, size_t nr_pages);
size_t rloop_dax_recovery_write_rs(void *private, pgoff_t pgoff, void *addr,
				   size_t bytes, struct iov_iter *iter);

static long rloop_dax_direct_access(struct dax_device *dax_dev, pgoff_t pgoff,
				    long nr_pages, enum dax_access_mode mode,
				    void **kaddr, pfn_t *pfn)
{
	void *addr = NULL;
	u64 phys = 0;
	long ret;

	ret = rloop_dax_direct_access_rs(dax_get_private(dax_dev), pgoff, nr_pages,
					 mode == DAX_RECOVERY_WRITE, &addr, &phys);
	if (ret <= 0)
		return ret;
	if (kaddr)
		*kaddr = addr;
	if (pfn)
		*pfn = phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);
	return ret;
}

static int rloop_dax_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff,
				     size_t nr_pages)
{
	return rloop_dax_zero_page_range_rs(dax_get_private(dax_dev), pgoff, nr_pages);
}

static size_t rloop_dax_recovery_write(struct dax_device *dax_dev, pgoff_t pgoff,
				       void *addr, size_t bytes, struct iov_iter *iter)
{
	return rloop_dax_recovery_write_rs(dax_get_private(dax_dev), pgoff, addr,
					   bytes, iter);
}

static const struct dax_operations rloop_dax_ops = {
	.direct_access		= rloop_dax_direct_access,
	.zero_page_range	= rloop_dax_zero_page_range,
	.recovery_write		= rloop_dax_recovery_write,
};

/*
 * alloc_dax() with the table above; an ERR_PTR on failure.  Flagged as
 * pmem_attach_disk() flags its own: filesystem DAX then writes the pool
 * with _copy_from_iter_flushcache() and reads it with _copy_mc_to_iter(),
 * as the disk's own bios do.
 */
struct dax_device *rloop_alloc_dax(void *private)
{
	struct dax_device *dax_dev = alloc_dax(private, &rloop_dax_ops);

	if (!IS_ERR(dax_dev)) {
		set_dax_nocache(dax_dev);
		set_dax_nomc(dax_dev);
	}
	return dax_dev;
}
