# rloop loads as module `loop`, owns block major 7 while loaded, and
# unloads cleanly, repeatedly: RLOOP_MODLOAD_CYCLES rounds (default 5;
# `make stress` 20).
cycles=${RLOOP_MODLOAD_CYCLES:-5}
budget_slice 1
done_cycles=0
for i in $(seq "$cycles"); do
	((i <= 5)) || in_budget || break
	done_cycles=$i
	load_rloop
	grep -qx ' *7 loop' /proc/devices || fail "block major 7 not registered as loop (round $i)"
	assert_eq "module name" "$(modinfo -F name loop)" loop
	unload_loop
	! grep -qx ' *7 loop' /proc/devices || fail "block major 7 still registered after rmmod (round $i)"
	[[ ! -d /sys/module/loop ]] || fail "/sys/module/loop still present after rmmod"
done
budget_note "$done_cycles" "$cycles" "load/unload cycles"
dmesg | grep -q 'loop: module loaded' || fail "no 'loop: module loaded' in dmesg"
echo "  $done_cycles load/unload cycles"
