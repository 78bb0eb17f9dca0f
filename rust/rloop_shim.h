/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions and data of rloop_shim.c that Rust calls (declared again, by
 * hand, in rust/kernel_ext/; keep the two in sync).
 */
#ifndef RLOOP_SHIM_H
#define RLOOP_SHIM_H

#include <linux/types.h>

struct bio_vec;
struct dax_device;
struct file;
struct gendisk;
struct iov_iter;
struct kiocb;
struct xarray;
struct request;

extern const size_t rloop_uapi_sizes[3];

extern int rloop_max_loop;
extern bool rloop_max_loop_specified;
extern int rloop_max_part;
extern int rloop_hw_queue_depth;
extern bool rloop_force_async_clear;
extern unsigned int rloop_debug_delay_ms;
extern bool rloop_fail_dio_wq;
/* The most workers per loop device (parameter workers). */
#define RLOOP_MAX_WORKERS 64
extern unsigned int rloop_workers;
extern const unsigned int rloop_max_workers;
extern int rloop_rdax_nr;
extern unsigned long rloop_rdax_size;
extern char *rloop_rdax_pool;

int rloop_ctl_register(long (*ioctl)(void *ctx, unsigned int cmd, unsigned long arg),
		       void *ctx);
void rloop_ctl_deregister(void);

void rloop_get_file(struct file *file);

void rloop_bio_iter(struct bio *bio, struct iov_iter *iter, unsigned int dir);
int rloop_rq_iter(struct request *rq, struct iov_iter *iter, unsigned int dir,
		  struct bio_vec **alloc, bool may_sleep);
void rloop_rq_zero_fill(struct request *rq);
unsigned int rloop_memalloc_noio_save(void);
void rloop_memalloc_noio_restore(unsigned int flags);
unsigned int rloop_nr_cpu_ids(void);
void rloop_cond_resched(void);
struct file *rloop_module_pin(void);
bool rloop_rq_update(struct request *rq, unsigned int bytes);
void rloop_rq_complete(struct request *rq, bool here);
bool rloop_local_throttle_save(void);
void rloop_local_throttle_restore(bool old);
gfp_t rloop_file_set_gfp_noio(struct file *file);
void rloop_file_restore_gfp(struct file *file, gfp_t gfp);
int rloop_sysfs_add(struct gendisk *disk,
		    ssize_t (*show)(void *private_data, unsigned int index, char *buf));
void rloop_sysfs_remove(struct gendisk *disk);
long rloop_file_fs_bsize(struct file *file);
long rloop_kiocb_rw(struct kiocb *iocb, struct file *file, loff_t pos,
		    unsigned short ioprio, bool direct, bool write,
		    void (*complete)(struct kiocb *, long), struct iov_iter *iter,
		    bool *write_started);
void rloop_kiocb_end_write(struct kiocb *iocb);
unsigned short rloop_rq_ioprio(struct request *rq);
void rloop_disk_set_uevent_suppress(struct gendisk *disk, bool on);
void rloop_xa_init(struct xarray *xa);
void rloop_xa_load_range(struct xarray *xa, unsigned long first, void **out,
			 unsigned int n);
void rloop_xa_lock(struct xarray *xa);
void rloop_xa_unlock(struct xarray *xa);
struct dax_device *rloop_alloc_dax(void *private);

#endif /* RLOOP_SHIM_H */
