# R7 (seed 003): Tetsuo Handa's /sys/power/resume chain, his C program
# unchanged (tools/vm/lib/resume-chain.c): bind, a second opener,
# LOOP_CLR_FD, sendfile from /sys/power/resume and into the device, "700"
# (loop0) written to /sys/power/resume, which runs software_resume() on the
# still-bound device, then the last close clears.  RLOOP_RESUME_CYCLES runs
# (default 10; R7 asks for 50, which `make stress` runs) on tmpfs, then as
# many in a directory of an ext4 filesystem that a parallel loop freezes and
# thaws (fsfreeze -f/-u), so the device's writes, the sync at the last close
# and the clear meet a frozen backing filesystem.  Every run must exit 0,
# loop0 must end up unbound, software_resume() must find no image (no
# "resume from hibernation"), and the run's kernel log must stay free of
# findings (lockdep-inspect).
scratch
cycles=${RLOOP_RESUME_CYCLES:-10}
[[ -w /sys/power/resume ]] || fail "no writable /sys/power/resume (CONFIG_HIBERNATION)"
if grep -q '\[disabled\]' /sys/power/disk; then
	fail "hibernation is not available: /sys/power/disk says '$(cat /sys/power/disk)'"
fi
gcc -O2 -w -o resume-chain "$RLOOP_REPO/tools/vm/lib/resume-chain.c" || fail "cannot compile resume-chain.c"
dmesg_before=$(dmesg | wc -l)
load_rloop
on_exit 'unload_loop'
on_exit 'losetup -D'

# run_once DIR I: one run of the program in DIR; loop0 must end up unbound.
# The program's own last close clears before it returns, unless udev (also
# a user process, clearing in its close) held loop0 open last: so wait for
# udev, and give the clear a generous bound before calling it a leak.
run_once() {
	local dir=$1 i=$2 rc=0 t
	(cd "$dir" && exec timeout 600 "$SCRATCH/resume-chain") || rc=$?
	((rc == 0)) || fail "run $i in $dir: the program exited with status $rc"
	udevadm settle --timeout=30 || true
	for t in $(seq 300); do
		[[ -e /sys/block/loop0/loop ]] || break
		sleep 0.1
	done
	[[ ! -e /sys/block/loop0/loop ]] || fail "run $i in $dir: loop0 still bound: $(losetup -a)"
}

mkdir plain
budget_slice 2
done1=0
for i in $(seq "$cycles"); do
	((i <= 10)) || in_budget || break
	run_once plain "$i"
	done1=$i
done
budget_note "$done1" "$cycles" "runs on tmpfs"
assert_eq "/sys/power/resume after the runs" "$(cat /sys/power/resume)" "7:0"
[[ -z $(losetup -a) ]] || fail "devices left bound: $(losetup -a)"
echo "  $done1 runs on tmpfs: every run exited 0, loop0 unbound after each"

# The same with the backing file on an ext4 filesystem (on loop7, so that
# the program's LOOP_CTL_GET_FREE still returns loop0) frozen and thawed in
# a parallel loop.
truncate -s 64M fs.img
mkfs.ext4 -qF fs.img
mkdir -p /mnt/frz
losetup /dev/loop7 fs.img
mount /dev/loop7 /mnt/frz
on_exit 'losetup -d /dev/loop7'
on_exit 'umount /mnt/frz'
on_exit 'fsfreeze -u /mnt/frz'
mkdir /mnt/frz/run
(
	n=0
	while [[ ! -e $SCRATCH/stop ]]; do
		fsfreeze -f /mnt/frz
		sleep 0.05
		fsfreeze -u /mnt/frz
		n=$((n + 1))
		echo "$n" >"$SCRATCH/freezes"
		sleep 0.05
	done
) &
freezer=$!
on_exit "touch '$SCRATCH/stop'; wait $freezer"
budget_slice 1
done2=0
for i in $(seq "$cycles"); do
	((i <= 10)) || in_budget || break
	run_once /mnt/frz/run "$i"
	done2=$i
done
budget_note "$done2" "$cycles" "runs under fsfreeze"
touch stop
wait "$freezer" || fail "the fsfreeze loop failed"
fsfreeze -u /mnt/frz 2>/dev/null || true
[[ -s /mnt/frz/run/testfile ]] || fail "the program left no testfile on the frozen filesystem"
umount /mnt/frz
losetup -d /dev/loop7
[[ -z $(losetup -a) ]] || fail "devices left bound: $(losetup -a)"
if dmesg | tail -n +"$dmesg_before" | grep -E 'resume from hibernation|Image signature found'; then
	fail "software_resume() found an image on loop0"
fi
echo "  $done2 runs on a filesystem frozen and thawed $(cat freezes) times meanwhile: every run exited 0, loop0 unbound after each"
