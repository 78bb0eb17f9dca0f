// SPDX-License-Identifier: GPL-2.0
/*
 * loopfuzz: concurrent, seedable ioctl fuzzer for the loop driver (R10).
 *
 * NPROC processes (default 16) run for SECONDS, each with its own
 * pseudo-random stream derived from SEED, opening and closing /dev/loop0..
 * /dev/loop(NDEV-1) and their partitions, and issuing every control and
 * device ioctl with valid and invalid arguments: LOOP_CONFIGURE (with and
 * without AUTOCLEAR, DIRECT_IO, PARTSCAN, READ_ONLY, odd block sizes,
 * offsets, size limits and garbage in the unused fields), LOOP_SET_FD,
 * LOOP_CHANGE_FD, LOOP_CLR_FD, LOOP_SET_STATUS(64), LOOP_GET_STATUS(64),
 * LOOP_SET_BLOCK_SIZE (0/511/513/8192...), LOOP_SET_CAPACITY,
 * LOOP_SET_DIRECT_IO, LOOP_CTL_ADD/REMOVE/GET_FREE, NULL/unmapped/kernel/
 * page-straddling pointers, unknown ioctl numbers, block ioctls, reads and
 * writes (buffered and O_DIRECT), and truncation of the backing files.
 *
 * Backing files are DIR/b0 .. DIR/b5 (the caller creates them; b0 may
 * carry a partition table), plus the directory itself, /dev/null and loop
 * devices (loop on loop, cycles).  Only devices below NDEV + 4 are ever
 * added or removed.
 *
 * Every result is counted per operation kind: "ok" or the errno.  Each kind
 * has the set of errnos loop.c (6.12) can give for it; any other result is
 * "unexpected", printed with the arguments, and makes the exit status 1.
 * The same seed gives the same operation sequence in each process (the
 * interleaving, and so the results, vary).  -o FILE writes "kind errno"
 * pairs for comparing two drivers.
 *
 * Usage: loopfuzz -d DIR [-s SEED] [-t SECONDS] [-p NPROC] [-n NDEV] [-o FILE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXERR 134
#define MAXFDS 6
#define NBACK 6

enum kind {
	K_OPEN, K_CLOSE, K_CONFIGURE, K_SET_FD, K_CHANGE_FD, K_CLR_FD,
	K_SET_STATUS64, K_SET_STATUS, K_GET_STATUS64, K_GET_STATUS,
	K_SET_BLOCK_SIZE, K_SET_CAPACITY, K_SET_DIRECT_IO, K_CTL_ADD,
	K_CTL_REMOVE, K_CTL_GET_FREE, K_BADPTR, K_UNKNOWN, K_BLK, K_IO,
	K_TRUNCATE, NKINDS
};

static const char *const kname[NKINDS] = {
	"open", "close", "CONFIGURE", "SET_FD", "CHANGE_FD", "CLR_FD",
	"SET_STATUS64", "SET_STATUS", "GET_STATUS64", "GET_STATUS",
	"SET_BLOCK_SIZE", "SET_CAPACITY", "SET_DIRECT_IO", "CTL_ADD",
	"CTL_REMOVE", "CTL_GET_FREE", "bad-pointer", "unknown-ioctl",
	"block-ioctl", "read/write", "truncate",
};

/* What loop.c can return for each kind (0-terminated). */
static const int allowed[NKINDS][16] = {
	[K_OPEN] = { ENXIO, ENOENT, EBUSY, EACCES, EROFS, ENODEV, EINTR },
	[K_CLOSE] = { 0 },
	[K_CONFIGURE] = { EBADF, EINVAL, EBUSY, EFAULT, EOVERFLOW, ENXIO, EINTR, ENOMEM },
	[K_SET_FD] = { EBADF, EINVAL, EBUSY, EOVERFLOW, ENXIO, EINTR, ENOMEM },
	[K_CHANGE_FD] = { EBADF, EINVAL, ENXIO, EBUSY, EINTR },
	[K_CLR_FD] = { ENXIO, EBUSY, EINTR },
	[K_SET_STATUS64] = { ENXIO, EINVAL, EFAULT, EPERM, EBUSY, EOVERFLOW, EINTR },
	[K_SET_STATUS] = { ENXIO, EINVAL, EFAULT, EPERM, EBUSY, EOVERFLOW, EINTR },
	[K_GET_STATUS64] = { ENXIO, EFAULT, EINTR },
	[K_GET_STATUS] = { ENXIO, EFAULT, EOVERFLOW, EINTR },
	[K_SET_BLOCK_SIZE] = { EINVAL, ENXIO, EBUSY, EPERM, EINTR },
	[K_SET_CAPACITY] = { ENXIO, EPERM, EINTR },
	[K_SET_DIRECT_IO] = { ENXIO, EINVAL, EPERM, EINTR },
	[K_CTL_ADD] = { EEXIST, EINVAL, ENOMEM, ENODEV, EINTR },
	[K_CTL_REMOVE] = { EBUSY, ENOENT, ENODEV, EINVAL, EINTR },
	[K_CTL_GET_FREE] = { ENOMEM, ENODEV, EINTR },
	[K_BADPTR] = { EFAULT, EINVAL, ENXIO, EBADF, EPERM, EBUSY, EOVERFLOW, EINTR },
	[K_UNKNOWN] = { ENOTTY, EINVAL, ENOSYS, ENXIO, EPERM },
	[K_BLK] = { EINVAL, EBUSY, EIO, ENXIO, EBADF, EPERM, EOPNOTSUPP, EACCES, EROFS, ENOTTY, ENOSPC },
	[K_IO] = { EIO, ENXIO, EBADF, EINVAL, ENOSPC, EPERM, EROFS, EFBIG, EAGAIN },
	[K_TRUNCATE] = { EINVAL, EFBIG },
};

