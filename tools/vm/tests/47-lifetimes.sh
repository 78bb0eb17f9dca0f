# Lifetimes (issue 13, defects 1-4): the debug knob debug_delay_ms makes
# the windows wide (each request handler sleeps after releasing what it
# holds and before ending its request; the deferred clear sleeps before it
# drops the device and its lifecycle references; LOOP_CTL_REMOVE sleeps
# between unindexing a device and dropping it), and the driver must still:
#  1. close the backing file before the last closer returns: the backing
#     file system unmounts right after `umount` of the autoclear loop mount
#     (seed 003), buffered and direct I/O, task_work and rundown-queue clear;
#  2/3. keep the module while a deferred clear still runs: `rmmod` racing
#     the end of a clear fails with EBUSY until the clear is over, then
#     succeeds, with nothing in the log (the module put comes from core code
#     after the clear's last instruction);
#  4. never destroy a workqueue under loop_ctl_mutex: after removes racing
#     I/O, lockdep knows no rloop:loop_ctl_mutex -> (wq_completion)loopN edge.
# RLOOP_LIFETIME_CYCLES (check 2, stress 40) mount cycles per mode.
scratch
cycles=${RLOOP_LIFETIME_CYCLES:-2}
brd_fs 131072 ext4 back
truncate -s 48M back/fs.img
mkfs.ext4 -qF back/fs.img
mkdir -p mnt

# 1. The backing file system unmounts right after the loop mount's umount.
# mount_cycles MODE SLICE: up to $cycles cycles (at least 2) in 1/SLICE of
# the test's time left under make stress.
mount_cycles() { # MODE: buffered | dio ; force_async_clear 0|1
	local mode=$1 i d ran=0
	budget_slice "$2"
	for i in $(seq "$cycles"); do
		((i <= 2)) || in_budget || break
		ran=$i
		if [[ $mode == dio ]]; then
			# The device, in direct-I/O mode, mounted, then detached: a
			# detach while open sets autoclear, so the umount clears it.
			d=$(losetup --direct-io=on -f --show back/fs.img) || fail "losetup --direct-io=on ($i)"
			[[ $(cat "/sys/block/${d#/dev/}/loop/dio") == 1 ]] || fail "$d not in direct-I/O mode"
			mount "$d" mnt || fail "mount $d ($i)"
			losetup -d "$d"
		else
			mount -o loop back/fs.img mnt || fail "mount -o loop ($i)"
		fi
		dd if=/dev/urandom of=mnt/data bs=64k count=16 status=none conv=fsync
		sync
		echo 3 >/proc/sys/vm/drop_caches
		cat mnt/data >/dev/null
		umount mnt || fail "umount of the loop mount ($mode, $i)"
		if [[ $(cat /sys/module/loop/parameters/force_async_clear) == Y ]]; then
			# The rundown queue clears asynchronously; wait for it.
			for _ in $(seq 100); do
				[[ -z $(losetup -j back/fs.img) ]] && break
				sleep 0.1
			done
		fi
		umount back || fail "backing fs busy right after the loop umount ($mode, cycle $i, async=$(cat /sys/module/loop/parameters/force_async_clear))"
		mount /dev/ram0 back || fail "remount of the backing fs"
	done
	budget_note "$ran" "$cycles" "$mode mount cycles (async=$(cat /sys/module/loop/parameters/force_async_clear))"
	total=$((total + ran))
}

# 2 ms per request: every request of the mount, the writes and the reads
# sleeps at its end, so more would make this test minutes long under TCG.
load_rloop debug_delay_ms=2
on_exit 'unload_loop'
on_exit 'losetup -D'
on_exit 'umount mnt'
# The four runs share half of the test's time (the rmmod and remove races
# after them need the rest): slices 1/8, 1/6, 1/4 and 1/2 of what is left.
total=0
slice=8
for async in 0 1; do
	echo "$async" >/sys/module/loop/parameters/force_async_clear
	mount_cycles buffered $slice
	mount_cycles dio $((slice - 2))
	slice=$((slice - 4))
done
echo 0 >/sys/module/loop/parameters/force_async_clear
echo "  backing fs unmounted right after $total loop umounts (buffered, dio; task_work, rundown queue)"

# 2/3. rmmod racing the end of a deferred clear (the 300 ms delay is set
# only for the umount: every request sleeps it too).  The module stays
# pinned at least that long, several rmmod tries under TCG (with 300 ms
# the KASAN kernel counted 4 and 3 refusals); the retry loop gives up
# after 300 tries, at least 6 s, far beyond the clear.
echo 0 >/sys/module/loop/parameters/debug_delay_ms
for async in 0 1; do
	echo "$async" >/sys/module/loop/parameters/force_async_clear
	mount -o loop back/fs.img mnt || fail "mount for the rmmod race"
	echo x >mnt/x
	sync
	echo 300 >/sys/module/loop/parameters/debug_delay_ms
	umount mnt &
	umount_pid=$!
	busy=0 gone=0
	for _ in $(seq 300); do
		if rmmod loop 2>/dev/null; then
			gone=1
			break
		fi
		busy=$((busy + 1))
		sleep 0.02
	done
	wait "$umount_pid" || fail "umount failed while rmmod raced its clear"
	((gone)) || fail "rmmod never succeeded after the clear (async=$async)"
	((busy > 0)) || fail "rmmod succeeded at once: the clear did not pin the module (async=$async)"
	echo "  async=$async: rmmod refused $busy times during the clear, then succeeded"
	umount back || fail "backing fs busy after the rmmod race"
	mount /dev/ram0 back
	load_rloop
done

# 4. LOOP_CTL_REMOVE racing the end of I/O, then the lock graph.
ctl() { # CMD ARG: a /dev/loop-control ioctl; prints its result
	python3 -c 'import fcntl, os, sys
fd = os.open("/dev/loop-control", os.O_RDWR)
print(fcntl.ioctl(fd, int(sys.argv[1], 0), int(sys.argv[2])))' "$1" "$2"
}
echo 5 >/sys/module/loop/parameters/debug_delay_ms
for i in $(seq 3); do
	n=$(ctl 0x4C82 0) # LOOP_CTL_GET_FREE
	d=/dev/loop$n
	losetup "$d" back/fs.img || fail "losetup $d"
	dd if="$d" of=/dev/null bs=64k count=64 iflag=direct status=none
	losetup -d "$d"
	udevadm settle --timeout=30
	ctl 0x4C81 "$n" >/dev/null || fail "LOOP_CTL_REMOVE $n" # LOOP_CTL_REMOVE
done
grep -Eq '^ *debug_locks: +1$' /proc/lockdep_stats || fail "lockdep is off"
deps=$(lockdep_deps rloop:loop_ctl_mutex)
grep -q 'rloop:loop_ctl_mutex' /proc/lockdep || fail "rloop:loop_ctl_mutex unknown to lockdep"
echo "  loop_ctl_mutex forward dependencies: $(echo "$deps" | tr '\n' ' ')"
bad=$(echo "$deps" | grep -E '\(wq_completion\)loop' || true)
[[ -z $bad ]] || fail "workqueue destroyed under loop_ctl_mutex: $bad"
echo 0 >/sys/module/loop/parameters/debug_delay_ms
