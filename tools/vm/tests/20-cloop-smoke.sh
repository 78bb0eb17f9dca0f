# Harness check with the C loop.ko, loaded by explicit path as A/B runs do:
# the guest's losetup, mkfs and `mount -o loop` work end to end, and the C
# driver unloads again so that nothing else can pick it up.
scratch
insmod "$RLOOP_CLOOP"
on_exit 'rmmod loop'
on_exit 'losetup -D'
on_exit 'umount /mnt/t'
! is_rloop || fail "the C loop.ko looks like rloop"
truncate -s 64M a.img
mkfs.ext4 -qF a.img
mkdir -p /mnt/t
mount -o loop a.img /mnt/t
dev=$(losetup -j "$SCRATCH/a.img" -O NAME -n)
[[ $dev == /dev/loop* ]] || fail "losetup -j shows no device for a.img"
echo hello >/mnt/t/f
umount /mnt/t
[[ -z $(losetup -j "$SCRATCH/a.img") ]] || fail "autoclear did not detach $dev"
mount -o loop,ro a.img /mnt/t
assert_eq "file content" "$(cat /mnt/t/f)" hello
umount /mnt/t
unload_loop
echo "  C loop.ko: mount -o loop, write, autoclear, remount, unload"
