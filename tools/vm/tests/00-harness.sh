# The guest is what the rest of the suite assumes: our test kernel with
# lockdep on, the real userspace tools, udev, and no C loop driver loaded.
assert_eq "kernel release suffix" "${RLOOP_KVER##*-}" rloop
assert_eq "uname -r" "$(uname -r)" "$RLOOP_KVER"
for opt in RUST PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS_WORK DEBUG_OBJECTS_FREE \
	DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR FS_DAX ZONE_DEVICE EXT4_FS XFS_FS ISO9660_FS \
	MSDOS_PARTITION EFI_PARTITION IKCONFIG_PROC BLK_DEV_WRITE_MOUNTED; do
	zgrep -q "^CONFIG_$opt=y" /proc/config.gz || fail "CONFIG_$opt is not y"
done
for opt in BLK_DEV_LOOP BLK_DEV_RAM BLK_DEV_NULL_BLK BLK_DEV_RUST_NULL; do
	zgrep -q "^CONFIG_$opt=m" /proc/config.gz || fail "CONFIG_$opt is not m"
done
grep -Eq '^ *debug_locks: +1$' /proc/lockdep_stats || fail "debug_locks is not 1 at start"
# The hung-task detector is armed by the config (tools/kernel/rloop.config:
# CONFIG_DEFAULT_HUNG_TASK_TIMEOUT=30), not the command line: a task stuck
# in D state for 30 s is reported, and lockdep-inspect fails the run.
hung=$(cat /proc/sys/kernel/hung_task_timeout_secs)
assert_eq "kernel.hung_task_timeout_secs" "$hung" 30
for tool in losetup mount umount blkid blockdev mkfs.ext4 mkfs.xfs fio bash udevadm; do
	command -v "$tool" >/dev/null || fail "$tool missing in the guest"
done
losetup --version | grep -q util-linux || fail "losetup is not util-linux's"
pgrep -x systemd-udevd >/dev/null || fail "systemd-udevd is not running"
[[ ! -d /sys/module/loop ]] || fail "a loop module is loaded before any test asked for one"
# modprobe must find ours, never the C driver.
path=$(modinfo -n loop)
assert_eq "modinfo -n loop" "$path" "/lib/modules/$RLOOP_KVER/extra/loop.ko"
[[ -f $RLOOP_CLOOP ]] || fail "C loop.ko for A/B runs missing at $RLOOP_CLOOP"
for m in brd null_blk rnull_mod; do
	modinfo -n "$m" >/dev/null || fail "module $m not available"
done
echo "  $(uname -r), $(nproc) cpus, debug_locks=1, hung_task_timeout_secs=$hung, udev running, modprobe loop -> $path"
