# tools/bench/guest-lib.sh: what guest-bench and guest-profile share (sourced).
# The sourcing script sets results (the JSON lines file note appends to),
# bench_start (log's time origin, $SECONDS) and, for the memory disks,
# size and memsize (memdisk_size) and msize (memdisk_load).
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib/pmem.sh"

log() { echo "bench [$((SECONDS - ${bench_start:-0}))s] $*"; }
note() { # KEY VALUE: a fact for the report
	printf '{"kind":"note","key":"%s","value":"%s"}\n' "$1" "${2//\"/\'}" >>"$results"
}

unload_loop() {
	local i
	[[ -d /sys/module/loop ]] || return 0
	for i in $(seq 50); do
		rmmod loop 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod loop
}

# load_driver NAME: rloop (our module, its defaults), rloop-v (our module
# with the A/B variant's parameters, $RLOOP_BENCH_VARIANT, e.g. "plug=0")
# or cloop (the C loop.ko at $RLOOP_CLOOP).
load_driver() {
	unload_loop || return 1
	case $1 in
	rloop) modprobe loop ;;
	# shellcheck disable=SC2086 # the variant is a list of parameters
	rloop-v) modprobe loop ${RLOOP_BENCH_VARIANT:?} ;;
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

# ---- persistent-memory ranges and memory disks --------------------------
# (guest-bench's groups memdisk and daxfs, guest-profile's backing mem)
# tools/bench/run boots with tools/lib.sh's RLOOP_SUITE_APPEND: two legacy
# persistent-memory ranges, the first for rdax's DAX pool, the second for
# pmem, the control (as tools/vm/tests/62-dax.sh).  pmem_setup loads
# nd_pmem (no udev here: nothing else loads it), unbinds it from the
# pool's namespace and finds the control's disk; pmem_ok=1 if all went.
# pmem_layout=1: the pool on the second range and pmem on the first
# (guest-bench's pmem_swap), to tell the drivers from the ranges'
# placement; pmem_teardown then pmem_setup again changes the layout.
pmem_ok=0 pool_addr= pool_ns= ctl_disk= pmem_max= pmem_layout=0
pmem_setup() {
	local ranges pool_start pool_end ctl_start ctl_end ctl_ns i
	pmem_ok=0 ctl_disk=
	mapfile -t ranges < <(legacy_pmem_ranges)
	if ((${#ranges[@]} < 2)); then
		note pmem "no two legacy persistent memory ranges (${#ranges[@]}; boot with memmap=512M!1G memmap=256M!1536M): rloop-dax, pmem and daxfs not measured"
		return 1
	fi
	read -r pool_start pool_end <<<"${ranges[pmem_layout == 1 ? 1 : 0]}"
	read -r ctl_start ctl_end <<<"${ranges[pmem_layout == 1 ? 0 : 1]}"
	pool_addr=$(printf '%#x' $((16#$pool_start)))
	# Both disks must fit in the smaller range, less some room (pmem's
	# namespace, the pool's alignment): 224 MiB with tools/lib.sh's ranges.
	pmem_max=$(((16#$pool_end + 1 - 16#$pool_start) >> 20))
	i=$(((16#$ctl_end + 1 - 16#$ctl_start) >> 20))
	((i < pmem_max)) && pmem_max=$i
	pmem_max=$((pmem_max - 32))
	modprobe nd_pmem || { note pmem "cannot load nd_pmem"; return 1; }
	pool_ns=$(namespace_at $((16#$pool_start))) || { note pmem "no nvdimm namespace on the pool range"; return 1; }
	ctl_ns=$(namespace_at $((16#$ctl_start))) || { note pmem "no nvdimm namespace on the control range"; return 1; }
	for i in $(seq 50); do
		ctl_disk=$(ls "/sys/bus/nd/devices/$ctl_ns/block" 2>/dev/null) && [[ -n $ctl_disk ]] && break
		sleep 0.2
	done
	[[ -n $ctl_disk ]] || { note pmem "nd_pmem did not bind $ctl_ns"; return 1; }
	if [[ -e /sys/bus/nd/devices/$pool_ns/driver ]]; then
		echo "$pool_ns" >/sys/bus/nd/drivers/nd_pmem/unbind || { note pmem "cannot unbind nd_pmem from $pool_ns"; return 1; }
	fi
	note "pmem$( ((pmem_layout == 1)) && echo _swapped)" "pool $pool_addr ($pool_ns, nd_pmem unbound), control /dev/$ctl_disk ($ctl_ns, queue/dax $(cat /sys/block/$ctl_disk/queue/dax))"
	log "pmem: rdax pool at $pool_addr, control /dev/$ctl_disk"
	pmem_ok=1
}
pmem_teardown() {
	[[ -n $pool_ns && ! -e /sys/bus/nd/devices/$pool_ns/driver ]] || return 0
	echo "$pool_ns" >/sys/bus/nd/drivers/nd_pmem/bind 2>/dev/null || true
}

# The size of the memory disks (memdisk and daxfs): the same for every
# driver, so the comparison is fair, and small enough for the smaller
# persistent-memory range (memsize= overrides it; 224 MiB when there are no
# ranges, so that a run's size does not depend on them).
memdisk_size() {
	local m=${memsize:-}
	if [[ -z $m ]]; then
		m=${pmem_max:-224}
		((size < m)) && m=$size
	fi
	echo "$m"
}

# memdisk_load DRIVER: rloop-mem (rdax0 on RAM pages), rloop-dax (rdax0 on
# the pool: pmem_setup first), pmem (the control's disk), brd or nullblk,
# each of $msize MiB.
# rloop-mem-v and rloop-dax-v are the same with the A/B variant's
# parameters ($RLOOP_BENCH_VARIANT).
memdisk_load() { # DRIVER: prints the device; status 3: rdax0 is not DAX
	local v=()
	# shellcheck disable=SC2206 # the variant is a list of parameters
	[[ $1 == *-v ]] && v=(${RLOOP_BENCH_VARIANT:?})
	case $1 in
	rloop-mem | rloop-mem-v)
		unload_loop && modprobe loop rdax_nr=1 rdax_size=$((msize * 1024)) rdax_pool=off "${v[@]}" && echo /dev/rdax0 ;;
	rloop-dax | rloop-dax-v)
		unload_loop && modprobe loop rdax_nr=1 rdax_size=$((msize * 1024)) rdax_pool="$pool_addr" "${v[@]}" || return 1
		if [[ $(cat /sys/block/rdax0/queue/dax) != 1 ]]; then
			log "rdax0 on the pool at $pool_addr is not a DAX device (queue/dax 0); rloop-dax not measured" >&2
			note rloop_dax "rdax0 with rdax_pool=$pool_addr has queue/dax 0: not measured (log: $(dmesg | grep rdax | tail -1 | cut -c1-160))"
			unload_loop
			return 3
		fi
		echo /dev/rdax0 ;;
	pmem) echo "/dev/$ctl_disk" ;;
	brd) modprobe brd rd_nr=1 rd_size=$((msize * 1024)) && echo /dev/ram0 ;;
	nullblk) modprobe null_blk nr_devices=1 memory_backed=1 gb=$(((msize + 1023) / 1024)) bs=512 && echo /dev/nullb0 ;;
	esac
}
memdisk_unload() {
	case $1 in rloop-mem* | rloop-dax*) unload_loop ;; brd) rmmod brd ;; nullblk) rmmod null_blk ;; pmem) ;; esac
}

# daxfs_mount DEV MNT FILE MIB: ext4 with 4 KiB blocks over $msize MiB of
# DEV (the same size on every driver: pmem's disk is larger), mounted on
# MNT with dax=always, and FILE of MIB MiB written once through write(2).
# Status 1: mkfs.ext4 or the mount failed (nothing mounted); 2: FILE has no
# STATX_ATTR_DAX (unmounted again).  guest-bench's daxfs group and
# guest-profile's backing daxfs.
daxfs_mount() {
	mkfs.ext4 -qF -b 4096 "$1" $((msize * 256)) >/dev/null && mount -o dax=always "$1" "$2" || return 1
	fill "$3" "$4" && sync
	statx_dax "$3" || { umount "$2"; return 2; }
}

# fill FILE|DEV MIB [DD-FLAGS...]: MIB MiB of random bytes, from a 32 MiB
# chunk of /dev/urandom made once (urandom itself makes 10-20 MiB/s under
# TCG: filling every disk from it cost more than its cells).
fill() {
	local to=$1 mib=$2 o n
	shift 2
	[[ -s /tmp/fill.bin ]] || head -c 32M /dev/urandom >/tmp/fill.bin
	for ((o = 0; o < mib; o += 32)); do
		n=$((mib - o < 32 ? mib - o : 32))
		dd if=/tmp/fill.bin of="$to" bs=1M count="$n" seek="$o" conv=notrunc "$@" status=none || return 1
	done
}