struct unexpected {
	int kind, err;
	char what[120];
};

struct shared {
	uint64_t count[NKINDS][MAXERR + 1]; /* [0] = ok */
	uint64_t n_unexpected;
	struct unexpected u[32];
};

static struct shared *sh;
static const char *dir;
static int ndev = 8;
static uint64_t rng;
static unsigned char *unmapped, *straddle;
static char *dbuf; /* 4 KiB aligned, for O_DIRECT */

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n) { return rnd() % n; }
static int chance(unsigned int pct) { return below(100) < pct; }

static int is_allowed(int kind, int err)
{
	for (int i = 0; i < 16 && allowed[kind][i]; i++)
		if (allowed[kind][i] == err)
			return 1;
	return 0;
}

/* Count a result (rc < 0: errno); report unexpected ones. */
static void note(int kind, long rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(int kind, long rc, const char *fmt, ...)
{
	int err = rc < 0 ? errno : 0;

	if (err > MAXERR)
		err = MAXERR;
	__atomic_fetch_add(&sh->count[kind][err], 1, __ATOMIC_RELAXED);
	if (err && !is_allowed(kind, err)) {
		uint64_t i = __atomic_fetch_add(&sh->n_unexpected, 1, __ATOMIC_RELAXED);
		if (i < 32) {
			va_list ap;

			sh->u[i].kind = kind;
			sh->u[i].err = err;
			va_start(ap, fmt);
			vsnprintf(sh->u[i].what, sizeof(sh->u[i].what), fmt, ap);
			va_end(ap);
		}
	}
}

/* Open descriptors of this process: loop devices and partitions. */
struct ofd {
	int fd;
	int dev;
	int flags;
};
static struct ofd fds[MAXFDS];
static int nfds;

static int pick_fd(void)
{
	return nfds ? fds[below(nfds)].fd : -1;
}

static void do_open(void)
{
	static const int fl[] = { O_RDONLY, O_RDWR, O_RDWR | O_EXCL, O_RDONLY | O_NONBLOCK,
				  O_RDWR | O_DIRECT, O_WRONLY };
	char path[64];
	int dev = below(ndev), flags = fl[below(6)], fd;

	if (nfds == MAXFDS)
		return;
	if (chance(25))
		snprintf(path, sizeof(path), "/dev/loop%dp%d", dev, 1 + below(2));
	else
		snprintf(path, sizeof(path), "/dev/loop%d", dev);
	fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;

		/* Somebody else's regular file there would only give ENOTTY. */
		if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
			close(fd);
			errno = ENOTBLK;
			fd = -1;
		}
	}
	note(K_OPEN, fd, "open %s flags %#x", path, flags);
	if (fd >= 0)
		fds[nfds++] = (struct ofd){ fd, dev, flags };
}

static void do_close(void)
{
	int i;

	if (!nfds)
		return;
	i = below(nfds);
	note(K_CLOSE, close(fds[i].fd), "close");
	fds[i] = fds[--nfds];
}

