# The errno table of a bound device (REQUIREMENTS.md 3.5 item 7: bad flags,
# block sizes, crypto types, EOVERFLOW, EFAULT, EBUSY when bound, EBADF on
# itself, EPERM without write access or CAP_SYS_ADMIN, EBUSY from the
# exclusive claim while mounted or held O_EXCL), and the 32-bit
# compat_loop_info path of LOOP_GET/SET_STATUS through an i386 program
# (tools/vm/lib/compat-status.c; the test kernel has IA32_EMULATION).
# Everything is printed and compared line by line with the C loop.ko in the
# same boot, with the kernel's messages about it.
scratch
truncate -s 16M fs.img
mkfs.ext4 -qF fs.img
truncate -s 8M plain.img
mkdir -p mnt
gcc -m32 -static -O2 -o compat-status "$RLOOP_REPO/tools/vm/lib/compat-status.c" ||
	fail "cannot build the 32-bit test program (gcc-multilib)"

# settle: udev_settle with its note in the test's log (fd 3), not in the
# transcript.
settle() { udev_settle "${1:-}" >&3; }

transcript() {
	settle start
	dmesg -C
	python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" errnos /dev/loop2 /dev/loop3 fs.img mnt
	echo "-- 32-bit caller"
	# Its failed LOOP_CHANGE_FD sends a change uevent (loop.c does), and
	# udev's probe of it could still hold the device at LOOP_CLR_FD, which
	# then only sets AUTOCLEAR: no probes until the program is done.
	settle "before the 32-bit caller"
	udevadm control --stop-exec-queue
	./compat-status /dev/loop4 plain.img
	udevadm control --start-exec-queue
	settle "after the 32-bit caller"
	echo "bound at the end: $(losetup -a | wc -l)"
	echo "-- kernel messages"
	# rloop's pr_* lines carry the module prefix "loop: " (Rust's printing
	# macros always add it); the text after it must be loop.c's.  "I/O
	# error" lines come from udev's probes racing the size changes (a read
	# sized for the old geometry ends past the new end of the file, with
	# either driver), so they are timing, not behaviour; so is printk's
	# "callbacks suppressed" count of the ratelimited capacity message.
	dmesg | sed -n 's/^\[[^]]*\] //p' | sed 's/^loop: //' |
		grep -v -e EXT4-fs -e 'detected capacity change' -e 'rloop-test:' -e 'random: crng' -e 'I/O error, dev loop' \
			-e 'callbacks suppressed' || true
}

load_rloop
on_exit 'udevadm control --start-exec-queue'
on_exit 'rmmod loop'
on_exit 'losetup -D'
on_exit 'umount mnt'
transcript 3>&1 >rloop.txt 2>&1 || true
unload_loop
insmod "$RLOOP_CLOOP"
transcript 3>&1 >cloop.txt 2>&1 || true
unload_loop
if ! diff -u cloop.txt rloop.txt; then
	fail "rloop differs from the C loop.ko (- C, + rloop)"
fi
sed 's/^/  /' rloop.txt
