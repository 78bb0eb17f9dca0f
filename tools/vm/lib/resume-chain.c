/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tetsuo Handa's /sys/power/resume reproducer, verbatim from his mail of
 * 10 Jan 2022 ("Re: [PATCH v2 2/2] loop: use task_work for autoclear
 * operation"), kept in shared/seeds/003-loop-task_work-autoclear-thread.txt
 * (lines 787-815).  Only this comment was added; REQUIREMENTS.md R7 asks for
 * the program unchanged.  Used by tools/vm/tests/44-resume-chain.sh.
 *
 * It creates ./testfile, binds it to the first free loop device, opens the
 * device twice, LOOP_CLR_FD on the first fd (another opener: autoclear),
 * copies /sys/power/resume into the file and the file into the device,
 * writes "700" (7:0, loop0) to /sys/power/resume, which runs
 * software_resume() on loop0, then closes both fds: the last close clears.
 */
#include <stdio.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/loop.h>
#include <sys/sendfile.h>

int main(int argc, char *argv[])
{
	const int file_fd = open("testfile", O_RDWR | O_CREAT, 0600);
	ftruncate(file_fd, 1048576);
	char filename[128] = { };
	const int loop_num = ioctl(open("/dev/loop-control", 3), LOOP_CTL_GET_FREE, 0);
	snprintf(filename, sizeof(filename) - 1, "/dev/loop%d", loop_num);
	const int loop_fd_1 = open(filename, O_RDWR);
	ioctl(loop_fd_1, LOOP_SET_FD, file_fd);
	const int loop_fd_2 = open(filename, O_RDWR);
	ioctl(loop_fd_1, LOOP_CLR_FD, 0);
	const int sysfs_fd = open("/sys/power/resume", O_RDWR);
	sendfile(file_fd, sysfs_fd, 0, 1048576);
	sendfile(loop_fd_2, file_fd, 0, 1048576);
	write(sysfs_fd, "700", 3);
	close(loop_fd_2);
	close(loop_fd_1); // Lockdep complains.
	close(file_fd);
	return 0;
}
