#!/usr/bin/env python3
"""Change a bound loop device's geometry in a loop until a stop file appears.

Usage: ioctl_churn.py DEVICE BACKING_FILE STOP_FILE MODE
  MODE all:      each round LOOP_SET_STATUS64 with a new offset (0..3 MiB),
                 LOOP_SET_BLOCK_SIZE 4096 and back to 512, and
                 `truncate -s +16M` of the backing file + LOOP_SET_CAPACITY
                 (back to the initial size + LOOP_SET_CAPACITY past 1 GiB)
  MODE capacity: only the growth: truncate +16M + LOOP_SET_CAPACITY

Used by tools/vm/tests/45-ioctl-load.sh (R20) while fio runs on the device.
Prints one line per operation, "<op>: <n> ok[, <errno> <n>...]", and exits
1 if any ioctl failed: on a bound device that nobody holds exclusively,
loop.c accepts all of them.
"""
import collections
import errno
import fcntl
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loopctl  # noqa: E402

INFO64 = "=5Q4I64s64s32s2Q"
MIB = 1 << 20


def main():
    dev, backing, stop, mode = sys.argv[1:5]
    fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    initial = os.stat(backing).st_size
    results = collections.defaultdict(collections.Counter)
    rounds = 0

    def op(name, fn):
        try:
            fn()
            results[name]["ok"] += 1
        except OSError as e:
            results[name][errno.errorcode.get(e.errno, str(e.errno))] += 1

    def set_offset(offset):
        buf = bytearray(struct.calcsize(INFO64))
        fcntl.ioctl(fd, loopctl.LOOP_GET_STATUS64, buf)
        f = list(struct.unpack(INFO64, bytes(buf)))
        f[3] = offset  # lo_offset
        fcntl.ioctl(fd, loopctl.LOOP_SET_STATUS64, struct.pack(INFO64, *f))

    def grow():
        size = os.stat(backing).st_size
        os.truncate(backing, initial if size >= 1024 * MIB else size + 16 * MIB)
        fcntl.ioctl(fd, loopctl.LOOP_SET_CAPACITY, 0)

    while not os.path.exists(stop):
        if mode == "all":
            op("SET_STATUS64 offset", lambda: set_offset((rounds % 4) * MIB))
            op("SET_BLOCK_SIZE 4096", lambda: fcntl.ioctl(fd, loopctl.LOOP_SET_BLOCK_SIZE, 4096))
            op("SET_BLOCK_SIZE 512", lambda: fcntl.ioctl(fd, loopctl.LOOP_SET_BLOCK_SIZE, 512))
        op("truncate +16M, SET_CAPACITY", grow)
        rounds += 1
        # Each capacity change is a uevent that udev answers by probing the
        # device: pace the rounds so that its queue does not grow without end.
        time.sleep(0.05)
    if mode == "all":
        op("SET_STATUS64 offset", lambda: set_offset(0))
    os.close(fd)
    bad = False
    for name, c in results.items():
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: kv[0] != "ok")))
        bad = bad or set(c) != {"ok"}
    print(f"  {rounds} rounds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
