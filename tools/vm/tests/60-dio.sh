# Direct I/O (R14-R16).
#
# 1. Parity with the C loop.ko in the same boot: `losetup --direct-io=on`,
#    LOOP_SET_DIRECT_IO on and off, and the refusals where loop.c refuses
#    (offset or logical block size not aligned to the backing device's,
#    here a 4096-byte null_blk with memory backing), shown by loop/dio, the
#    DIO and LOG-SEC columns, and data written through the device.
# 2. R15: on a fresh device 64 fio jobs (256 KiB each: what matters is
#    the first direct I/O, not the volume) start direct I/O together; the
#    function tracer counts rloop's alloc_workqueue/destroy_workqueue
#    calls meanwhile: exactly one allocation (the completion queue), no
#    destroy.  With fail_dio_wq=1 the allocation fails and a verifying fio
#    run still completes (synchronous direct I/O).
# 3. R16: RLOOP_REBIND_CYCLES binds and detaches of one device (default
#    10; `make stress` 1000): no allocation, no destroy.
# 4. R14: fio with direct=1, verify=crc32c, libaio and io_uring, bs 4k..1M,
#    randrw, iodepth 64, on backing files on ext4 and on xfs, while
#    `losetup --direct-io=off/on` toggles every second, for RLOOP_DIO_SECONDS
#    per engine and file system (default 5; `make stress` 75).
scratch
secs=${RLOOP_DIO_SECONDS:-5}
secs=$(budget_secs "$secs" 6 5) # four R14 runs, and the rest
rebinds=${RLOOP_REBIND_CYCLES:-10}
mkdir -p /mnt/n /mnt/e /mnt/x
on_exit 'umount /mnt/n; umount /mnt/e; umount /mnt/x; rmmod null_blk; rmmod brd'
modprobe null_blk nr_devices=1 bs=4096 memory_backed=1 gb=1 ||
	fail "cannot load null_blk"
modprobe brd rd_nr=2 rd_size=393216 || fail "cannot load brd"
mkfs.ext4 -qF /dev/nullb0
mount /dev/nullb0 /mnt/n
mkfs.ext4 -qF /dev/ram0
mount /dev/ram0 /mnt/e
mkfs.xfs -qf /dev/ram1
mount /dev/ram1 /mnt/x
head -c 16M /dev/urandom >/mnt/n/data.img
truncate -s 16M /mnt/n/small.img

transcript() {
	udevadm settle --timeout=30
	local d
	d=$(losetup --direct-io=on -f --show /mnt/n/data.img)
	losetup -l -n -O NAME,DIO,LOG-SEC,OFFSET "$d"
	echo "dio=$(cat /sys/block/${d#/dev/}/loop/dio)"
	cmp /mnt/n/data.img "$d" && echo "read: identical"
	dd if=/dev/urandom of=/tmp/chunk bs=64k count=4 status=none
	dd if=/tmp/chunk of="$d" bs=64k seek=7 conv=notrunc,fsync status=none oflag=direct && echo "write: ok"
	cmp -n 262144 -i 0:$((7 * 65536)) /tmp/chunk /mnt/n/data.img && echo "write: reached the file"
	losetup --direct-io=off "$d" && echo "direct-io=off: ok"
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup --direct-io=on "$d" && echo "direct-io=on: ok"
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup -b 512 "$d" 2>&1 | sed 's/^losetup: //'
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup --direct-io=on "$d" 2>&1 | sed 's/^losetup: //'
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup -d "$d"
	d=$(losetup --direct-io=on -o 512 -f --show /mnt/n/data.img)
	losetup -l -n -O NAME,DIO,LOG-SEC,OFFSET "$d"
	cmp -i 512:0 -n 1M /mnt/n/data.img "$d" && echo "offset read: identical"
	losetup -d "$d"
	d=$(losetup --direct-io=on -b 512 -f --show /mnt/n/small.img)
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup -d "$d"
	d=$(losetup -f --show /mnt/n/small.img)
	losetup --direct-io=on "$d" && echo "direct-io=on after bind: ok"
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup -d "$d"
	truncate -s 8M /tmp/tmpfs.img
	d=$(losetup --direct-io=on -f --show /tmp/tmpfs.img)
	losetup -l -n -O NAME,DIO,LOG-SEC "$d"
	losetup -d "$d"
	udevadm settle --timeout=30
	echo "bound at the end: $(losetup -a | wc -l)"
}

