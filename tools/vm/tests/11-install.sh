# The module trees that `make install` and `dkms install` produced on the
# host (tools/install-test, run by tools/check before the VM) work: with the
# C loop.ko in kernel/drivers/block/ and rloop in updates/, `modprobe loop`
# loads rloop, and a loop device does I/O.
#
# Each tree is bind-mounted on /lib/modules in a private mount namespace
# (unshare -m) around modinfo/modprobe only: systemd-udevd keeps the module
# index of /lib/modules mapped, so a bind mount in the main namespace could
# not be unmounted again.

# in_tree TREE CMD...: run CMD with TREE as /lib/modules.
in_tree() {
	unshare -m --propagation private bash -c 'mount --bind "$1" /lib/modules && shift && exec "$@"' _ "$@"
}

scratch
unload_loop
on_exit 'rmmod loop'
for kind in make-install dkms; do
	tree=$RLOOP_REPO/target/install-test/guest/$kind/lib/modules
	[[ -d $tree/$RLOOP_KVER ]] || fail "no $tree/$RLOOP_KVER: tools/install-test (make check runs it) did not install for $kind"
	cmod=$tree/$RLOOP_KVER/kernel/drivers/block/loop.ko
	assert_eq "$kind: the C module in kernel/" "$(modinfo -F description "$cmod")" "Loopback device support"
	assert_eq "$kind: modinfo -F description loop" "$(in_tree "$tree" modinfo -F description loop)" "Loop block device (rloop, Rust)"
	path=$(in_tree "$tree" modinfo -n loop)
	[[ $path == "/lib/modules/$RLOOP_KVER/updates/"*loop.ko ]] || fail "$kind: modinfo -n loop is $path, not in updates/"
	in_tree "$tree" modprobe loop || fail "$kind: modprobe loop failed"
	is_rloop || fail "$kind: modprobe loop did not load rloop"
	truncate -s 8M img
	dev=$(losetup -f --show img)
	printf 'rloop-%s' "$kind" | dd of="$dev" bs=512 conv=sync status=none
	losetup -d "$dev"
	assert_eq "$kind: data through $dev" "$(head -c "$((6 + ${#kind}))" img)" "rloop-$kind"
	unload_loop
	echo "  $kind: modprobe loop loaded $path"
done
