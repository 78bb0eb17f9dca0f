# R13 (seed 002): writes through mmap on a file system on a loop device on
# another file system, while that backing file system is frozen and thawed.
# Stack: ext4 on brd ("outer"), inner.img on it bound to a loop device,
# ext4 on that ("inner").  fio ioengine=mmap, randwrite with crc32c verify
# (verify_backlog, so reads check what was written while the run goes on)
# on the inner file system, in a cgroup with memory.max=64M, so that reclaim
# writes back the mmap'ed pages through the loop device.  In parallel, on the
# outer file system: setxattr/removexattr in a loop, O_DIRECT writes, and
# fsfreeze -f / -u (frozen 1 s of every 4).  Once with the loop device
# buffered and once in direct I/O mode, RLOOP_MMAP_FREEZE_SECONDS each
# (default 10; `make stress` 300, cut to the time budget).
# Fails when: fio exits non-zero or reports a verify error, a parallel loop
# fails, `sync` after the final thaw does not return within 120 s, the inner
# file system's fsck finds an error, or (lockdep-inspect) lockdep reports
# anything, e.g. an mmap_lock/sb_writers/invalidate_lock/i_rwsem inversion
# or "lock held when returning to user space".
scratch
secs=${RLOOP_MMAP_FREEZE_SECONDS:-10}
secs=$(budget_secs "$secs" 3 10) # two runs, and set-up and checks
brd_fs 524288 ext4 outer
mkdir -p inner
on_exit "fsfreeze -u $SCRATCH/outer"
load_rloop
on_exit 'unload_loop'
on_exit 'losetup -D'
on_exit "umount $SCRATCH/inner"

mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory >/sys/fs/cgroup/cgroup.subtree_control
cg=/sys/fs/cgroup/rloop-r13
mkdir -p "$cg"
on_exit "rmdir $cg"
echo 64M >"$cg/memory.max"

# bg_loop NAME STEP CMD...: CMD again and again in the background until
# $SCRATCH/stop exists, adding STEP per run to the count in NAME.count; a
# failing CMD ends the loop with status 1.
bg_loop() {
	local name=$1 step=$2
	shift 2
	(
		set +e
		n=0
		while [[ ! -e $SCRATCH/stop ]]; do
			"$@" || exit 1
			n=$((n + step))
		done
		echo "$n" >"$SCRATCH/$name.count"
	) &
	bg+=($!)
}
xattrs() {
	python3 -c 'import os, sys
p = sys.argv[1]
for i in range(50):
    os.setxattr(p, "user.r13", str(i).encode())
    os.removexattr(p, "user.r13")' "$SCRATCH/outer/xattr-target"
}
freeze_once() {
	sleep 3
	fsfreeze -f "$SCRATCH/outer" || return 1
	sleep 1
	fsfreeze -u "$SCRATCH/outer"
}
stop_bg() {
	touch "$SCRATCH/stop"
	wait "${bg[@]}" || return 1
	rm -f "$SCRATCH/stop"
}

for dio in off on; do
	truncate -s 256M outer/inner.img
	mkfs.ext4 -qF outer/inner.img
	d=$(losetup -f --show --direct-io=$dio outer/inner.img)
	assert_eq "dio of $d" "$(cat /sys/block/${d#/dev/}/loop/dio)" "$([[ $dio == on ]] && echo 1 || echo 0)"
	mount "$d" inner
	: >outer/xattr-target
	bg=()
	bg_loop xattr 100 xattrs
	bg_loop direct 1 dd if=/dev/zero of="$SCRATCH/outer/direct" bs=64k count=16 oflag=direct conv=notrunc status=none
	bg_loop freeze 1 freeze_once
	rc=0
	(
		echo "$BASHPID" >"$cg/cgroup.procs"
		exec fio --name=r13 --directory="$SCRATCH/inner" --ioengine=mmap --rw=randwrite --bs=4k \
			--size=96M --time_based --runtime="$secs" --verify=crc32c --verify_backlog=1024 \
			--verify_fatal=1 --output-format=terse --terse-version=3
	) >fio-$dio.txt 2>&1 || rc=$?
	stop_bg || fail "dio=$dio: a parallel loop (xattr, O_DIRECT writes, fsfreeze) failed"
	fsfreeze -u outer 2>/dev/null || true
	timeout 120 sync || fail "dio=$dio: sync did not return within 120 s after the last thaw"
	((rc == 0)) || { cat fio-$dio.txt; fail "dio=$dio: fio exited with status $rc"; }
	err=$(grep -v '^fio: ' fio-$dio.txt | tail -n1 | cut -d';' -f5)
	[[ $err == 0 ]] || { cat fio-$dio.txt; fail "dio=$dio: fio reported error $err"; }
	kib=$(grep -v '^fio: ' fio-$dio.txt | tail -n1 | cut -d';' -f47)
	oom=$(sed -n 's/^oom_kill //p' "$cg/memory.events")
	umount inner
	fsck.ext4 -fn "$d" >fsck.txt 2>&1 || { cat fsck.txt; fail "dio=$dio: fsck of the inner file system"; }
	losetup -d "$d"
	echo "  R13 dio=$dio: ${secs} s, $((kib >> 10)) MiB written through mmap and verified;" \
		"$(cat freeze.count) freezes, $(cat xattr.count) xattr changes, $(cat direct.count) O_DIRECT writes on the backing fs; oom kills $oom"
	rm -f outer/inner.img
done