# Counting our workqueue allocations: the function tracer, with the caller.
T=/sys/kernel/tracing
[[ -d $T/events ]] || mount -t tracefs nodev $T
echo 'alloc_workqueue destroy_workqueue' >$T/set_ftrace_filter
echo function >$T/current_tracer
echo 0 >$T/tracing_on
trace_start() { echo >$T/trace; echo 1 >$T/tracing_on; }
trace_stop() { echo 0 >$T/tracing_on; }
trace_count() { # FUNCTION: its calls made from rloop (crate rloop_main)
	grep -c " $1 <-.*rloop_main" $T/trace || true
}
trace_lines() { grep -vc '^#' $T/trace || true; }
# A second, independent count: the completion queue is WQ_MEM_RECLAIM, so
# each one has a rescuer thread, "kworker/R-loopN-dio" (cut to 15 chars).
rescuers() { cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^kworker/R-loop' || true; }
on_exit "echo nop >$T/current_tracer"

load_rloop
on_exit 'rmmod loop'
on_exit 'losetup -D'
transcript >rloop.txt 2>&1 || true

# R15: 64 jobs race to the first completions of a fresh device (one that
# never did direct I/O: a new one).  256 KiB per job (64 writes of 4 KiB,
# 4 in flight): the race is over with the first completions, the rest only
# keeps the queue in use while the tracer watches.
add_device() { # N: LOOP_CTL_ADD N, print /dev/loopN
	python3 -c 'import fcntl, os, sys; print(fcntl.ioctl(os.open("/dev/loop-control", os.O_RDWR), 0x4C80, int(sys.argv[1])))' "$1" >/dev/null
	udevadm settle --timeout=30
	echo "/dev/loop$1"
}
truncate -s 256M /mnt/e/r15.img
d=$(add_device 30)
losetup "$d" /mnt/e/r15.img
udevadm settle --timeout=30
# Counted from before the switch: udev probes the device again when
# losetup closes it (its watch on writers), and that probe's reads may be
# the first direct I/O, racing fio's 64 jobs.
r0=$(rescuers)
trace_start
losetup --direct-io=on "$d"
assert_eq "dio after --direct-io=on" "$(cat /sys/block/${d#/dev/}/loop/dio)" 1
fio --name=r15 --filename="$d" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k \
	--iodepth=4 --numjobs=64 --size=256k --offset_increment=2M --group_reporting \
	--output-format=terse >/dev/null || fail "fio (64 jobs) failed"
trace_stop
allocs=$(trace_count alloc_workqueue)
destroys=$(trace_count destroy_workqueue)
new_rescuers=$(($(rescuers) - r0))
echo "  R15: 64 concurrent jobs on a fresh device: $allocs alloc_workqueue, $destroys destroy_workqueue by rloop (function tracer, $(trace_lines) lines); $new_rescuers new completion-queue rescuer thread(s)"
grep ' alloc_workqueue <-' $T/trace | sed 's/^/    /' || true
assert_eq "completion queues created by the first direct I/O (rescuer threads)" "$new_rescuers" 1
if (($(trace_lines) > 0)); then
	assert_eq "workqueue allocations during the first direct I/O" "$allocs" 1
	assert_eq "workqueue destroys during I/O" "$destroys" 0
else
	# Seen once in a long run: the tracer recorded nothing at all (not even
	# ext4's own dio queue); the rescuer count above still holds.
	echo "  (the function tracer recorded nothing in this window; rescuer count only)"
fi

# R16: rebinding allocates and destroys nothing.
trace_start
unbound() { # DEV: wait until it is unbound (udev may hold it open a moment)
	local i
	for i in $(seq 600); do [[ -e /sys/block/${1#/dev/}/loop ]] || return 0; sleep 0.05; done
	fail "$1 still bound"
}
budget_slice 4
done_rebinds=0
for i in $(seq "$rebinds"); do
	((i <= 10)) || in_budget || break
	done_rebinds=$i
	losetup -d "$d"
	unbound "$d"
	losetup "$d" /mnt/e/r15.img
	if ((i % 2)); then
		# Not the only opener when detaching: cleared at the last close.
		exec 3<"$d"
		losetup -d "$d"
		exec 3<&-
		unbound "$d"
		losetup "$d" /mnt/e/r15.img
	fi
done
losetup -d "$d"
trace_stop
budget_note "$done_rebinds" "$rebinds" "rebinds"
echo "  R16: $done_rebinds rebinds: $(trace_count alloc_workqueue) alloc_workqueue, $(trace_count destroy_workqueue) destroy_workqueue by rloop"
assert_eq "workqueue allocations during rebinds" "$(trace_count alloc_workqueue)" 0
assert_eq "workqueue destroys during rebinds" "$(trace_count destroy_workqueue)" 0

# Allocation failure: I/O still completes, verified.
echo 1 >/sys/module/loop/parameters/fail_dio_wq
d=$(add_device 40)
losetup --direct-io=on "$d" /mnt/e/r15.img
r0=$(rescuers)
trace_start
fio --name=failslab --filename="$d" --direct=1 --ioengine=libaio --rw=randrw --bs=4k \
	--iodepth=16 --size=8M --verify=crc32c --do_verify=1 --output-format=terse >/dev/null ||
	fail "fio with the completion queue's allocation failing"
trace_stop
assert_eq "allocations while failing" "$(trace_count alloc_workqueue)" 0
assert_eq "completion queues while failing (rescuer threads)" "$(($(rescuers) - r0))" 0
echo 0 >/sys/module/loop/parameters/fail_dio_wq
losetup -d "$d"
echo "  fail_dio_wq=1: verified direct I/O without a completion queue"

# R14: verify under direct-io toggling, on ext4 and xfs, libaio and io_uring.
r14() { # FS ENGINE
	local img=/mnt/$1/r14.img d toggler errs
	truncate -s 256M "$img"
	d=$(losetup --direct-io=on -f --show "$img")
	(while :; do sleep 1; losetup --direct-io=off "$d"; sleep 1; losetup --direct-io=on "$d"; done) &
	toggler=$!
	fio --name=r14 --filename="$d" --direct=1 --ioengine="$2" --rw=randrw --bsrange=4k-1M \
		--iodepth=64 --size=128M --time_based --runtime="$secs" --verify=crc32c \
		--verify_backlog=512 --verify_fatal=1 --output-format=terse >fio-$1-$2.txt 2>&1
	local rc=$?
	kill $toggler; wait $toggler 2>/dev/null || true
	losetup -d "$d"
	errs=$(grep -c 'verify' fio-$1-$2.txt || true)
	echo "  R14 $1/$2: fio exit $rc, verify lines $errs, $(cut -d';' -f6 fio-$1-$2.txt | head -1) KiB read"
	((rc == 0)) || { cat fio-$1-$2.txt; fail "fio $2 on $1 failed"; }
}
for fs in e x; do for engine in libaio io_uring; do r14 $fs $engine; done; done

unload_loop
insmod "$RLOOP_CLOOP"
transcript >cloop.txt 2>&1 || true
unload_loop
if ! diff -u cloop.txt rloop.txt; then
	fail "rloop differs from the C loop.ko (- C, + rloop)"
fi
sed 's/^/  /' rloop.txt
