// SPDX-License-Identifier: GPL-2.0
/*
 * compat-status: the loop ioctls as a 32-bit (i386) program issues them,
 * so that they reach the driver's compat_ioctl.  Built with
 * `gcc -m32 -static`; in a 32-bit build `struct loop_info` is the kernel's
 * `struct compat_loop_info`.
 *
 * Usage: compat-status DEV FILE
 *   DEV is an unbound loop device, FILE a backing file of at least 8 MiB.
 * Or:    compat-status set-status FD ro|rw
 *   LOOP_SET_STATUS, with the device's current status, through the open
 *   descriptor FD of a bound loop device (opened read-only or read-write,
 *   as the second argument says) for the permission check of
 *   lo_compat_ioctl(); the abi-parity test opens it as root and runs this
 *   as root and as nobody.
 * Prints one line per operation, "<what> -> <result>", so that two drivers
 * that behave the same print the same text.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENXIO: return "ENXIO";
	case EBUSY: return "EBUSY";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ENOTTY: return "ENOTTY";
	case EOVERFLOW: return "EOVERFLOW";
	default: return strerror(e);
	}
}

static int report(const char *what, int rc)
{
	if (rc < 0)
		printf("%s -> %s\n", what, ename(errno));
	else
		printf("%s -> %d\n", what, rc);
	return rc;
}

static void show(int fd, const char *what, dev_t bdev, ino_t ino)
{
	struct loop_info info;

	memset(&info, 0xa5, sizeof(info));
	if (report(what, ioctl(fd, LOOP_GET_STATUS, &info)) < 0)
		return;
	printf("  number=%d device=%s inode=%s rdevice=%lu offset=%d flags=%d name=\"%.*s\" key_size=%d init=%lu,%lu\n",
	       info.lo_number,
	       info.lo_device == (unsigned short)bdev ? "backing" : "other",
	       info.lo_inode == (unsigned long)ino ? "backing" : "other",
	       (unsigned long)info.lo_rdevice, info.lo_offset, info.lo_flags,
	       LO_NAME_SIZE, info.lo_name, info.lo_encrypt_key_size,
	       info.lo_init[0], info.lo_init[1]);
}

static int set_status(const char *fdnum, const char *mode)
{
	struct loop_info info;
	char what[64];
	int fd = atoi(fdnum);

	snprintf(what, sizeof(what), "SET_STATUS (%zu-bit, %s fd)", 8 * sizeof(long), mode);
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, LOOP_GET_STATUS, &info) < 0)
		printf("GET_STATUS -> %s\n", ename(errno));
	report(what, ioctl(fd, LOOP_SET_STATUS, &info));
	return 0;
}

int main(int argc, char **argv)
{
	struct loop_info info;
	struct loop_info64 info64;
	struct stat st;
	int fd, file;

	if (argc == 4 && !strcmp(argv[1], "set-status"))
		return set_status(argv[2], argv[3]);
	if (argc != 3) {
		fprintf(stderr, "usage: %s DEV FILE\n", argv[0]);
		return 2;
	}
	printf("sizeof(struct loop_info) = %zu\n", sizeof(struct loop_info));
	fd = open(argv[1], O_RDWR);
	file = open(argv[2], O_RDWR);
	if (fd < 0 || file < 0 || fstat(file, &st) < 0) {
		perror("open");
		return 2;
	}

	show(fd, "GET_STATUS unbound", st.st_dev, st.st_ino);
	memset(&info, 0, sizeof(info));
	report("SET_STATUS unbound", ioctl(fd, LOOP_SET_STATUS, &info));
	report("SET_FD", ioctl(fd, LOOP_SET_FD, file));
	show(fd, "GET_STATUS", st.st_dev, st.st_ino);
	report("GET_STATUS NULL", ioctl(fd, LOOP_GET_STATUS, NULL));
	report("GET_STATUS bad pointer", ioctl(fd, LOOP_GET_STATUS, (void *)16));
	report("SET_STATUS bad pointer", ioctl(fd, LOOP_SET_STATUS, (void *)16));

	/* Offset, name, AUTOCLEAR; the encryption fields are ignored. */
	memset(&info, 0, sizeof(info));
	info.lo_offset = 4096;
	info.lo_flags = LO_FLAGS_AUTOCLEAR;
	info.lo_encrypt_type = LO_CRYPT_XOR;
	info.lo_encrypt_key_size = 99;
	strcpy((char *)info.lo_name, "compat-name");
	report("SET_STATUS offset=4096 autoclear xor", ioctl(fd, LOOP_SET_STATUS, &info));
	show(fd, "GET_STATUS", st.st_dev, st.st_ino);

	/* A negative int offset is a huge loff_t. */
	info.lo_offset = -512;
	report("SET_STATUS offset=-512", ioctl(fd, LOOP_SET_STATUS, &info));

	/* The same device through the 64-bit layout. */
	memset(&info64, 0, sizeof(info64));
	if (report("GET_STATUS64", ioctl(fd, LOOP_GET_STATUS64, &info64)) == 0)
		printf("  offset=%llu flags=%u name=\"%s\"\n",
		       (unsigned long long)info64.lo_offset, info64.lo_flags,
		       (char *)info64.lo_file_name);
	info64.lo_offset = 1ULL << 31;
	info64.lo_flags = 0;
	report("SET_STATUS64 offset=2^31", ioctl(fd, LOOP_SET_STATUS64, &info64));
	show(fd, "GET_STATUS with offset 2^31", st.st_dev, st.st_ino);
	info64.lo_offset = 0;
	report("SET_STATUS64 offset=0", ioctl(fd, LOOP_SET_STATUS64, &info64));

	report("SET_CAPACITY", ioctl(fd, LOOP_SET_CAPACITY, 0));
	report("SET_BLOCK_SIZE 4096", ioctl(fd, LOOP_SET_BLOCK_SIZE, 4096));
	report("SET_BLOCK_SIZE 1234", ioctl(fd, LOOP_SET_BLOCK_SIZE, 1234));
	report("SET_BLOCK_SIZE 512", ioctl(fd, LOOP_SET_BLOCK_SIZE, 512));
	report("SET_DIRECT_IO 0", ioctl(fd, LOOP_SET_DIRECT_IO, 0));
	report("CHANGE_FD (rw device)", ioctl(fd, LOOP_CHANGE_FD, file));
	report("unknown loop ioctl", ioctl(fd, 0x4C3F, 0));
	report("CLR_FD", ioctl(fd, LOOP_CLR_FD, 0));
	close(fd);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("reopen after CLR_FD -> %s\n", ename(errno));
		return 0;
	}
	show(fd, "GET_STATUS after CLR_FD", st.st_dev, st.st_ino);
	close(fd);
	return 0;
}
