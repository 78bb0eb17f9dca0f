# DAX on rdax disks carved from the ZONE_DEVICE pool (Documentation/
# design.rst, "Memory-backed disks" and "DAX on the pool").  The suite boots
# with two legacy persistent-memory ranges (tools/lib.sh, RLOOP_VM_APPEND):
# the first is rdax's pool, the second pmem's, the control.  nd_pmem
# (autoloaded by udev) claims both at boot; the test unbinds it from the
# first (and binds it again at the end).
#   bad input   rdax_pool= naming pmem's range (claimed), a misaligned
#               address, an address with no range, garbage; rdax_size
#               larger than the pool: each a clear log line and RAM disks
#               (queue/dax 0) that work
#   pool        two disks, both DAX, disjoint slices; fresh disks read as
#               zeroes; R17 (8 racing O_DIRECT writers on fresh units);
#               fio verify with sizes from 512 bytes to 256 KiB in buffers
#               that start mid-page
#   ext4        -b 4096, dax=always: STATX_ATTR_DAX, no "DAX unsupported";
#               R18: 2, 4 (one with a racing pwrite) and 8 processes
#               write-fault distinct bytes of never-touched pages through
#               MAP_SHARED (tools/vm/lib/dax-fault.c), RLOOP_DAX_CYCLES
#               pages each (default 200; `make stress` 10000), every byte
#               intact, also after umount/remount; block I/O and DAX see the
#               same bytes; rmmod refused while mounted
#   reload      rmmod + modprobe: the pool is claimed again, and what the
#               last load wrote is not visible (units are zeroed on first
#               use): block reads, and a file on ext4 DAX whose 2 MiB
#               pieces 8 processes write-fault at once (racing to make the
#               same units ready over the old bytes)
#   ext4 PMD    mkfs with a 2 MiB stripe: PMD faults counted
#               (fs_dax:dax_pmd_fault_done NOPAGE) on a fallocated file
#   xfs         mkfs defaults (reflink on) with data aligned to 2 MiB,
#               dax=always: PMD faults counted (fs_dax:dax_pmd_fault_done
#               NOPAGE) on a 2 MiB extent-size file; cp --reflink + write
#               through a DAX mapping + unshare
#   pmem        the same R18 workload on ext4 on /dev/pmemN (second range)
#   kmemleak    a scan after the last unload finds nothing (KERNEL=kasan)
scratch
cycles=${RLOOP_DAX_CYCLES:-200}
gcc -O2 -o dax-fault "$RLOOP_REPO/tools/vm/lib/dax-fault.c" || fail "cannot build dax-fault"
mkdir -p /mnt/d /mnt/p
on_exit 'umount /mnt/d; umount /mnt/p'

