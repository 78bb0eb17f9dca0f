# R19 (removal and unload) and R11 (clearing inside a loop chain), through
# tools/vm/lib/remove_races.py, against rloop and the C loop.ko in one boot.
# - Parity (identical transcripts): LOOP_CTL_REMOVE gets EBUSY for a bound
#   device, an open unbound one and one in rundown (LOOP_CLR_FD by the only
#   opener, still open: new opens get ENXIO); rmmod fails while a device is
#   bound and succeeds after `losetup -D`.
# - rloop only, force_async_clear=1 (the clear runs on a workqueue, so a
#   closed device sits in rundown with no opener): LOOP_CTL_REMOVE right
#   after the last close gets EBUSY or, once the clear is done, removes it;
#   the clear's change uevent always comes before the disk's remove uevent
#   (10 rounds; 20 under `make stress`).
# - Races, each driver for RLOOP_REMOVE_RACE_SECONDS (default 5; `make
#   stress` runs 60): open/ioctl/read of a device against LOOP_CTL_ADD/REMOVE
#   (R19: no crash, only results loop.c gives); loop0 bound and cleared
#   while loop1 is configured on it (R11); `losetup -d` + LOOP_CTL_REMOVE of
#   four bound devices racing `rmmod loop` (also with the asynchronous clear
#   for rloop): the module always ends up unloaded.
# Module autoloading is off meanwhile (kernel.modprobe = /bin/false), so a
# late LOOP_CTL_REMOVE cannot reload a driver behind the test's back.
scratch
secs=${RLOOP_REMOVE_RACE_SECONDS:-5}
secs=$(budget_secs "$secs" 6 5) # two races per driver, and the rest
lib=$RLOOP_REPO/tools/vm/lib/remove_races.py
for f in a b 0 1 2 3; do truncate -s 16M "$f.img"; done
modprobe_was=$(cat /proc/sys/kernel/modprobe)
on_exit "echo '$modprobe_was' >/proc/sys/kernel/modprobe"
echo /bin/false >/proc/sys/kernel/modprobe
on_exit 'unload_loop'
on_exit 'losetup -D'
load_c() { insmod "$RLOOP_CLOOP" || fail "insmod $RLOOP_CLOOP failed"; }

# parity: what a user sees of removal and unload; ends with the module gone.
parity() {
	python3 "$lib" busy "$SCRATCH/a.img"
	losetup /dev/loop2 "$SCRATCH/b.img"
	if rmmod loop 2>/dev/null; then echo "rmmod while loop2 is bound: succeeded"; else echo "rmmod while loop2 is bound: refused"; fi
	echo "module loaded: $([[ -d /sys/module/loop ]] && echo yes || echo no)"
	losetup -D
	unload_loop
	echo "after losetup -D and rmmod, module loaded: $([[ -d /sys/module/loop ]] && echo yes || echo no)"
}
load_rloop
parity >ours.txt || fail "parity probes failed on rloop: $(cat ours.txt)"
load_c
parity >theirs.txt || fail "parity probes failed on loop.ko: $(cat theirs.txt)"
sed 's/^/  /' ours.txt
diff -u theirs.txt ours.txt || fail "rloop differs from loop.ko (- loop.ko, + rloop)"

# rmmod_race LOAD ROUNDS: `losetup -d` and LOOP_CTL_REMOVE of loop0-3
# (remove_races.py detach-remove) racing rmmod attempts; the driver must end
# up unloaded each round.
rmmod_race() {
	local load=$1 rounds=$2 r k n py
	: >removes
	for r in $(seq "$rounds"); do
		[[ -d /sys/module/loop ]] || $load
		[[ $load != load_rloop || ${async:-0} == 0 ]] || echo 1 >/sys/module/loop/parameters/force_async_clear
		for k in 0 1 2 3; do losetup /dev/loop$k "$SCRATCH/$k.img"; done
		rm -f ready
		python3 "$lib" detach-remove "$SCRATCH/ready" 0 1 2 3 >>removes &
		py=$!
		for n in $(seq 300); do
			[[ -e ready ]] && break
			sleep 0.1
		done
		for n in $(seq 300); do
			rmmod loop 2>/dev/null && break
		done
		wait "$py" || fail "round $r: losetup -d / LOOP_CTL_REMOVE failed"
		unload_loop
		[[ ! -d /sys/module/loop ]] || fail "round $r: the module is still loaded"
	done
	echo "  $rounds rounds, the module unloaded after each; LOOP_CTL_REMOVE results: $(sort removes | uniq -c | xargs)"
	! grep -vxE '0|EBUSY|ENOENT|ENODEV' removes || fail "LOOP_CTL_REMOVE gave a result loop.c never gives here"
}

for drv in rloop c; do
	load=load_$drv
	echo "  $drv: open/ioctl/read against LOOP_CTL_ADD/REMOVE of loop20, ${secs} s"
	$load
	python3 "$lib" open-race "$secs" 20 || fail "$drv: open racing remove gave unexpected results"
	echo "  $drv: loop0 bound and cleared while loop1 is configured on it, ${secs} s"
	python3 "$lib" chain-race "$secs" "$SCRATCH/a.img" || fail "$drv: chain race gave unexpected results"
	udevadm settle --timeout=30 || true
	for n in $(seq 300); do
		[[ -n $(losetup -a) ]] || break
		sleep 0.1
	done
	[[ -z $(losetup -a) ]] || fail "$drv: devices left bound after the chain race: $(losetup -a)"
	if [[ $drv == rloop ]]; then
		echo "  rloop: LOOP_CTL_REMOVE right after the last close, clear on the workqueue"
		echo 1 >/sys/module/loop/parameters/force_async_clear
		python3 "$lib" async-rundown "$([[ -n ${RLOOP_TEST_DEADLINE:-} ]] && echo 20 || echo 10)" \
			"$SCRATCH/a.img" || fail "LOOP_CTL_REMOVE in rundown"
		echo 0 >/sys/module/loop/parameters/force_async_clear
	fi
	echo "  $drv: losetup -d, LOOP_CTL_REMOVE and rmmod"
	unload_loop
	rmmod_race "$load" 2
	if [[ $drv == rloop ]]; then
		echo "  rloop: the same with the clear on the workqueue"
		async=1 rmmod_race "$load" 2
	fi
done
