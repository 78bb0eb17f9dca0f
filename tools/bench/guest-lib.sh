# tools/bench/guest-lib.sh: what guest-bench and guest-profile share (sourced).

unload_loop() {
	local i
	[[ -d /sys/module/loop ]] || return 0
	for i in $(seq 50); do
		rmmod loop 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod loop
}

# load_driver NAME: rloop (our module, its defaults)
# or cloop (the C loop.ko at $RLOOP_CLOOP).
load_driver() {
	unload_loop || return 1
	case $1 in
	rloop) modprobe loop ;;
	cloop) insmod "$RLOOP_CLOOP" ;;
	esac
}

# settle_cache FILE MODE: the same page cache state for every driver and raw
# run.  Without it each run inherited the one before it: direct writes drop
# the file's cached pages, buffered cells cache and dirty them, so a driver's
# buffered 4k reads on ext4 went to the disk or not, and direct writes had
# dirty pages to write back and invalidate or not, depending on which driver
# ran before (a 5x swing in ext4 1M direct writes).  Buffered cells start with
# the whole file cached (read once), so they measure the driver's path
# through the page cache, not the virtio disk; direct-I/O cells start with
# none of it cached (written back and dropped).
settle_cache() {
	sync
	case $2 in
	buffered) cat "$1" >/dev/null ;;
	*) echo 1 >/proc/sys/vm/drop_caches ;;
	esac
}
