# R4 (seed 003, Jan Stancek): mount -o loop,ro of an iso9660 image and
# umount in a loop, with systemd-udevd probing every new device.  A failed
# mount there is a user-space race (Jan Kara), so zero failures is not
# required, but rloop must not fail more often than the C loop.ko on the
# same image in the same boot (a margin of 2 absorbs the race's noise), must
# leak no device, and the run must stay free of findings.
# RLOOP_ISO_CYCLES (default 15; `make stress` runs 1000) sets the rounds.
scratch
cycles=${RLOOP_ISO_CYCLES:-15}
mkdir -p d isofs
echo hi >d/f
xorriso -as mkisofs -quiet -o isofs.iso d 2>/dev/null
rounds() { # N: rounds, fewer if the time budget ends (count in $SCRATCH/n)
	local fails=0 i
	for i in $(seq "$1"); do
		((i <= 10)) || in_budget || break
		echo "$i" >"$SCRATCH/n"
		mount -o loop,ro isofs.iso isofs/ 2>/dev/null || fails=$((fails + 1))
		umount isofs/ 2>/dev/null || true
	done
	udevadm settle --timeout=30
	echo "$fails"
}
on_exit 'umount isofs/'
load_rloop
budget_slice 2
ours=$(rounds "$cycles")
n=$(cat n)
budget_note "$n" "$cycles" "rounds"
left=$(losetup -a | wc -l)
ioerr=$(dmesg | grep -c 'I/O error, dev loop' || true)
unload_loop
insmod "$RLOOP_CLOOP"
theirs=$(RLOOP_TEST_DEADLINE='' rounds "$n") # the same count, whatever the time
unload_loop
echo "  $n rounds: rloop $ours failed mounts, loop.ko $theirs; 'I/O error, dev loop' lines: $ioerr"
assert_eq "devices left bound" "$left" 0
((ours <= theirs + 2)) || fail "rloop failed $ours mounts, loop.ko $theirs"
