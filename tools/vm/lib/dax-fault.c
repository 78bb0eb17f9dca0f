// SPDX-License-Identifier: GPL-2.0
/*
 * dax-fault: R18, seed 004 at the DAX level.  FILE is on a file system
 * mounted with -o dax=always.  For each of ITER iterations, NPROC processes
 * write-fault distinct bytes of the same never-allocated page of FILE
 * through their own MAP_SHARED mapping, msync and exit; with MIXED set, one
 * of them uses pwrite(2) on the same hole instead of the mapping.  Then
 * every byte must hold its writer's value.  Prints "bad=<n> iter=<n>".
 *
 * Usage: dax-fault FILE NPROC ITER MIXED
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static unsigned char value(long iter, int proc)
{
	return (unsigned char)(1 + (iter * 7 + proc) % 255);
}

int main(int argc, char **argv)
{
	long iter, iters, bad = 0;
	int fd, nproc, mixed, p;

	if (argc != 5) {
		fprintf(stderr, "usage: %s FILE NPROC ITER MIXED\n", argv[0]);
		return 2;
	}
	nproc = atoi(argv[2]);
	iters = atol(argv[3]);
	mixed = atoi(argv[4]);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, iters * PAGE) < 0) {
		perror(argv[1]);
		return 2;
	}
	for (iter = 0; iter < iters; iter++) {
		off_t base = iter * PAGE;

		for (p = 0; p < nproc; p++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("fork");
				return 2;
			}
			if (pid == 0) {
				unsigned char v = value(iter, p), *m;

				if (mixed && p == 0) {
					_exit(pwrite(fd, &v, 1, base + p * 64) == 1 ? 0 : 1);
				}
				m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
				if (m == MAP_FAILED)
					_exit(1);
				m[p * 64] = v;
				if (msync(m, PAGE, MS_SYNC) < 0)
					_exit(1);
				_exit(0);
			}
		}
		for (p = 0; p < nproc; p++) {
			int status;

			if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "a writer failed in iteration %ld\n", iter);
				bad++;
			}
		}
		for (p = 0; p < nproc; p++) {
			unsigned char got;

			if (pread(fd, &got, 1, base + p * 64) != 1 || got != value(iter, p)) {
				fprintf(stderr, "iteration %ld: byte of writer %d is %u, want %u\n",
					iter, p, got, value(iter, p));
				bad++;
			}
		}
	}
	printf("bad=%ld iter=%ld\n", bad, iters);
	return bad ? 1 : 0;
}
