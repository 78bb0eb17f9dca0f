# Autoclear is done before close()/umount() returns (R2, R3, R5), with no
# sleep anywhere: task_work runs the clear in the closing task.
# RLOOP_AUTOCLEAR_CYCLES (default 10; `make stress` runs 500) sets the
# mount/umount rounds.
scratch
cycles=${RLOOP_AUTOCLEAR_CYCLES:-10}
truncate -s 64M a.img
mkfs.ext4 -qF a.img
mkdir -p /mnt/a /mnt/x /mnt/e
load_rloop
on_exit 'rmmod loop'
on_exit 'losetup -D'
on_exit 'umount /mnt/a; umount /mnt/e; umount /mnt/x'

# R2: mount -o loop / umount, then nothing is left, immediately.
budget_slice 2
done1=0
for i in $(seq "$cycles"); do
	((i <= 5)) || in_budget || break
	done1=$i
	mount -o loop a.img /mnt/a
	umount /mnt/a
	[[ -z $(losetup -j "$SCRATCH/a.img") ]] || fail "LEAK after umount $i: $(losetup -j "$SCRATCH/a.img")"
	[[ ! -e /sys/block/loop0/loop/backing_file ]] || fail "loop0 still bound after umount $i"
done

# R2 variant: LOOP_CONFIGURE with LO_FLAGS_AUTOCLEAR, then close(fd).
python3 - "$SCRATCH/a.img" <<'PY'
import fcntl, os, struct, subprocess, sys
ctl = os.open("/dev/loop-control", os.O_RDWR)
n = fcntl.ioctl(ctl, 0x4C82, 0)
os.close(ctl)
dev = f"/dev/loop{n}"
back = os.open(sys.argv[1], os.O_RDWR)
fd = os.open(dev, os.O_RDWR)
info = struct.pack("=5Q4I64s64s32s2Q", 0, 0, 0, 0, 0, 0, 0, 0, 4, b"", b"", b"", 0, 0)
config = struct.pack("=II", back, 0) + info + bytes(64)
fcntl.ioctl(fd, 0x4C0A, config)
os.close(back)
assert os.path.exists(f"/sys/block/loop{n}/loop/autoclear"), "not bound"
os.close(fd)
out = subprocess.run(["losetup", "-j", sys.argv[1]], capture_output=True, text=True).stdout
assert out == "", f"still bound right after close: {out!r}"
PY

# R5: LOOP_CLR_FD as the only opener: rundown, ENXIO for new opens and a
# second LOOP_CLR_FD, unbound after the close.
d=$(losetup -f --show a.img)
python3 - "$d" <<'PY'
import errno, fcntl, os, sys
d = sys.argv[1]
fd = os.open(d, os.O_RDONLY)
fcntl.ioctl(fd, 0x4C01, 0)
try:
    os.close(os.open(d, os.O_RDONLY))
    sys.exit("open during rundown succeeded")
except OSError as e:
    assert e.errno == errno.ENXIO, e
try:
    fcntl.ioctl(fd, 0x4C01, 0)
    sys.exit("second LOOP_CLR_FD succeeded")
except OSError as e:
    assert e.errno == errno.ENXIO, e
os.close(fd)
assert not os.path.exists(f"/sys/block/{os.path.basename(d)}/loop"), "bound after close"
PY

# R3: a loop device on a file of a filesystem on another loop device: the
# inner umount must release the outer filesystem before it returns.
truncate -s 300M x.img
mkfs.xfs -qf x.img
mount -o loop x.img /mnt/x
truncate -s 64M /mnt/x/e.img
mkfs.ext4 -qF /mnt/x/e.img
budget_slice 1
done2=0
for i in $(seq $((cycles / 2 + 1))); do
	((i <= 3)) || in_budget || break
	done2=$i
	mount -o loop /mnt/x/e.img /mnt/e
	umount /mnt/e
	umount /mnt/x || fail "umount of the outer fs busy after round $i (R3)"
	mount -o loop x.img /mnt/x
done
umount /mnt/x
[[ -z $(losetup -a) ]] || fail "devices left: $(losetup -a)"
budget_note "$done1" "$cycles" "mount/umount cycles"
budget_note "$done2" $((cycles / 2 + 1)) "stacked umounts"
echo "  $done1 mount/umount cycles, CONFIGURE+close, CLR_FD rundown, $done2 stacked umounts: nothing leaked"

# R9 (a): the last closer is killed: the clear runs in its exit path, done
# by the time its parent has reaped it.
d=$(losetup -f --show a.img)
(python3 -c 'import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.ioctl(fd, 0x4C01, 0); os.kill(os.getpid(), 9)' "$d" || true) 2>/dev/null
[[ -z $(losetup -j "$SCRATCH/a.img") ]] || fail "killed last closer: device still bound after reaping"

# R9 (b): the workqueue path (kernel-thread closers), forced by the debug
# parameter: asynchronous, so poll; rmmod meanwhile fails cleanly or waits.
echo 1 >/sys/module/loop/parameters/force_async_clear
on_exit 'echo 0 >/sys/module/loop/parameters/force_async_clear'
for i in 1 2 3; do
	mount -o loop a.img /mnt/a
	umount /mnt/a
	# EBUSY while the clear is pending; success if it already finished.
	if rmmod loop 2>/dev/null; then
		load_rloop
		echo 1 >/sys/module/loop/parameters/force_async_clear
		continue
	fi
	for t in $(seq 600); do
		[[ -z $(losetup -j "$SCRATCH/a.img") ]] && break
		sleep 0.1
	done
	[[ -z $(losetup -j "$SCRATCH/a.img") ]] || fail "workqueue clear did not finish"
done
echo 0 >/sys/module/loop/parameters/force_async_clear
echo "  exiting last closer cleared synchronously; forced workqueue clears finished"
