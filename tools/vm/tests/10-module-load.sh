# rloop loads as module `loop`, owns block major 7 while loaded, and
# unloads cleanly, repeatedly.
for i in $(seq 20); do
	load_rloop
	grep -qx ' *7 loop' /proc/devices || fail "block major 7 not registered as loop (round $i)"
	assert_eq "module name" "$(modinfo -F name loop)" loop
	unload_loop
	! grep -qx ' *7 loop' /proc/devices || fail "block major 7 still registered after rmmod (round $i)"
	[[ ! -d /sys/module/loop ]] || fail "/sys/module/loop still present after rmmod"
done
dmesg | grep -q 'loop: module loaded' || fail "no 'loop: module loaded' in dmesg"
echo "  20 load/unload cycles"
