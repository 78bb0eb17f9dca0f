# The module aliases reach rloop: opening a block 7:N node, or the loop
# control node, with no loop module loaded makes the kernel load ours
# (block-major-7-*, char-major-10-237); `devname:loop-control` lets
# `kmod static-nodes` create /dev/loop-control before any load.
scratch
unload_loop
on_exit 'rmmod loop'
kmod static-nodes --format=tmpfiles | grep -q '^c! /dev/loop-control 0600 - - - 10:237$' ||
	fail "no static node for /dev/loop-control: $(kmod static-nodes --format=tmpfiles | grep loop)"

mknod blk3 b 7 3
exec 9<blk3 || fail "open of block 7:3 failed"
exec 9<&-
is_rloop || fail "opening block 7:3 did not load rloop"
[[ -d /sys/block/loop3 ]] || fail "loop3 missing"
udevadm settle --timeout=30
unload_loop

mknod ctl c 10 237
python3 -c 'import fcntl, os; fd = os.open("ctl", os.O_RDWR); print(fcntl.ioctl(fd, 0x4C82, 0))' >free.txt ||
	fail "LOOP_CTL_GET_FREE on a fresh control node failed"
is_rloop || fail "opening the control node did not load rloop"
assert_eq "GET_FREE" "$(cat free.txt)" 0
echo "  block-major-7-*, char-major-10-237 and devname:loop-control reach rloop"
