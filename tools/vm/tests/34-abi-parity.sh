# The ABI rows of issue 13, each compared line by line with the C loop.ko in
# the same boot (tools/vm/lib/abi_parity.py does the probing; every row has
# its own transcript, with the kernel's messages of that row):
#   1  LOOP_CHANGE_FD sends one change uevent on every outcome once the
#      backing file passed loop_check_backing_file(): success (a plain
#      change, the media change suppressed) and every later error;
#   2  an O_DIRECT backing fd turns direct I/O on at LOOP_CONFIGURE/
#      LOOP_SET_FD, LOOP_CHANGE_FD and LOOP_SET_BLOCK_SIZE, where possible
#      (not on a 4096-byte null_blk with 512-byte loop blocks), not at
#      LOOP_SET_STATUS64 or LOOP_SET_DIRECT_IO;
#   3  a flush whose backing fsync fails (a FUSE file whose FSYNC answers
#      ENOSPC, EINVAL, EOPNOTSUPP, EDQUOT, EIO) fails with EIO;
#   4  the 32-bit LOOP_SET_STATUS has lo_compat_ioctl()'s permission check
#      in 6.12.y (EPERM for a read-only fd without CAP_SYS_ADMIN, as the
#      64-bit call, which errnos checks): root and nobody, read-only and
#      read-write fds;
#   5  max_loop=-1 (and -8) fails the load with EINVAL, silently;
#   6  adjacent O_DIRECT reads merged into one request that crosses the end
#      of a backing file truncated under the device: the reads before the
#      end succeed, the rest fail zero-filled, buffered and direct;
#   7  the warning of a failed partition rescan (LOOP_CHANGE_FD with a
#      partition open) names lo_file_name;
#   8  detaching resets the block sizes only: write cache, discard and
#      write-zeroes limits, rotational stay as the last binding set them.
# Rows listed in `pending` are known differences whose fix is not in yet:
# their diff is shown and counted as expected, not as a failure (and the
# test says when one has gone, so that it can leave the list).
scratch
chmod 755 "$SCRATCH"
abi=$RLOOP_REPO/tools/vm/lib/abi_parity.py
pending=" "

# No udev "watch" on loop devices: its change uevents after every close of
# a writable opener would land in row 1's counts (see 43-partitions.sh).
rules=/run/udev/rules.d/61-rloop-nowatch.rules
mkdir -p /run/udev/rules.d
on_exit "rm -f $rules; udevadm control --reload"
echo 'ACTION!="remove", SUBSYSTEM=="block", KERNEL=="loop*", OPTIONS+="nowatch"' >$rules
udevadm control --reload

gcc -m32 -static -O2 -o compat-status "$RLOOP_REPO/tools/vm/lib/compat-status.c" ||
	fail "cannot build the 32-bit test program (gcc-multilib)"
truncate -s 8M part.img
printf 'label: dos\n2048,4096,L\n' | sfdisk -q part.img
truncate -s 8M plain.img
modprobe null_blk nr_devices=1 bs=4096 gb=1 || fail "modprobe null_blk"
on_exit 'rmmod null_blk'

# Rows 4 and 8 are shell: row N CMD... writes CMD's output and the kernel's
# messages meanwhile to $drv.rowN.txt, as abi_parity.py does for the others.
row() {
	local n=$1
	shift
	udevadm settle --timeout=30
	dmesg -C
	{
		"$@"
		udevadm settle --timeout=30
		echo "-- kernel messages"
		# printk's "callbacks suppressed" counts ratelimited lines (the
		# capacity message): timing, not behaviour.
		dmesg | sed -n 's/^\[[^]]*\] //p' | sed 's/^loop: //' |
			grep -v -e 'rloop-test:' -e 'random: crng' -e 'detected capacity change' \
				-e 'taints kernel' -e 'I/O error, dev loop' -e 'callbacks suppressed' || true
	} >>"$drv.row$n.txt" 2>&1 || echo "exit status $?" >>"$drv.row$n.txt"
}

