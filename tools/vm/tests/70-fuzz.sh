# R10: tools/fuzz/loopfuzz.c (built here with gcc), 16 processes for
# RLOOP_FUZZ_SECONDS (default 15; `make stress` runs 300) opening and
# closing loop0-loop7 and their partitions and issuing every control and
# device ioctl with valid and invalid arguments (see the program's header),
# while dd readers/writers and fio jobs do I/O on the same devices.  Seed:
# RLOOP_FUZZ_SEED, else a fresh one, printed.  When rloop gives a result
# outside what loop.c can give for that operation (the fuzzer's table), the
# same seed runs on the C loop.ko in this boot (at most 60 s) to tell a
# gap in the table from a difference.
# Fails when: the guest oopses or splats (lockdep-inspect verdict), a
# fuzzing process dies, rloop gives such a result and the C loop.ko does not
# give it in its own run, `losetup -D` leaves a device bound, a device
# cannot be removed, `rmmod loop` does not succeed, or (kasan kernel)
# kmemleak finds an unreferenced object after the unload.
progress() { echo "  [${SECONDS} s] $*"; }
scratch
secs=${RLOOP_FUZZ_SECONDS:-15}
secs=$(budget_secs "$secs" 3 10) # the C loop.ko's run and udev's catching up
seed=${RLOOP_FUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
csecs=$((secs < 60 ? secs : 60))
# tools/check and tools/stress build it on the host (gcc is slow under TCG)
if [[ $RLOOP_REPO/target/loopfuzz -nt $RLOOP_REPO/tools/fuzz/loopfuzz.c ]]; then
	cp "$RLOOP_REPO/target/loopfuzz" .
else
	gcc -O2 -Wall -o loopfuzz "$RLOOP_REPO/tools/fuzz/loopfuzz.c" || fail "cannot build tools/fuzz/loopfuzz.c"
fi
mkdir back
# b0: an MBR with two partitions, so PARTSCAN creates loopNp1/p2.
truncate -s 32M back/b0
printf 'label: dos\n1MiB,8MiB,83\n,,83\n' | sfdisk -q back/b0 >/dev/null || fail "sfdisk"
for b in 1 2 3 4 5; do truncate -s 16M back/b$b; done
progress "fuzzer built, backing files ready"
on_exit 'unload_loop'
on_exit 'losetup -D'
on_exit 'stop_io'

io_pids=()
start_io() { # background I/O on random loop devices; counts runs in io.count
	: >io.count
	(
		set +e
		while :; do
			n=$((RANDOM % 8))
			if ((RANDOM % 2)); then
				dd if=/dev/loop$n of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null
			else
				# nocreat: never a regular file where a removed device's node was
				dd if=/dev/zero of=/dev/loop$n bs=4k count=64 seek=$((RANDOM % 1024)) conv=notrunc,nocreat 2>/dev/null
			fi
			echo dd >>io.count
		done
	) &
	io_pids+=($!)
	(
		set +e
		while :; do
			fio --name=fuzz-io --filename=/dev/loop$((RANDOM % 8)) --rw=randrw --bs=4k --size=4m \
				--ioengine=libaio --iodepth=8 --direct=$((RANDOM % 2)) --runtime=10 --time_based --allow_file_create=0 \
				--continue_on_error=all >/dev/null 2>&1
			echo fio >>io.count
			sleep 0.2
		done
	) &
	io_pids+=($!)
}
stop_io() {
	local p
	for p in "${io_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		pkill -P "$p" 2>/dev/null || true
	done
	for p in "${io_pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	io_pids=()
}

# remove_all: detach everything and LOOP_CTL_REMOVE every loop device,
# retrying while udev works through the fuzzer's events (its probes hold
# devices open for a moment); then the event queue must drain.
remove_all() {
	python3 - "$1" <<'PY' || fail "$1: devices left bound or not removable"
import errno, fcntl, os, subprocess, sys, time
c = os.open("/dev/loop-control", os.O_RDWR)
for _ in range(600):
    subprocess.run(["losetup", "-D"], stderr=subprocess.DEVNULL)
    left = sorted(int(d[4:]) for d in os.listdir("/sys/block") if d.startswith("loop"))
    busy = []
    for n in left:
        try:
            fcntl.ioctl(c, 0x4C81, n)
        except OSError as e:
            busy.append(f"loop{n}: {errno.errorcode.get(e.errno)}")
    if not busy:
        print(f"  {sys.argv[1]}: removed the last {len(left)} device(s)")
        sys.exit(0)
    time.sleep(0.2)
print(f"  {sys.argv[1]}: cannot remove {busy}; bound: {subprocess.run(['losetup', '-a'], capture_output=True, text=True).stdout}")
sys.exit(1)
PY
	udevadm settle --timeout=120 2>/dev/null || true
	[[ -z $(ls /sys/block | grep '^loop') ]] || fail "$1: loop devices left: $(ls /sys/block | grep '^loop' | xargs)"
}

# fuzz DRIVER SECONDS: one run; the fuzzer's transcript in DRIVER.txt, its
# (kind, result) pairs in DRIVER.pairs.
fuzz() {
	local drv=$1 s=$2 rc=0 dd fio
	start_io
	# niced, so that the dd and fio loops get some of the 2 CPUs
	nice -n 10 ./loopfuzz -d "$SCRATCH/back" -s "$seed" -t "$s" -p 16 -n 8 -o "$drv.pairs" >"$drv.txt" 2>&1 || rc=$?
	progress "$drv: fuzzer done"
	stop_io
	progress "$drv: I/O stopped"
	dd=$(grep -cx dd io.count || true)
	fio=$(grep -cx fio io.count || true)
	echo "  $drv: $s s, $dd dd runs and $fio fio runs alongside"
	sed 's/^/  /' "$drv.txt"
	grep -q '^loopfuzz: [0-9]* operations' "$drv.txt" || fail "$drv: the fuzzer did not finish (exit $rc)"
	! grep -q 'ended with status' "$drv.txt" || fail "$drv: a fuzzing process died"
	remove_all "$drv"
	progress "$drv: all devices removed"
	# /dev must hold no regular file named like a device (the fuzzer counts
	# opening one as unexpected)
	! find /dev -maxdepth 1 -name 'loop*' -type f | grep . || fail "$drv: regular files in /dev"
	rmmod loop || fail "$drv: rmmod loop failed with no device left"
	progress "$drv: unloaded"
	[[ ! -d /sys/module/loop ]] || fail "$drv: rmmod loop did not succeed"
}

load_rloop
fuzz rloop "$secs"
# Only on a kernel with kmemleak (KERNEL=kasan); a no-op elsewhere.
kmemleak_check
echo "  seed $seed"
grep -q '^  unexpected: ' rloop.txt || exit 0

# Results outside the table: fatal unless the C loop.ko gives them too.
insmod "$RLOOP_CLOOP" || fail "insmod $RLOOP_CLOOP"
fuzz cloop "$csecs"
bad=0
while read -r kind err; do
	if grep -qx "$kind $err" cloop.pairs; then
		echo "  note: $kind -> $err is outside the fuzzer's table, but loop.c gives it too"
	else
		echo "  rloop only: $kind -> $err"
		bad=1
	fi
done < <(sed -n 's/^  unexpected: \([^ ]*\) -> \([^:]*\):.*/\1 \2/p' rloop.txt | sort -u)
((bad == 0)) || fail "rloop gave results loop.c does not (seed $seed)"
