# /dev/loop-control, the pre-created devices and the module parameters,
# compared line by line with the C loop.ko in the same boot (R1).
scratch
transcript() { # DRIVER: run the control/unbound probes, normalised
	udevadm settle --timeout=30
	{
		echo "params: $(cat /sys/module/loop/parameters/max_loop) $(cat /sys/module/loop/parameters/max_part) $(cat /sys/module/loop/parameters/hw_queue_depth)"
		for i in 0 1 2 3 4 5 6 7 8; do
			echo "loop$i: $(python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" node /dev/loop$i)"
		done
		echo "losetup -f: $(losetup -f)"
		python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" control
		python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" unbound
	} >"$1.txt" 2>&1
}

load_rloop
on_exit 'rmmod loop'
transcript rloop || true
dmesg | grep -q 'loop: module loaded' || fail "no 'loop: module loaded' line"
unload_loop

insmod "$RLOOP_CLOOP"
transcript cloop || true
unload_loop

if ! diff -u cloop.txt rloop.txt; then
	fail "rloop differs from the C loop.ko (- C, + rloop)"
fi
sed 's/^/  /' rloop.txt
