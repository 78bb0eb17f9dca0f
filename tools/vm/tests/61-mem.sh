# Memory-backed disks rdaxN (rdax_nr, rdax_size): zeroes before the first
# write, data read back buffered and direct (fio verify, also with sizes
# from 512 bytes to 256 KiB in buffers that start mid-page), discard, a file
# system, rmmod refused while it is mounted; and R17, seed 004 at block
# level: on a fresh disk, 8 writers at once write 512 bytes each to their
# own sector of every 4 KiB page (O_DIRECT), so they race to allocate the
# same pages; every sector must then hold its writer's pattern, none may
# read back as zeroes.  RLOOP_MEM_CYCLES fresh disks (default 1; `make
# stress` 100); under `make stress` also the same test once on brd as the
# control (printed only, it asserts nothing).  These are RAM disks
# (rdax_pool=off): disks on the DAX pool are the dax test's.
scratch
cycles=${RLOOP_MEM_CYCLES:-1}
mkdir -p /mnt/m
on_exit 'umount /mnt/m; rmmod brd'
load_rloop rdax_nr=2 rdax_size=65536 rdax_pool=off
on_exit 'rmmod loop'
udevadm settle --timeout=30
[[ -b /dev/rdax0 && -b /dev/rdax1 ]] || fail "no /dev/rdax0 and /dev/rdax1"
assert_eq "rdax0 size (sectors)" "$(cat /sys/block/rdax0/size)" 131072
cmp -n 64M /dev/rdax0 /dev/zero || fail "a fresh disk does not read as zeroes"

# R17: 8 writers racing for the same fresh pages.
r17() { # DEV
	local j
	for j in 0 1 2 3 4 5 6 7; do
		fio --name=w$j --filename="$1" --direct=1 --bs=512 --rw=write:3584 \
			--offset=$((j * 512)) --size=64M --io_size=8M --ioengine=psync \
			--verify=pattern --verify_pattern=0x$((j + 1))$((j + 1)) --do_verify=0 \
			--output-format=terse >/dev/null &
	done
	wait
	python3 - "$1" <<'PY'
import sys
page = b"".join(bytes([0x11 * (j + 1)]) * 512 for j in range(8))
bad = zero = 0
with open(sys.argv[1], "rb", buffering=0) as f:
    for i in range(64 * 1024 * 1024 // 4096):
        got = f.read(4096)
        if got != page:
            bad += 1
            zero += sum(1 for s in range(8) if got[s * 512:(s + 1) * 512] == bytes(512))
print(f"{bad} {zero}")
PY
}
budget_slice 2
done_cycles=0
for i in $(seq "$cycles"); do
	((i <= 1)) || in_budget || break
	done_cycles=$i
	if ((i > 1)); then
		unload_loop
		load_rloop rdax_nr=2 rdax_size=65536 rdax_pool=off
		udevadm settle --timeout=30
	fi
	read -r bad zero < <(r17 /dev/rdax0)
	[[ $bad == 0 ]] || fail "R17 round $i: $bad pages with a wrong sector ($zero sectors read back as zeroes)"
done
budget_note "$done_cycles" "$cycles" "fresh disks"
echo "  R17: $done_cycles fresh disks, 8 racing writers: every sector holds its writer's pattern"
if [[ -n ${RLOOP_TEST_DEADLINE:-} ]]; then # the control asserts nothing: stress only
	modprobe brd rd_nr=1 rd_size=65536 || fail "cannot load brd"
	read -r bad zero < <(r17 /dev/ram0)
	echo "  R17 control on brd: $bad bad pages ($zero zero sectors)"
	rmmod brd
else
	echo "  R17 control on brd: skipped (make stress runs it)"
fi

# fio verify, buffered and direct.
for direct in 0 1; do
	fio --name=verify --filename=/dev/rdax1 --direct=$direct --ioengine=psync --rw=randwrite \
		--bs=4k --size=32M --verify=crc32c --do_verify=1 --output-format=terse >/dev/null ||
		fail "fio verify on rdax1 (direct=$direct)"
done
fio_verify_odd /dev/rdax1 0 16M || fail "fio verify on rdax1 (direct, 512 B to 256 KiB, buffers at 512 B)"
echo "  fio verify (crc32c) on rdax1: buffered, direct, and direct with odd sizes and buffers clean"

# Discard reads back as zeroes.
blkdiscard -o 0 -l 8M /dev/rdax1
cmp -n 8M /dev/rdax1 /dev/zero || fail "discarded range does not read as zeroes"
blkdiscard -z -o 8M -l 8M /dev/rdax1
cmp -n 8M -i 8M:0 /dev/rdax1 /dev/zero || fail "zeroed-out range does not read as zeroes"

# A file system; rmmod is refused while it is mounted.
mkfs.ext4 -qF /dev/rdax1
mount /dev/rdax1 /mnt/m
head -c 8M /dev/urandom >/mnt/m/blob
sha=$(sha256sum </mnt/m/blob)
umount /mnt/m
mount /dev/rdax1 /mnt/m
assert_eq "data after remount" "$(sha256sum </mnt/m/blob)" "$sha"
if rmmod loop 2>/dev/null; then fail "rmmod succeeded with a file system mounted on rdax1"; fi
umount /mnt/m
unload_loop
echo "  ext4 on rdax1: data read back after remount; rmmod refused while mounted, fine after"
