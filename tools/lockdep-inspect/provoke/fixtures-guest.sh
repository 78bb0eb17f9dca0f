# Guest script that provokes real reports for lockdep-inspect's fixtures
# (tests/fixtures/guest-*.log come from its console.log).  Run by hand:
#   tools/build-module tools/lockdep-inspect/provoke
#   tools/vm/run --out /tmp/fixtures tools/lockdep-inspect/provoke/fixtures-guest.sh
# 1. ODEBUG: odebug_provoke.ko frees a pending timer.
# 2. hung task: a write to a frozen ext4 blocks in sb_start_write for longer
#    than hung_task_timeout_secs (30, CONFIG_DEFAULT_HUNG_TASK_TIMEOUT).
set -eu
. "$RLOOP_REPO/tools/vm/testlib.sh"
insmod "$RLOOP_REPO/tools/lockdep-inspect/provoke/odebug_provoke.ko"
rmmod odebug_provoke
scratch
brd_fs 65536 ext4 mnt
fsfreeze -f mnt
on_exit "fsfreeze -u '$SCRATCH/mnt'"
sh -c "echo frozen > '$SCRATCH/mnt/f'" &
writer=$!
for _ in $(seq 120); do
	dmesg | grep -q 'blocked for more than' && break
	sleep 1
done
fsfreeze -u mnt
wait "$writer"
dmesg | grep -q 'blocked for more than' || fail "no hung task report"
dmesg | grep -q 'ODEBUG: free active' || fail "no ODEBUG report"
echo "fixtures: ODEBUG and hung task provoked"