# The legacy persistent-memory ranges, in address order.
. "$RLOOP_REPO/tools/vm/lib/pmem.sh"
mapfile -t ranges < <(legacy_pmem_ranges)
((${#ranges[@]} >= 2)) || fail "want two legacy persistent memory ranges, have ${#ranges[@]}: boot with ${RLOOP_VM_APPEND:-memmap=512M!1G memmap=256M!1536M} (tools/check does)"
read -r pool_start pool_end <<<"${ranges[0]}"
read -r ctl_start _ <<<"${ranges[1]}"
pool=$((16#$pool_start)) ctl=$((16#$ctl_start))
pool_mib=$(((16#$pool_end + 1 - pool) >> 20))
echo "  pool $(printf '%#x' $pool) ($pool_mib MiB), pmem control at $(printf '%#x' $ctl)"

# The nvdimm namespaces on the two ranges, and the control's pmem disk.
modprobe nd_pmem || fail "cannot load nd_pmem"
udevadm settle --timeout=30
pool_ns=$(namespace_at $pool) || fail "no nvdimm namespace on the pool range"
ctl_ns=$(namespace_at $ctl) || fail "no nvdimm namespace on the control range"
ctl_disk=$(ls "/sys/bus/nd/devices/$ctl_ns/block" 2>/dev/null) || fail "nd_pmem did not bind $ctl_ns"
if [[ -e /sys/bus/nd/devices/$pool_ns/driver ]]; then
	echo "$pool_ns" >/sys/bus/nd/drivers/nd_pmem/unbind || fail "cannot unbind nd_pmem from $pool_ns"
	on_exit "echo $pool_ns >/sys/bus/nd/drivers/nd_pmem/bind"
fi

queue_dax() { cat "/sys/block/$1/queue/dax"; }

# --- bad input: a clear log line, RAM disks without DAX that work.
# bad NAME LOG-PATTERN MODPROBE-ARGS...
bad() {
	local name=$1 pattern=$2
	shift 2
	dmesg -C
	load_rloop rdax_nr=1 "$@"
	udevadm settle --timeout=30
	dmesg | grep -q -- "$pattern" || { dmesg | tail -20 >&2; fail "$name: no '$pattern' in the log"; }
	assert_eq "$name: rdax0 queue/dax" "$(queue_dax rdax0)" 0
	! grep -q 'rloop rdax pool' /proc/iomem || fail "$name: the pool stays claimed with no disk on it"
	head -c 1M /dev/urandom >blob
	dd if=blob of=/dev/rdax0 bs=1M oflag=direct status=none
	cmp -n 1M blob /dev/rdax0 || fail "$name: rdax0 does not read back what was written"
	unload_loop
	echo "  bad input, $name: '$(dmesg | grep -m1 -o -- "$pattern.*")'"
}
bad "pool claimed by pmem" "is claimed by another driver" rdax_size=65536 rdax_pool=$(printf '%#x' $ctl)
bad "misaligned rdax_pool" "not 2 MiB aligned" rdax_size=65536 rdax_pool=$(printf '%#x' $((pool + 4096)))
bad "no range at rdax_pool" "no legacy persistent memory range there" rdax_size=65536 rdax_pool=0x10000000
bad "garbage rdax_pool" "not auto, off or a physical address" rdax_size=65536 rdax_pool=pool0
bad "rdax_pool=off" "rdax_pool=off: rdax disks use RAM pages" rdax_size=65536 rdax_pool=off
bad "rdax_size larger than the pool" "does not fit in the pool" rdax_size=$(((pool_mib + 2) * 1024))

# --- two disks on the pool.
dmesg -C
load_rloop rdax_nr=2 rdax_size=196608
on_exit 'unload_loop'
udevadm settle --timeout=30
dmesg | grep -q 'rdax: pool ' || { dmesg | tail -20 >&2; fail "rdax did not take the pool"; }
dmesg | grep -E 'rdax(: pool|[01]: )' | sed 's/^/  log: /'
assert_eq "rdax0 queue/dax" "$(queue_dax rdax0)" 1
assert_eq "rdax1 queue/dax" "$(queue_dax rdax1)" 1
grep -q "^ *$pool_start-.* : rloop rdax pool" /proc/iomem || fail "/proc/iomem shows no 'rloop rdax pool' at $pool_start"
cmp -n 192M /dev/rdax0 /dev/zero || fail "a fresh rdax0 does not read as zeroes"
# R17 on fresh units: 8 O_DIRECT writers, each its own sector of every page
# of the first 16 MiB of rdax1, racing to make the same units ready.
for j in 0 1 2 3 4 5 6 7; do
	fio --name=w$j --filename=/dev/rdax1 --direct=1 --bs=512 --rw=write:3584 \
		--offset=$((j * 512)) --size=16M --io_size=2M --ioengine=psync \
		--verify=pattern --verify_pattern=0x$((j + 1))$((j + 1)) --do_verify=0 \
		--output-format=terse >/dev/null &
done
wait
read -r bad_pages < <(python3 - <<'PY'
page = b"".join(bytes([0x11 * (j + 1)]) * 512 for j in range(8))
with open("/dev/rdax1", "rb", buffering=0) as f:
    print(sum(1 for _ in range(16 * 256) if f.read(4096) != page))
PY
)
assert_eq "R17 on the pool: pages with a wrong sector" "$bad_pages" 0
fio_verify_odd /dev/rdax1 32M 16M || fail "fio verify on rdax1 (direct, 512 B to 256 KiB, buffers at 512 B)"
cmp -n 192M /dev/rdax0 /dev/zero || fail "writes to rdax1 show on rdax0"
echo "  two DAX disks: fresh ones read as zeroes; R17 on fresh units: every sector its writer's; odd sizes and buffers read back (fio verify); slices disjoint"

# pmd_faults FILE: write-faults every 4 KiB of a 16 MiB file through a
# MAP_SHARED mapping, checks the bytes, and prints the fs_dax PMD faults
# served and fallen back ("NOPAGE FALLBACK").
pmd_faults() {
	local tr=/sys/kernel/tracing
	[[ -d $tr/events ]] || mount -t tracefs nodev $tr
	echo 0 >$tr/tracing_on
	echo >$tr/trace
	echo 1 >$tr/events/fs_dax/dax_pmd_fault_done/enable
	echo 1 >$tr/tracing_on
	local ok=1
	python3 - "$1" <<'PY' || ok=0
import mmap, os, sys
size = 16 << 20
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, size)
m = mmap.mmap(fd, size, mmap.MAP_SHARED)
for off in range(0, size, 4096):
    m[off:off + 8] = off.to_bytes(8, "little")
m.flush()
ok = all(m[off:off + 8] == off.to_bytes(8, "little") for off in range(0, size, 4096))
sys.exit(0 if ok else 1)
PY
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/fs_dax/dax_pmd_fault_done/enable
	((ok)) || fail "PMD workload on $1 failed"
	echo "$(grep -c 'dax_pmd_fault_done.*NOPAGE' $tr/trace) $(grep -c 'dax_pmd_fault_done.*FALLBACK' $tr/trace)"
}

# --- ext4 PMD faults: a stripe of 2 MiB (512 blocks) makes mballoc align
# large allocations to 2 MiB, so that a fallocated file's extents are
# PMD-mappable (ext4 DAX files get PMD-aligned mappings from
# thp_get_unmapped_area).
mkfs.ext4 -qF -b 4096 -E stride=512,stripe_width=512 /dev/rdax0
mount -o dax=always /dev/rdax0 /mnt/d || fail "ext4: mount -o dax=always failed"
fallocate -l 16M /mnt/d/pmd
counts=$(pmd_faults /mnt/d/pmd) || exit 1
read -r pmd fallback <<<"$counts"
((pmd > 0)) || { filefrag -v /mnt/d/pmd | head -8 >&2; fail "ext4: no PMD fault was served (fallbacks: $fallback)"; }
umount /mnt/d
echo "  ext4 dax=always: $pmd PMD faults served ($fallback fell back to PTEs) on a fallocated 16 MiB file"

# --- ext4, dax=always.
dmesg -C
mkfs.ext4 -qF -b 4096 /dev/rdax0
mount -o dax=always /dev/rdax0 /mnt/d || fail "ext4: mount -o dax=always failed"
! dmesg | grep -q 'DAX unsupported' || fail "ext4 says DAX unsupported"
touch /mnt/d/probe
statx_dax /mnt/d/probe || fail "ext4 file on rdax0 has no STATX_ATTR_DAX"
echo "  ext4 dax=always on rdax0: files carry STATX_ATTR_DAX"

# r18 DIR NAME WRITERS MIXED SLICES: RLOOP_DAX_CYCLES pages, in files of at
# most 100 pages so that the time budget can stop it between them.
r18() {
	local pages=0 k=0 n out
	budget_slice "$5"
	while ((pages < cycles)); do
		((k == 0)) || in_budget || break
		n=$((cycles - pages < 100 ? cycles - pages : 100))
		out=$(./dax-fault "$1/r18-$2-$k" "$3" "$n" "$4") || fail "R18 $2 on $1 ($3 writers, racing write(2): $4): $out"
		pages=$((pages + n))
		k=$((k + 1))
	done
	budget_note "$pages" "$cycles" "R18 $2 pages on $1" >&2
	echo "$pages"
}
# r18_all DIR S1 S2 S3: the three runs, with time slices 1/S1, 1/S2, 1/S3
# of what is left (seven runs share the test's budget: three here, one on
# xfs, three on pmem); prints the pages of each.
r18_all() {
	local a b c
	a=$(r18 "$1" two 2 0 "$2")
	b=$(r18 "$1" mixed 4 1 "$3")
	c=$(r18 "$1" eight 8 0 "$4")
	echo "$a $b $c"
}
pages=$(r18_all /mnt/d 7 6 5)
statx_dax /mnt/d/r18-two-0 || fail "R18 file has no STATX_ATTR_DAX"
sums=$(cd /mnt/d && sha256sum r18-*)
if rmmod loop 2>/dev/null; then fail "rmmod succeeded with ext4 mounted on rdax0"; fi
umount /mnt/d
mount -o dax=always /dev/rdax0 /mnt/d
assert_eq "R18 files after remount" "$(cd /mnt/d && sha256sum r18-*)" "$sums"
echo "  R18 on ext4 DAX: $pages pages x (2; 4 with a racing pwrite; 8 faulting writers): every byte intact, also after remount; rmmod refused while mounted"

# Block I/O and DAX see the same bytes: a file written through DAX read
# from the block device, and blocks written through the block device read
# through a DAX mapping (the file's first extent: N 4 KiB blocks at BLK).
head -c 1M /dev/urandom >a.bin
head -c 1M /dev/urandom >b.bin
xfs_io -f -c "pwrite -b 1m -i $SCRATCH/a.bin 0 1M" -c fsync /mnt/d/same >/dev/null
read -r blk n < <(filefrag -v /mnt/d/same | awk '$1 == "0:" { sub(/\.\..*/, "", $4); sub(/:/, "", $6); print $4, $6 }')
[[ -n $blk && $n -gt 0 ]] || fail "no physical block for /mnt/d/same"
((n <= 256)) || n=256
umount /mnt/d
cmp -n $((n * 4096)) a.bin <(dd if=/dev/rdax0 bs=4096 skip="$blk" count="$n" iflag=direct status=none) ||
	fail "the block device does not see what DAX wrote"
dd if=b.bin of=/dev/rdax0 bs=4096 seek="$blk" count="$n" oflag=direct status=none
mount -o dax=always /dev/rdax0 /mnt/d
python3 - /mnt/d/same b.bin $((n * 4096)) <<'PY' || fail "a DAX mapping does not see what the block device wrote"
import mmap, sys
n = int(sys.argv[3])
with open(sys.argv[1], "r+b") as f, open(sys.argv[2], "rb") as g:
    m = mmap.mmap(f.fileno(), 1 << 20, mmap.MAP_SHARED)
    sys.exit(0 if m[:n] == g.read(n) else 1)
PY
umount /mnt/d
echo "  block I/O and DAX see the same bytes, both ways ($n blocks at block $blk)"

# --- reload: the pool is claimed again; last load's bytes are not visible.
head -c 4M /dev/urandom | dd of=/dev/rdax1 bs=1M oflag=direct status=none
unload_loop
dmesg -C
load_rloop rdax_nr=2 rdax_size=196608
udevadm settle --timeout=30
assert_eq "rdax1 queue/dax after reload" "$(queue_dax rdax1)" 1
cmp -n 8M /dev/rdax1 /dev/zero || fail "after rmmod/modprobe rdax1 shows the last load's data"
# rdax1's memory still holds the last load's bytes.  8 processes at once
# write-fault their own page of each 2 MiB piece of a sparse file on ext4
# DAX, racing to make the same units ready; the file must then be zeroes
# except for their bytes.
mkfs.ext4 -qF -b 4096 /dev/rdax1
mount -o dax=always /dev/rdax1 /mnt/d
python3 - /mnt/d/race 16 <<'PY' || fail "units raced by 8 faulting processes hold wrong bytes"
import mmap, os, sys
UNIT, NPROC = 2 << 20, 8
path, units = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, units * UNIT)
def val(u, p):
    return (u * 7 + p) % 255 + 1
def where(p):
    return p * (UNIT // NPROC) + 123
for u in range(units):
    pids = []
    for p in range(NPROC):
        pid = os.fork()
        if pid == 0:
            m = mmap.mmap(fd, UNIT, mmap.MAP_SHARED, offset=u * UNIT)
            m[where(p)] = val(u, p)
            m.flush()
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        if st != 0:
            sys.exit("a faulting process failed")
bad = 0
for u in range(units):
    want = bytearray(UNIT)
    for p in range(NPROC):
        want[where(p)] = val(u, p)
    got = os.pread(fd, UNIT, u * UNIT)
    if got != bytes(want):
        bad += 1
print(f"  {units} units x {NPROC} racing faulting processes over old pool bytes: {bad} wrong")
sys.exit(1 if bad else 0)
PY
umount /mnt/d
unload_loop
! grep -q 'rloop rdax pool' /proc/iomem || fail "the pool is still claimed after rmmod"
echo "  reload: pool claimed again; a fresh disk reads as zeroes (the last load's bytes are never shown), also through DAX faults racing on fresh units; released at rmmod"

# --- xfs (reflink on), one 320 MiB disk: PMD faults, reflink + unshare.
load_rloop rdax_nr=1 rdax_size=327680
udevadm settle --timeout=30
assert_eq "rdax0 queue/dax" "$(queue_dax rdax0)" 1
# Data aligned to 2 MiB (su=2m), so that 2 MiB extents are PMD-mappable
# (2 AGs and a 32 KiB log stripe unit, so that it fits in 320 MiB);
# otherwise mkfs.xfs's defaults, reflink among them.
mkfs.xfs -qf -d su=2m,sw=1,agcount=2 -l su=32k /dev/rdax0
xfs_info /dev/rdax0 | grep -q 'reflink=1' || fail "mkfs.xfs did not enable reflink"
dmesg -C
mount -o dax=always /dev/rdax0 /mnt/d || fail "xfs: mount -o dax=always failed"
! dmesg | grep -q 'DAX unsupported' || fail "xfs says DAX unsupported"
mkdir /mnt/d/pmd
xfs_io -c 'extsize 2m' /mnt/d/pmd
counts=$(pmd_faults /mnt/d/pmd/f) || exit 1
read -r pmd fallback <<<"$counts"
statx_dax /mnt/d/pmd/f || fail "xfs file has no STATX_ATTR_DAX"
((pmd > 0)) || fail "xfs: no PMD fault was served (fallbacks: $fallback)"
echo "  xfs dax=always: $pmd PMD faults served ($fallback fell back to PTEs) on a 2 MiB extent-size file"

# Reflink: a shared copy, written through a DAX mapping (CoW), then the
# original unshared; both keep their bytes.
head -c 4M /dev/urandom >orig.bin
cp orig.bin /mnt/d/orig
cp --reflink=always /mnt/d/orig /mnt/d/clone || fail "cp --reflink on xfs on rdax0 failed"
python3 - /mnt/d/clone <<'PY' || fail "write through a DAX mapping of a reflinked file failed"
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4 << 20, mmap.MAP_SHARED)
for off in range(0, 4 << 20, 65536):
    m[off + 100:off + 104] = b"CoW!"
m.flush()
PY
cmp orig.bin /mnt/d/orig || fail "the reflink source changed when its clone was written"
xfs_io -c 'funshare 0 4m' /mnt/d/orig || fail "xfs funshare failed"
cmp orig.bin /mnt/d/orig || fail "unshare changed the data"
python3 - /mnt/d/clone orig.bin <<'PY' || fail "the clone does not hold original bytes plus its CoW writes"
import sys
a = bytearray(open(sys.argv[2], "rb").read())
for off in range(0, 4 << 20, 65536):
    a[off + 100:off + 104] = b"CoW!"
sys.exit(0 if open(sys.argv[1], "rb").read() == bytes(a) else 1)
PY
x_pages=$(r18 /mnt/d two 2 0 4)
umount /mnt/d
mount -o dax=always /dev/rdax0 /mnt/d
cmp orig.bin /mnt/d/orig || fail "reflink source changed after remount"
umount /mnt/d
unload_loop
echo "  xfs reflink: cp --reflink, CoW through a DAX mapping, funshare: data verified, also after remount; R18 $x_pages pages"

# --- the control: the same R18 workload on ext4 on pmem.
mkfs.ext4 -qF -b 4096 "/dev/$ctl_disk"
mount -o dax=always "/dev/$ctl_disk" /mnt/p || fail "cannot mount $ctl_disk with dax=always"
pages=$(r18_all /mnt/p 3 2 1)
umount /mnt/p
echo "  control: R18 on ext4 DAX on $ctl_disk: $pages pages, every byte intact"

# rloop is unloaded (since the xfs part): the pool's mapping, the dax
# devices, the disks and their slices are all freed by now.  On a kernel
# with kmemleak (KERNEL=kasan) its scan must find nothing.
kmemleak_check