/* A backing descriptor to bind: usually a backing file, sometimes not. */
static int backing_fd(char *what, size_t len)
{
	char path[256];
	int r = below(100), fd, flags;

	if (r < 70) {
		int b = below(NBACK);

		flags = chance(25) ? O_RDONLY : O_RDWR;
		if (chance(15))
			flags |= O_DIRECT;
		snprintf(path, sizeof(path), "%s/b%d", dir, b);
		fd = open(path, flags | O_CLOEXEC);
		snprintf(what, len, "b%d%s%s", b, (flags & O_ACCMODE) == O_RDONLY ? " ro" : "",
			 flags & O_DIRECT ? " direct" : "");
		return fd;
	}
	if (r < 85) { /* loop on loop; itself or a cycle sometimes */
		int d = below(ndev);

		snprintf(path, sizeof(path), "/dev/loop%d", d);
		snprintf(what, len, "loop%d", d);
		return open(path, (chance(50) ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	}
	if (r < 90) {
		snprintf(what, len, "the directory");
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (r < 94) {
		snprintf(what, len, "/dev/null");
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	}
	snprintf(what, len, "a bad fd");
	return chance(50) ? -1 : 987;
}

static uint64_t pick_offset(void)
{
	static const uint64_t v[] = { 0, 0, 0, 512, 4096, 1 << 20, 3, 1ULL << 40, 1ULL << 63,
				      ~0ULL, (16 << 20) - 512, 32 << 20 };
	return chance(20) ? rnd() % (32 << 20) : v[below(sizeof(v) / sizeof(v[0]))];
}

static uint32_t pick_block_size(void)
{
	static const uint32_t v[] = { 0, 511, 512, 513, 1024, 2048, 4096, 8192, 65536, 256 };
	return chance(5) ? (uint32_t)rnd() : v[below(sizeof(v) / sizeof(v[0]))];
}

static uint32_t pick_flags(void)
{
	uint32_t f = 0;

	if (chance(30))
		f |= LO_FLAGS_AUTOCLEAR;
	if (chance(25))
		f |= LO_FLAGS_DIRECT_IO;
	if (chance(20))
		f |= LO_FLAGS_PARTSCAN;
	if (chance(15))
		f |= LO_FLAGS_READ_ONLY;
	if (chance(5))
		f |= (uint32_t)rnd();
	return f;
}

static void fill_info64(struct loop_info64 *i)
{
	memset(i, 0, sizeof(*i));
	i->lo_offset = pick_offset();
	i->lo_sizelimit = chance(60) ? 0 : pick_offset();
	i->lo_flags = pick_flags();
	if (chance(30)) { /* garbage in the fields the driver ignores or reports */
		i->lo_device = rnd();
		i->lo_inode = rnd();
		i->lo_rdevice = rnd();
		i->lo_number = (uint32_t)rnd();
		i->lo_init[0] = rnd();
		i->lo_init[1] = rnd();
		for (size_t k = 0; k < sizeof(i->lo_encrypt_key); k++)
			i->lo_encrypt_key[k] = (uint8_t)rnd();
	}
	if (chance(40)) /* names, sometimes without a terminating NUL */
		for (size_t k = 0; k < LO_NAME_SIZE; k++) {
			i->lo_file_name[k] = 'a' + below(26);
			i->lo_crypt_name[k] = chance(10) ? (uint8_t)rnd() : 0;
		}
	if (chance(5))
		i->lo_encrypt_type = below(20);
	if (chance(5))
		i->lo_encrypt_key_size = below(40);
}

static void do_configure(int kind)
{
	char what[64];
	int fd = pick_fd(), b;
	long rc;

	if (fd < 0)
		return;
	b = backing_fd(what, sizeof(what));
	if (kind == K_SET_FD) {
		rc = ioctl(fd, LOOP_SET_FD, b);
		note(kind, rc, "SET_FD %s", what);
	} else if (kind == K_CHANGE_FD) {
		rc = ioctl(fd, LOOP_CHANGE_FD, b);
		note(kind, rc, "CHANGE_FD %s", what);
	} else {
		struct loop_config c;

		memset(&c, 0, sizeof(c));
		c.fd = b;
		c.block_size = chance(50) ? 0 : pick_block_size();
		fill_info64(&c.info);
		if (chance(10))
			for (int k = 0; k < 8; k++)
				c.__reserved[k] = rnd();
		rc = ioctl(fd, LOOP_CONFIGURE, &c);
		note(kind, rc, "CONFIGURE %s bs %u off %#llx limit %#llx flags %#x", what, c.block_size,
		     (unsigned long long)c.info.lo_offset, (unsigned long long)c.info.lo_sizelimit,
		     c.info.lo_flags);
	}
	if (b >= 0 && b != 987)
		close(b);
}

static void do_status(int kind)
{
	int fd = pick_fd();
	struct loop_info64 i64;
	struct loop_info old;
	long rc;

	if (fd < 0)
		return;
	switch (kind) {
	case K_SET_STATUS64:
		fill_info64(&i64);
		rc = ioctl(fd, LOOP_SET_STATUS64, &i64);
		note(kind, rc, "SET_STATUS64 off %#llx limit %#llx flags %#x enc %u/%u",
		     (unsigned long long)i64.lo_offset, (unsigned long long)i64.lo_sizelimit,
		     i64.lo_flags, i64.lo_encrypt_type, i64.lo_encrypt_key_size);
		break;
	case K_SET_STATUS:
		fill_info64(&i64);
		memset(&old, 0, sizeof(old));
		old.lo_offset = (int)i64.lo_offset;
		old.lo_flags = (int)i64.lo_flags;
		old.lo_encrypt_type = i64.lo_encrypt_type;
		old.lo_encrypt_key_size = i64.lo_encrypt_key_size;
		if (chance(30)) {
			old.lo_number = (int)rnd();
			old.lo_device = rnd();
			old.lo_inode = rnd();
			old.lo_rdevice = rnd();
			old.reserved[0] = (char)rnd();
		}
		rc = ioctl(fd, LOOP_SET_STATUS, &old);
		note(kind, rc, "SET_STATUS off %d flags %#x", old.lo_offset, old.lo_flags);
		break;
	case K_GET_STATUS64:
		note(kind, ioctl(fd, LOOP_GET_STATUS64, &i64), "GET_STATUS64");
		break;
	default:
		note(kind, ioctl(fd, LOOP_GET_STATUS, &old), "GET_STATUS");
		break;
	}
}

static void do_simple(int kind)
{
	int fd = pick_fd();
	unsigned long arg;

	if (fd < 0)
		return;
	switch (kind) {
	case K_CLR_FD:
		note(kind, ioctl(fd, LOOP_CLR_FD, 0), "CLR_FD");
		break;
	case K_SET_BLOCK_SIZE:
		arg = chance(5) ? rnd() : pick_block_size();
		note(kind, ioctl(fd, LOOP_SET_BLOCK_SIZE, arg), "SET_BLOCK_SIZE %lu", arg);
		break;
	case K_SET_CAPACITY:
		note(kind, ioctl(fd, LOOP_SET_CAPACITY, chance(10) ? rnd() : 0), "SET_CAPACITY");
		break;
	default:
		arg = chance(10) ? rnd() : below(2);
		note(kind, ioctl(fd, LOOP_SET_DIRECT_IO, arg), "SET_DIRECT_IO %lu", arg);
		break;
	}
}

static void do_control(int kind)
{
	int c = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	long rc, n;

	if (c < 0) {
		note(kind, c, "open /dev/loop-control");
		return;
	}
	switch (kind) {
	case K_CTL_ADD:
		n = chance(10) ? (chance(50) ? -1 : (long)(rnd() >> 1)) : (long)below(ndev + 4);
		if (n > ndev + 4 && n < (1 << 20)) /* never create many devices */
			n = -2;
		rc = ioctl(c, LOOP_CTL_ADD, n);
		note(kind, rc, "CTL_ADD %ld", n);
		if (rc >= ndev + 4) /* a device this run does not use */
			ioctl(c, LOOP_CTL_REMOVE, rc);
		break;
	case K_CTL_REMOVE:
		n = chance(10) ? (chance(50) ? -1 : (long)rnd()) : (long)below(ndev + 4);
		note(kind, ioctl(c, LOOP_CTL_REMOVE, n), "CTL_REMOVE %ld", n);
		break;
	default:
		rc = ioctl(c, LOOP_CTL_GET_FREE);
		note(kind, rc, "CTL_GET_FREE");
		if (rc >= ndev + 4)
			ioctl(c, LOOP_CTL_REMOVE, rc);
		break;
	}
	close(c);
}

static void *bad_pointer(const char **what)
{
	switch (below(6)) {
	case 0: *what = "NULL"; return NULL;
	case 1: *what = "0x1"; return (void *)1;
	case 2: *what = "unmapped"; return unmapped;
	case 3: *what = "kernel"; return (void *)0xffffffff81000000UL;
	case 4: *what = "straddling"; return straddle;
	default: *what = "misaligned valid"; return dbuf + 1;
	}
}

static void do_badptr(void)
{
	static const unsigned long cmds[] = { LOOP_CONFIGURE, LOOP_SET_STATUS64, LOOP_GET_STATUS64,
					      LOOP_SET_STATUS, LOOP_GET_STATUS };
	static const char *const names[] = { "CONFIGURE", "SET_STATUS64", "GET_STATUS64",
					     "SET_STATUS", "GET_STATUS" };
	const char *what;
	int fd = pick_fd(), k = below(5);
	void *p;

	if (fd < 0)
		return;
	p = bad_pointer(&what);
	if (p == dbuf + 1) /* valid memory: zeroes (fd 0, no flags) */
		memset(dbuf, 0, 4096);
	note(K_BADPTR, ioctl(fd, cmds[k], p), "%s with a %s pointer", names[k], what);
}

static void do_unknown(void)
{
	unsigned long cmd = chance(50) ? 0x4C00 + below(0x100) : (unsigned long)(uint32_t)rnd();
	int fd, ctl = chance(30);

	/* Only numbers of the loop driver's range ('L', 0x4C), and none it
	 * knows. */
	cmd = 0x4C00 | (cmd & 0xff);
	if ((cmd >= LOOP_SET_FD && cmd <= LOOP_CONFIGURE) ||
	    (cmd >= LOOP_CTL_ADD && cmd <= LOOP_CTL_GET_FREE))
		cmd = 0x4C3F;
	if (ctl)
		fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	else
		fd = pick_fd();
	if (fd < 0)
		return;
	note(K_UNKNOWN, ioctl(fd, cmd, chance(50) ? NULL : dbuf), "%s ioctl %#lx",
	     ctl ? "control" : "device", cmd);
	if (ctl)
		close(fd);
}

static void do_blk(void)
{
	int fd = pick_fd();
	uint64_t r[2], sz;
	int bs;

	if (fd < 0)
		return;
	switch (below(5)) {
	case 0: note(K_BLK, ioctl(fd, BLKGETSIZE64, &sz), "BLKGETSIZE64"); break;
	case 1: note(K_BLK, ioctl(fd, BLKSSZGET, &bs), "BLKSSZGET"); break;
	case 2: note(K_BLK, ioctl(fd, BLKFLSBUF, 0), "BLKFLSBUF"); break;
	case 3: note(K_BLK, ioctl(fd, BLKRRPART, 0), "BLKRRPART"); break;
	default:
		r[0] = (rnd() % 64) << 16;
		r[1] = 1 << 16;
		note(K_BLK, ioctl(fd, chance(50) ? BLKDISCARD : BLKZEROOUT, r), "BLKDISCARD/ZEROOUT");
		break;
	}
}

static void do_io(void)
{
	int i, len;
	off_t off;
	long rc;

	if (!nfds)
		return;
	i = below(nfds);
	len = 512 << below(4);
	off = (off_t)(rnd() % (24 << 20)) & ~(off_t)511;
	if (chance(50)) {
		rc = pread(fds[i].fd, dbuf, len, off);
		note(K_IO, rc, "pread %d at %lld", len, (long long)off);
	} else {
		memset(dbuf, 0x5a, len);
		rc = pwrite(fds[i].fd, dbuf, len, off);
		note(K_IO, rc, "pwrite %d at %lld", len, (long long)off);
	}
}

static void do_truncate(void)
{
	static const off_t sizes[] = { 0, 4 << 20, 16 << 20, 32 << 20, (1 << 20) + 3 };
	char path[256];
	int b = 1 + below(NBACK - 1); /* b0 keeps its partition table */
	off_t s = sizes[below(5)];

	snprintf(path, sizeof(path), "%s/b%d", dir, b);
	note(K_TRUNCATE, truncate(path, s), "truncate b%d %lld", b, (long long)s);
}

static void child(uint64_t seed, int idx, time_t deadline)
{
	rng = seed ^ (0x632be59bd9b4e019ULL * (uint64_t)(idx + 1));
	while (time(NULL) < deadline) {
		unsigned int r = below(100);

		if (r < 13) do_open();
		else if (r < 24) do_close();
		else if (r < 32) do_configure(K_CONFIGURE);
		else if (r < 36) do_configure(K_SET_FD);
		else if (r < 39) do_configure(K_CHANGE_FD);
		else if (r < 45) do_simple(K_CLR_FD);
		else if (r < 51) do_status(K_SET_STATUS64);
		else if (r < 53) do_status(K_SET_STATUS);
		else if (r < 56) do_status(K_GET_STATUS64);
		else if (r < 57) do_status(K_GET_STATUS);
		else if (r < 61) do_simple(K_SET_BLOCK_SIZE);
		else if (r < 64) do_simple(K_SET_CAPACITY);
		else if (r < 67) do_simple(K_SET_DIRECT_IO);
		else if (r < 69) do_control(K_CTL_ADD);
		else if (r < 71) do_control(K_CTL_REMOVE);
		else if (r < 73) do_control(K_CTL_GET_FREE);
		else if (r < 78) do_badptr();
		else if (r < 80) do_unknown();
		else if (r < 84) do_blk();
		else if (r < 98) do_io();
		else do_truncate();
	}
	while (nfds)
		do_close();
	_exit(0);
}

static const char *ename(int e)
{
	static char buf[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0, total = 0;
	int nproc = 16, secs = 30, opt, failed = 0, have_seed = 0;
	const char *outfile = NULL;
	FILE *out = NULL;
	time_t deadline;
	pid_t *pids;

	while ((opt = getopt(argc, argv, "d:s:t:p:n:o:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); have_seed = 1; break;
		case 't': secs = atoi(optarg); break;
		case 'p': nproc = atoi(optarg); break;
		case 'n': ndev = atoi(optarg); break;
		case 'o': outfile = optarg; break;
		default:
			fprintf(stderr, "usage: %s -d DIR [-s SEED] [-t SECONDS] [-p NPROC] [-n NDEV] [-o FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (!dir || nproc < 1 || secs < 1 || ndev < 1) {
		fprintf(stderr, "loopfuzz: -d DIR is required; -p, -t and -n must be positive\n");
		return 2;
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
	}
	printf("loopfuzz: seed %#" PRIx64 " (-s to repeat), %d processes, %d s, loop0-loop%d\n",
	       seed, nproc, secs, ndev - 1);
	fflush(stdout);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* an unmapped page, and a struct that runs from a mapped page into a
	 * PROT_NONE one */
	unmapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	straddle = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || unmapped == MAP_FAILED || straddle == MAP_FAILED ||
	    posix_memalign((void **)&dbuf, 4096, 8192)) {
		perror("loopfuzz: mmap");
		return 2;
	}
	munmap(unmapped, 4096);
	mprotect(straddle + 4096, 4096, PROT_NONE);
	memset(straddle, 0, 4096);
	straddle += 4096 - 64;

	deadline = time(NULL) + secs;
	pids = calloc(nproc, sizeof(*pids));
	for (int i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			child(seed, i, deadline);
		if (pids[i] < 0) {
			perror("loopfuzz: fork");
			return 2;
		}
	}
	for (int i = 0; i < nproc; i++) {
		int st;

		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("loopfuzz: process %d ended with status %#x\n", i, st);
			failed = 1;
		}
	}

	if (outfile && !(out = fopen(outfile, "w"))) {
		perror(outfile);
		return 2;
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t n = 0;

		for (int e = 0; e <= MAXERR; e++)
			n += sh->count[k][e];
		total += n;
		printf("  %-15s %8" PRIu64 ":", kname[k], n);
		for (int e = 0; e <= MAXERR; e++) {
			if (!sh->count[k][e])
				continue;
			printf(" %s %" PRIu64, e ? ename(e) : "ok", sh->count[k][e]);
			if (out)
				fprintf(out, "%s %s\n", kname[k], e ? ename(e) : "ok");
		}
		printf("\n");
	}
	if (out)
		fclose(out);
	printf("loopfuzz: %" PRIu64 " operations, %" PRIu64 " unexpected results (seed %#" PRIx64 ")\n",
	       total, sh->n_unexpected, seed);
	for (uint64_t i = 0; i < sh->n_unexpected && i < 32; i++)
		printf("  unexpected: %s -> %s: %s\n", kname[sh->u[i].kind], ename(sh->u[i].err),
		       sh->u[i].what);
	return failed || sh->n_unexpected ? 1 : 0;
}
