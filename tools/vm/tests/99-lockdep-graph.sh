# The lock graph after real use (REQUIREMENTS.md section 4): with rloop
# loaded and exercised (bind, partition scan, mount -o loop, autoclear,
# detach while open), `&disk->open_mutex` has no forward dependency on our
# per-device mutex, our workqueue-init mutex or our workqueues
# (wq_completion)loopN; only the leaf spinlock rloop:lo_lock may follow it.
# (open_mutex -> &q->q_usage_counter(io) comes from
# the block layer itself: bdev_release() syncs the device under open_mutex.)
# Lockdep forgets a module's classes when it is unloaded, so the check runs
# before rmmod.
scratch
grep -Eq '^ *debug_locks: +1$' /proc/lockdep_stats || fail "lockdep is off: the graph is incomplete"
truncate -s 64M a.img
mkfs.ext4 -qF a.img
truncate -s 32M p.img
printf 'label: gpt\n,8M\n,\n' | sfdisk -q p.img
mkdir -p /mnt/g
load_rloop
on_exit 'rmmod loop'
on_exit 'losetup -D'
on_exit 'umount /mnt/g'
d=$(losetup -P -f --show p.img)
udev_settle partitions
[[ -b ${d}p1 && -b ${d}p2 ]] || fail "partitions of $d missing"
exec 3<"$d"
losetup -d "$d"
exec 3<&-
[[ ! -e ${d}p1 ]] || fail "${d}p1 left after detach"
for i in 1 2 3; do
	mount -o loop a.img /mnt/g
	echo $i >/mnt/g/f
	umount /mnt/g
done
python3 "$RLOOP_REPO/tools/vm/lib/loopctl.py" control >/dev/null
udev_settle control

deps=$(lockdep_deps '&disk->open_mutex')
grep -q 'rloop:lo_mutex' /proc/lockdep || fail "rloop:lo_mutex unknown to lockdep: nothing exercised?"
echo "  open_mutex forward dependencies: $(echo "$deps" | tr '\n' ' ')"
bad=$(echo "$deps" | grep -E 'rloop:lo_mutex|rloop:wq_init|\(wq_completion\)loop[0-9]' || true)
[[ -z $bad ]] || fail "forbidden open_mutex -> ... edges: $bad"
