# Data integrity through every mode.  fio writes RLOOP_VERIFY_MIB MiB
# (default 16; `make stress` up to 512, sized to the time budget) of random
# 4k-128k blocks with crc32c checksums; then the caches are dropped and a
# second run (--verify_only) reads every block back through the driver,
# with no mismatch allowed.
# Modes:
#   buffered          a loop device over a file on ext4 (brd), page cache
#                     I/O on the backing file
#   direct            the same with direct I/O (4096-byte blocks)
#   two-cpus          buffered, two jobs on disjoint halves, one pinned to
#                     each CPU (two of the device's workers at once)
#   two-cpus-direct   the same with direct I/O (large writes on both lists)
#   offset            buffered, with a 1 MiB offset and a size limit, once
#                     with O_DIRECT and once through the device's page cache
#   mem-direct/-buffered  a memory-backed disk rdax0 of RAM pages
#                     (rdax_pool=off)
#   dax-refused       a file on xfs mounted -o dax=always on that rdax0:
#                     a RAM rdax disk is no DAX device (Documentation/
#                     design.rst), so xfs falls back to the page cache;
#                     this checks that path (DAX on the pool: the dax test)
# Fails on any fio error or mismatch; prints the MiB verified.
scratch
mib=${RLOOP_VERIFY_MIB:-16}
brd_fs 2097152 ext4 e
mkdir -p d
rdax_mib=$((2 * mib + 64))
((rdax_mib >= 320)) || rdax_mib=320 # mkfs.xfs wants 300 MB
load_rloop rdax_nr=1 rdax_size=$((rdax_mib * 1024)) rdax_pool=off
on_exit 'unload_loop'
on_exit 'losetup -D'
on_exit "umount $SCRATCH/d"
udevadm settle --timeout=30 || true

total=0
# fio_run NAME PHASE ARGS...: one fio run; prints its terse line
fio_run() {
	local name=$1 phase=$2 line
	shift 2
	fio --name="$name" --output-format=terse --terse-version=3 "$@" >"fio-$name-$phase.txt" 2>&1 ||
		{ cat "fio-$name-$phase.txt" >&2; fail "$name: fio $phase failed"; }
	line=$(grep -v '^fio: ' "fio-$name-$phase.txt" | tail -n1)
	[[ $(cut -d';' -f5 <<<"$line") == 0 ]] || { cat "fio-$name-$phase.txt" >&2; fail "$name: fio $phase reported an error"; }
	echo "$line"
}
# verify NAME TARGET DIRECT [fio args]: write with checksums, drop the
# caches (so that reads go through the driver), read back and check.
# Under a time budget each run gets its share of the time left, sized from
# the rate of the runs before (the first writes 32 MiB), at least 32 MiB.
runs_left=9 secs_spent=0 mib_done=0
verify() {
	local name=$1 target=$2 rkib wkib size=$mib t0=$SECONDS want
	shift 2
	if [[ -n ${RLOOP_TEST_DEADLINE:-} ]]; then
		size=32
		if ((mib_done > 0)); then
			want=$(((RLOOP_TEST_DEADLINE - $(date +%s)) / runs_left * mib_done / (secs_spent > 0 ? secs_spent : 1)))
			((want > size)) && size=$want
			((size < mib)) || size=$mib
		fi
	fi
	runs_left=$((runs_left - 1))
	local args=(--filename="$target" --direct="$1" --ioengine=libaio --iodepth=16 --rw=randwrite
		--bsrange=4k-128k --size="${size}M" --verify=crc32c --verify_fatal=1 "${@:2}")
	wkib=$(fio_run "$name" write "${args[@]}" --do_verify=0 | cut -d';' -f47)
	[[ -b $target ]] && blockdev --flushbufs "$target"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	rkib=$(fio_run "$name" verify "${args[@]}" --verify_only | cut -d';' -f6)
	((rkib >= wkib && wkib > 0)) || fail "$name: wrote $wkib KiB but verified $rkib KiB"
	total=$((total + rkib))
	mib_done=$((mib_done + (wkib >> 10)))
	secs_spent=$((secs_spent + SECONDS - t0))
	echo "  $name: $((wkib >> 10)) MiB written, $((rkib >> 10)) MiB read back and verified"
}

truncate -s $((mib + 2))M e/b.img
d=$(losetup -f --show e/b.img)
verify buffered "$d" 1
losetup -d "$d"

d=$(losetup -f --show --direct-io=on -b 4096 e/b.img)
assert_eq "dio of $d" "$(cat /sys/block/${d#/dev/}/loop/dio)" 1
verify direct "$d" 1
losetup -d "$d"

# Two workers at once: two fio jobs (tasks with consecutive ids, so two
# of the device's request lists when there are two CPUs), each pinned to
# its own CPU, on disjoint halves of the device, so that the lists' workers
# run side by side (Documentation/design.rst); writes up to 64 KiB go to
# the submitting thread's list, larger ones to the first; the verifying
# reads (buffered) go to the less busy list.
truncate -s $((2 * mib + 2))M e/b.img
d=$(losetup -f --show e/b.img)
pin=()
(($(nproc) >= 2)) && pin=(--cpus_allowed=0-1 --cpus_allowed_policy=split)
verify two-cpus "$d" 1 --numjobs=2 --offset_increment=$((mib + 1))M --group_reporting "${pin[@]}"
losetup -d "$d"
# The same in direct-I/O mode, where writes above 64 KiB (real direct I/O
# on ext4) stay on each thread's list too (spread_dio_writes).
d=$(losetup -f --show --direct-io=on -b 4096 e/b.img)
assert_eq "dio of $d" "$(cat /sys/block/${d#/dev/}/loop/dio)" 1
verify two-cpus-direct "$d" 1 --numjobs=2 --offset_increment=$((mib + 1))M --group_reporting "${pin[@]}"
losetup -d "$d"

d=$(losetup -f --show -o 1M --sizelimit $((mib + 1))M e/b.img)
verify offset "$d" 1
verify offset-pagecache "$d" 0
losetup -d "$d"
umount e
rmmod brd

verify mem-direct /dev/rdax0 1
verify mem-buffered /dev/rdax0 0 --offset=$((mib + 1))M

mkfs.xfs -qf /dev/rdax0
dmesg -C
mount -o dax=always /dev/rdax0 d
dmesg | grep -q 'DAX unsupported by block device. Turning off DAX.' || fail "xfs did not say it turned DAX off"
verify dax-refused "$SCRATCH/d/f" 0
umount d
echo "  integrity: $((total >> 10)) MiB verified through 8 modes, no mismatch"
