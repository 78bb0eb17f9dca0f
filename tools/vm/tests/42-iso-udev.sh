# R4 (seed 003, Jan Stancek): mount -o loop,ro of an iso9660 image and
# umount in a loop, with systemd-udevd probing every new device.  A failed
# mount there is a user-space race (Jan Kara), so zero failures is not
# required, but rloop must not fail more often than the C loop.ko on the
# same image in the same boot (a margin of 2 absorbs the race's noise), must
# leak no device, and the run must stay free of findings.
# RLOOP_ISO_CYCLES (default 30; `make stress` runs 1000) sets the rounds.
scratch
cycles=${RLOOP_ISO_CYCLES:-30}
mkdir -p d isofs
echo hi >d/f
xorriso -as mkisofs -quiet -o isofs.iso d 2>/dev/null
rounds() {
	local fails=0 i
	for i in $(seq "$cycles"); do
		mount -o loop,ro isofs.iso isofs/ 2>/dev/null || fails=$((fails + 1))
		umount isofs/ 2>/dev/null || true
	done
	udevadm settle --timeout=30
	echo "$fails"
}
on_exit 'umount isofs/'
load_rloop
ours=$(rounds)
left=$(losetup -a | wc -l)
ioerr=$(dmesg | grep -c 'I/O error, dev loop' || true)
unload_loop
insmod "$RLOOP_CLOOP"
theirs=$(rounds)
unload_loop
echo "  $cycles rounds: rloop $ours failed mounts, loop.ko $theirs; 'I/O error, dev loop' lines: $ioerr"
assert_eq "devices left bound" "$left" 0
((ours <= theirs + 2)) || fail "rloop failed $ours mounts, loop.ko $theirs"
