#!/bin/bash
# tools/vm/demo.sh: the `make run` demo, run inside the VM.  Grows with the
# driver: today it loads rloop, shows what the kernel sees, and unloads it.
set -euo pipefail
say() { printf '\n$ %s\n' "$*"; "$@"; }
echo "rloop demo on $(uname -r) (lockdep: debug_locks=$(awk '/debug_locks:/ {print $2}' /proc/lockdep_stats))"
say modprobe loop
say modinfo -F description loop
say grep -w loop /proc/devices
say ls /sys/module/loop
say rmmod loop
dmesg | grep -E 'loop:' | tail -n 5