# Row 4: the device is opened by root and inherited (fd 3), so that nobody
# gets as far as the permission check.
row4() {
	local u
	losetup /dev/loop3 plain.img
	for u in root nobody; do
		echo -n "$u: "
		run_as "$u" ./compat-status set-status 3 ro 3</dev/loop3
		echo -n "$u: "
		run_as "$u" ./compat-status set-status 3 rw 3<>/dev/loop3
	done
	losetup -d /dev/loop3
}
run_as() { # USER CMD...
	local u=$1
	shift
	case $u in
	root) "$@" ;;
	nobody) setpriv --reuid=65534 --regid=65534 --clear-groups "$@" ;;
	esac
}

# limits DEV WHEN: the queue limits a binding sets and a detach may reset.
limits() {
	local q=/sys/block/${1#/dev/}/queue a line=""
	for a in logical_block_size physical_block_size minimum_io_size write_cache rotational \
		discard_granularity discard_max_hw_bytes write_zeroes_max_bytes; do
		line+=" $a=$(<"$q/$a")"
	done
	echo "$2:$line"
}

row8() {
	limits /dev/loop6 "unbound"
	losetup -b 4096 /dev/loop6 plain.img
	limits /dev/loop6 "bound, 4096-byte blocks"
	losetup -d /dev/loop6
	udevadm settle --timeout=30
	limits /dev/loop6 "after detach"
	losetup -r /dev/loop6 plain.img
	limits /dev/loop6 "bound read-only"
	losetup -d /dev/loop6
	udevadm settle --timeout=30
	limits /dev/loop6 "after detach"
}

transcript() {
	python3 "$abi" --out "$drv" 1 change-fd-uevents /dev/loop0 "$SCRATCH" \
		-- 2 odirect /dev/loop1 "$SCRATCH" -- 2 odirect-bdev /dev/loop1 /dev/nullb0 \
		-- 3 flush-error /dev/loop2 "$SCRATCH" -- 6 eof-read /dev/loop4 "$SCRATCH" \
		-- 7 rescan-warning /dev/loop5 "$SCRATCH/part.img"
	row 4 row4
	row 8 row8
}

row5() { # MODULE: loads that must fail; nothing may stay loaded
	python3 "$abi" --out "$drv" 5 load "$1" max_loop=-1 -- 5 load "$1" max_loop=-8
	if [[ -d /sys/module/loop ]]; then
		echo "loaded: $(ls /sys/block | grep -c '^loop') devices" >>"$drv.row5.txt"
		unload_loop
	fi
}

rloop_ko=$(modinfo -n loop) || fail "modinfo -n loop"
on_exit 'rmmod loop'
on_exit 'losetup -D'
unload_loop
drv=rloop row5 "$rloop_ko"
drv=cloop row5 "$RLOOP_CLOOP"
load_rloop
drv=rloop transcript
losetup -D
unload_loop
insmod "$RLOOP_CLOOP"
drv=cloop transcript
losetup -D
unload_loop

failed=()
for n in 1 2 3 4 5 6 7 8; do
	echo "-- row $n"
	if diff -u "cloop.row$n.txt" "rloop.row$n.txt" >"row$n.diff"; then
		sed 's/^/  /' "rloop.row$n.txt"
		[[ $pending != *" $n "* ]] ||
			echo "  NOTE: row $n is listed as pending but now matches loop.c"
	elif [[ $pending == *" $n "* ]]; then
		echo "  row $n differs from the C loop.ko as expected (pending fix; - C, + rloop):"
		sed 's/^/  /' "row$n.diff"
	else
		echo "  row $n: rloop differs from the C loop.ko (- C, + rloop):"
		sed 's/^/  /' "row$n.diff"
		failed+=("$n")
	fi
done
((${#failed[@]} == 0)) || fail "rloop differs from the C loop.ko in row(s) ${failed[*]}"
