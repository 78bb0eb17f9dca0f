# DAX on memory-backed disks is refused, by design (Documentation/
# design.rst, "Memory-backed disks"): 6.12's fs/dax.c can only map
# ZONE_DEVICE pages safely, and rdax pages are ordinary pages.  So: ext4
# refuses -o dax=always on rdax0 ("DAX unsupported by block device."), xfs
# turns DAX off with its message and its files carry no STATX_ATTR_DAX.
# Then R18's race through the page cache instead of DAX: 2 and 8 processes
# write-fault distinct bytes of the same never-allocated page of a sparse
# file on ext4 on rdax0 through MAP_SHARED mappings and msync, also with a
# pwrite(2) racing the faults (tools/vm/lib/dax-fault.c), for
# RLOOP_DAX_CYCLES pages (default 100; `make stress` 10000); every byte
# must survive, also after a remount (it went through the disk).
scratch
cycles=${RLOOP_DAX_CYCLES:-100}
gcc -O2 -o dax-fault "$RLOOP_REPO/tools/vm/lib/dax-fault.c" || fail "cannot build dax-fault"
mkdir -p /mnt/d
on_exit 'umount /mnt/d'
load_rloop rdax_nr=1 rdax_size=393216
on_exit 'rmmod loop'
udevadm settle --timeout=30

statx_dax() { # FILE: is STATX_ATTR_DAX (0x200000) set?
	local a
	a=$(xfs_io -r -c 'statx -r' "$1" | sed -n 's/^stat.attributes = //p')
	(((a & 0x200000) != 0))
}

dmesg -C
mkfs.ext4 -qF -b 4096 /dev/rdax0
if mount -o dax=always /dev/rdax0 /mnt/d 2>/dev/null; then
	umount /mnt/d
	fail "ext4 mounted rdax0 with dax=always"
fi
dmesg | grep -q 'DAX unsupported by block device' || fail "ext4 gave no 'DAX unsupported' message"
mkfs.xfs -qf /dev/rdax0
mount -o dax=always /dev/rdax0 /mnt/d || fail "xfs: mount failed"
dmesg | grep -q 'DAX unsupported by block device. Turning off DAX.' || fail "xfs did not turn DAX off"
touch /mnt/d/probe
! statx_dax /mnt/d/probe || fail "xfs file has STATX_ATTR_DAX on rdax0"
umount /mnt/d
echo "  dax=always refused on rdax0: ext4 fails the mount, xfs turns DAX off"

mkfs.ext4 -qF -b 4096 /dev/rdax0
mount /dev/rdax0 /mnt/d
# r18 NAME WRITERS MIXED: RLOOP_DAX_CYCLES pages, in files of at most 100
# pages so that the time budget can stop it between them.
pages_done=()
r18() {
	local pages=0 k=0 n out
	budget_slice "$4"
	while ((pages < cycles)); do
		((k == 0)) || in_budget || break
		n=$((cycles - pages < 100 ? cycles - pages : 100))
		out=$(./dax-fault "/mnt/d/r18-$1-$k" "$2" "$n" "$3") || fail "R18 $1 ($2 writers, racing write(2): $3): $out"
		pages=$((pages + n))
		k=$((k + 1))
	done
	budget_note "$pages" "$cycles" "R18 $1 pages"
	pages_done+=("$pages")
}
r18 two 2 0 3
r18 eight 8 0 2
r18 mixed 4 1 1
sums=$(cd /mnt/d && sha256sum r18-*)
umount /mnt/d
mount /dev/rdax0 /mnt/d
assert_eq "R18 files after remount" "$(cd /mnt/d && sha256sum r18-*)" "$sums"
umount /mnt/d
unload_loop
echo "  R18 through the page cache: ${pages_done[*]} pages x (2, 8 faulting writers; 4 with a racing write(2)): every byte intact, also after a remount"
