# R12 (seed 001, zstd-on-zstd): loop on btrfs on loop, with compression.
# Stack: xfs on brd; a file on it bound to loop0; btrfs -o
# compress-force=zstd on loop0; a file on that bound to loop1; btrfs -o
# compress-force=zstd on loop1.  4 fio jobs, each in its own cgroup-v2
# cgroup with the io controller, do randwrite with crc32c verify
# (verify_backlog) and fsync=32 on the top file system, in busy periods of
# RLOOP_STACK_BUSY_SECONDS separated by idle periods of
# RLOOP_STACK_IDLE_SECONDS (default 10 and 3, 2 rounds; `make stress`: 90
# and 70, as R12 asks, for RLOOP_STACK_CYCLES rounds, cut to the time
# budget), so the devices' workers go idle and busy again while requests
# and their work items are recycled.  Fails when: a fio job fails or reports
# a verify error, the top or middle file system's scrub finds an error, a
# device is left bound, or (lockdep-inspect) ODEBUG ("free active object
# ... work_struct"), a hung task or lockdep reports anything.
scratch
busy=${RLOOP_STACK_BUSY_SECONDS:-10}
idle=${RLOOP_STACK_IDLE_SECONDS:-3}
rounds=${RLOOP_STACK_CYCLES:-2}
brd_fs 1048576 xfs xfs
mkdir -p mid top
load_rloop
on_exit 'unload_loop'
on_exit 'losetup -D'
on_exit "umount $SCRATCH/mid"
on_exit "umount $SCRATCH/top"

truncate -s 900M xfs/mid.img
l0=$(losetup -f --show xfs/mid.img)
mkfs.btrfs -q -f "$l0" >/dev/null
mount -o compress-force=zstd "$l0" mid
truncate -s 600M mid/top.img
l1=$(losetup -f --show mid/top.img)
mkfs.btrfs -q -f "$l1" >/dev/null
mount -o compress-force=zstd "$l1" top
echo "  stack: btrfs(zstd) on $l1 <- mid/top.img on btrfs(zstd) on $l0 <- xfs/mid.img on xfs on brd"

mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
grep -qw io /sys/fs/cgroup/cgroup.subtree_control || echo +io >/sys/fs/cgroup/cgroup.subtree_control
for j in 0 1 2 3; do
	mkdir -p /sys/fs/cgroup/rloop-r12-$j
	on_exit "rmdir /sys/fs/cgroup/rloop-r12-$j"
done

budget_slice 1
mib=0 r=0 busy_total=0
for r in $(seq "$rounds"); do
	if ((r > 1)); then
		((r <= 1)) || in_budget || { r=$((r - 1)); break; }
		sleep "$idle"
	fi
	b=$(budget_secs "$busy" 1 10)
	pids=()
	for j in 0 1 2 3; do
		(
			echo "$BASHPID" >/sys/fs/cgroup/rloop-r12-$j/cgroup.procs
			exec fio --name=r12-$j --filename="$SCRATCH/top/f$j" --rw=randwrite --bs=4k \
				--size=48M --ioengine=psync --fsync=32 --time_based --runtime="$b" \
				--verify=crc32c --verify_backlog=256 --verify_fatal=1 \
				--output-format=terse --terse-version=3
		) >fio-$r-$j.txt 2>&1 &
		pids+=($!)
	done
	for j in 0 1 2 3; do
		wait "${pids[$j]}" || { cat fio-$r-$j.txt; fail "round $r: fio job $j failed"; }
		line=$(grep -v '^fio: ' fio-$r-$j.txt | tail -n1)
		[[ $(cut -d';' -f5 <<<"$line") == 0 ]] || { cat fio-$r-$j.txt; fail "round $r: fio job $j reported an error"; }
		mib=$((mib + ($(cut -d';' -f47 <<<"$line") >> 10)))
	done
	busy_total=$((busy_total + b))
	echo "  round $r: ${b} s busy, 4 cgroups, verified"
done
budget_note "$r" "$rounds" "busy/idle rounds"
btrfs scrub start -B top >scrub-top.txt 2>&1 || { cat scrub-top.txt; fail "scrub of the top file system"; }
umount top
losetup -d "$l1"
btrfs scrub start -B mid >scrub-mid.txt 2>&1 || { cat scrub-mid.txt; fail "scrub of the middle file system"; }
umount mid
losetup -d "$l0"
udevadm settle --timeout=30 || true
[[ -z $(losetup -a) ]] || fail "devices left bound: $(losetup -a)"
echo "  R12: $r rounds, $busy_total s busy in all (idle ${idle} s between), $mib MiB written and verified by 4 jobs in 4 cgroups; both scrubs clean"
