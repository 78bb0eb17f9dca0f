# R20: geometry ioctls under fio load on a file-backed device.
# Phase 1: fio (a direct-I/O libaio job and a buffered job, random
# read/write) runs RLOOP_IOCTL_LOAD_SECONDS (default 10; `make stress` runs
# 120) while tools/vm/lib/ioctl_churn.py loops LOOP_SET_STATUS64 offset
# changes, LOOP_SET_BLOCK_SIZE 4096 and back to 512, and `truncate +16M` +
# LOOP_SET_CAPACITY.  The jobs stay inside the smallest capacity the changes
# produce and use 4 KiB aligned I/O, so loop.c completes every request:
# fio must finish without an I/O error, every ioctl must succeed (nobody
# holds the device exclusively), no hang (hung-task detector, fio's own
# time limit) and no lockdep finding.
# Phase 2: a data-verifying fio run (crc32c, verify_backlog) for the same
# time while the backing file only grows (truncate +16M + SET_CAPACITY):
# every block read back must verify.
# Afterwards the device is still usable (offset 0, 512-byte blocks, capacity
# = file size, data written through it reads back) and detaches cleanly.
scratch
secs=${RLOOP_IOCTL_LOAD_SECONDS:-10}
secs=$(budget_secs "$secs" 3 10) # two phases, and the rest
churn=$RLOOP_REPO/tools/vm/lib/ioctl_churn.py
load_rloop
on_exit 'unload_loop'
on_exit 'losetup -D'
truncate -s 256M back.img
dev=$(losetup -f --show back.img)
on_exit 'touch "$SCRATCH/stop"'

# run_fio NAME CHURN_MODE FIO_ARGS...: fio on $dev with the churn alongside.
run_fio() {
	local name=$1 mode=$2 rc=0 crc=0
	shift 2
	rm -f stop
	python3 "$churn" "$dev" "$SCRATCH/back.img" "$SCRATCH/stop" "$mode" >"churn-$name.txt" &
	local cpid=$!
	# fio's own limit: far beyond the runtime, only to turn a hang into a failure.
	timeout $((secs * 10 + 300)) fio --filename="$dev" --output-format=json --eta=never \
		--output="fio-$name.json" --time_based --runtime="$secs" "$@" || rc=$?
	touch stop
	wait "$cpid" || crc=$?
	cat "churn-$name.txt"
	python3 - "fio-$name.json" <<'PY' || fail "fio $name: cannot read its output"
import json, sys
d = json.load(open(sys.argv[1]))
for j in d["jobs"]:
    print(f"  fio {j['jobname']}: error {j['error']}, read {j['read']['io_bytes'] >> 20} MiB,"
          f" write {j['write']['io_bytes'] >> 20} MiB, {j['read']['total_ios'] + j['write']['total_ios']} I/Os")
PY
	((rc == 0)) || fail "fio $name exited with status $rc (124: still running long after its runtime)"
	((crc == 0)) || fail "fio $name: a geometry ioctl failed under load (see above)"
}

echo "  phase 1: offset, block size and capacity changes under fio, ${secs} s"
run_fio geometry all --rw=randrw --bs=4k \
	--name=direct --direct=1 --ioengine=libaio --iodepth=8 --offset=0 --size=64M \
	--name=buffered --direct=0 --ioengine=psync --offset=64M --size=64M

echo "  phase 2: data verify while the capacity grows, ${secs} s"
run_fio verify capacity --name=verify --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --size=96M --verify=crc32c --verify_backlog=256 \
	--verify_fatal=1
python3 - fio-verify.json <<'PY' || fail "fio verify read back less than it wrote"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
# verify_backlog reads back what was written, in batches of 256 blocks.
assert j["read"]["total_ios"] + 256 >= j["write"]["total_ios"] > 0, (j["read"]["total_ios"], j["write"]["total_ios"])
PY

# Still usable: back to offset 0 and 512-byte blocks, capacity = file size.
python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" set-status "$dev" 0 0 0 | grep -q ' -> 0$' ||
	fail "LOOP_SET_STATUS64 offset 0 failed"
python3 -c 'import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.ioctl(fd, 0x4C09, 512); fcntl.ioctl(fd, 0x4C07, 0)' "$dev" ||
	fail "LOOP_SET_BLOCK_SIZE 512 / LOOP_SET_CAPACITY failed after the load"
assert_eq "device size" "$(blockdev --getsize64 "$dev")" "$(stat -c %s back.img)"
assert_eq "logical block size" "$(blockdev --getss "$dev")" 512
head -c 1M /dev/urandom >pattern
dd if=pattern of="$dev" bs=64k seek=32 oflag=direct conv=fsync status=none ||
	fail "cannot write through $dev after the load"
cmp pattern <(dd if="$dev" bs=64k skip=32 count=16 iflag=direct status=none) ||
	fail "data written through $dev after the load does not read back"
cmp pattern <(dd if=back.img bs=64k skip=32 count=16 status=none) ||
	fail "data written through $dev after the load is not in the backing file at offset 2 MiB"
# udev may be probing the device (the writes above end with a close that
# its inotify watch answers): then LOOP_CLR_FD only marks it for autoclear
# and udev's close clears it (6.11+ semantics, as loop.c).
losetup -d "$dev"
udevadm settle --timeout=30 || true
for t in $(seq 300); do
	[[ -e /sys/block/${dev#/dev/}/loop ]] || break
	sleep 0.1
done
[[ ! -e /sys/block/${dev#/dev/}/loop ]] || fail "${dev#/dev/} still bound after losetup -d: $(losetup -a)"
[[ -z $(losetup -j "$SCRATCH/back.img") ]] || fail "still bound after losetup -d: $(losetup -j "$SCRATCH/back.img")"
