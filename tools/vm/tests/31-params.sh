# Module parameters and on-demand device creation (loop_probe), compared
# with the C loop.ko in the same boot.
scratch
facts() { # DRIVER-LOADER PARAMS...: load, print what a user sees, unload
	local load=$1
	shift
	echo "== $*"
	if ! $load "$@" 2>/dev/null; then
		echo "load failed"
		return 0
	fi
	udevadm settle --timeout=30
	echo "params: $(cat /sys/module/loop/parameters/max_loop) $(cat /sys/module/loop/parameters/max_part) $(cat /sys/module/loop/parameters/hw_queue_depth)"
	echo "disks: $(cd /sys/block && echo loop* | tr ' ' '\n' | sort -V | tr '\n' ' ')"
	for d in /sys/block/loop*; do
		echo "$(basename "$d"): dev $(cat "$d/dev") nr_requests $(cat "$d/queue/nr_requests") lbs $(cat "$d/queue/logical_block_size") size $(cat "$d/size") ro $(cat "$d/ro") removable $(cat "$d/removable")"
	done | sort -V
	# Opening a missing minor creates the device unless max_loop forbids it.
	rm -f node50
	mknod node50 b 7 50
	if exec 9<node50; then echo "open 7:50: ok"; exec 9<&-; else echo "open 7:50: failed"; fi 2>/dev/null
	echo "after open 7:50: $(cd /sys/block && echo loop* | tr ' ' '\n' | sort -V | tr '\n' ' ')"
	udevadm settle --timeout=30
	unload_loop
}
load_ours() { modprobe loop "$@"; }
load_c() { insmod "$RLOOP_CLOOP" "$@"; }
on_exit 'rmmod loop'
for p in "" "max_loop=2 max_part=3" "max_part=5" "hw_queue_depth=4" \
	"hw_queue_depth=0" "max_loop=2000000" "max_part=300"; do
	# shellcheck disable=SC2086
	facts load_ours $p >>rloop.txt 2>&1
	# shellcheck disable=SC2086
	facts load_c $p >>cloop.txt 2>&1
done
if ! diff -u cloop.txt rloop.txt; then
	fail "rloop differs from the C loop.ko (- C, + rloop)"
fi
sed 's/^/  /' rloop.txt

# rloop's own workers (no loop.c counterpart): 0 by default, 1-64 taken,
# above 64 refused at load with EINVAL (the loader names the parameter).
modprobe loop || fail "modprobe loop failed"
assert_eq "workers default" "$(cat /sys/module/loop/parameters/workers)" 0
unload_loop
modprobe loop workers=1 || fail "modprobe loop workers=1 failed"
assert_eq "workers=1" "$(cat /sys/module/loop/parameters/workers)" 1
unload_loop
dmesg -C
if modprobe loop workers=65 2>/dev/null; then
	unload_loop
	fail "modprobe loop workers=65 loaded"
fi
dmesg | grep -q "invalid for parameter .workers" || fail "no message for workers=65: $(dmesg | tail -n3)"
echo "  workers: default 0, workers=1 taken, workers=65 refused"
# spread_reads, spread_dio_writes and blocking (rloop's too): on by
# default, 0 taken; complete_bh: off by default, 1 taken.
for p in spread_reads:Y:0:N spread_dio_writes:Y:0:N blocking:Y:0:N complete_bh:N:1:Y; do
	IFS=: read -r p def set got <<<"$p"
	modprobe loop || fail "modprobe loop failed"
	assert_eq "$p default" "$(cat /sys/module/loop/parameters/$p)" "$def"
	unload_loop
	modprobe loop "$p=$set" || fail "modprobe loop $p=$set failed"
	assert_eq "$p=$set" "$(cat /sys/module/loop/parameters/$p)" "$got"
	unload_loop
	echo "  $p: default $def, $p=$set taken"
done
