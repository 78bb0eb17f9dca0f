#!/bin/bash
# tools/vm/demo.sh: the `make run` demo, run inside the VM: load rloop, use
# it with the real losetup and mount -o loop, and unload it.
set -euo pipefail
say() { printf '\n$ %s\n' "$*"; "$@"; }
echo "rloop demo on $(uname -r) (lockdep: debug_locks=$(awk '/debug_locks:/ {print $2}' /proc/lockdep_stats))"
cd /tmp
truncate -s 64M demo.img
mkfs.ext4 -qF demo.img
mkdir -p /mnt/demo
say modprobe loop
say modinfo -F description loop
say grep -w loop /proc/devices
say losetup -f --show demo.img
say losetup -l
say cat /sys/block/loop0/loop/backing_file
say losetup -d /dev/loop0
say mount -o loop demo.img /mnt/demo
say sh -c 'echo hello from rloop > /mnt/demo/hello; cat /mnt/demo/hello'
say losetup -a
say umount /mnt/demo
echo "(autoclear done before umount returned:)"
say losetup -a
say rmmod loop
dmesg | grep -E ' loop[0-9]*: ' | tail -n 5
