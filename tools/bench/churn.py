#!/usr/bin/env python3
"""Device churn for `make bench` (runs in the guest, see tools/bench/guest-bench).

Times four phases over N devices, through the same calls a user makes:
  add     LOOP_CTL_ADD i on /dev/loop-control for each of N free indices
  bind    open /dev/loopI, LOOP_CONFIGURE with a small backing file, close
  unbind  open /dev/loopI, LOOP_CLR_FD, close (the clear completes at close)
  remove  LOOP_CTL_REMOVE i (retried on EBUSY; the retries count in the time)
Prints one JSON line per phase: {"kind": "churn", "phase": ..., "seconds": ...}.
"""
import argparse
import errno
import fcntl
import json
import os
import struct
import time

LOOP_CTL_ADD = 0x4C80
LOOP_CTL_REMOVE = 0x4C81
LOOP_CLR_FD = 0x4C01
LOOP_CONFIGURE = 0x4C0A
LOOP_CONFIG_SIZE = 4 + 4 + 232 + 64  # struct loop_config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--backing", required=True)
    ap.add_argument("--base", type=int, default=100)
    a = ap.parse_args()
    idx = range(a.base, a.base + a.n)
    ctl = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    back = os.open(a.backing, os.O_RDWR | os.O_CLOEXEC)
    cfg = bytearray(LOOP_CONFIG_SIZE)
    struct.pack_into("=I", cfg, 0, back)
    retries = 0

    def wait_node(path):
        # devtmpfs creates the node before add_disk returns; be safe anyway.
        for _ in range(1000):
            if os.path.exists(path):
                return
            time.sleep(0.001)

    def add():
        for i in idx:
            fcntl.ioctl(ctl, LOOP_CTL_ADD, i)

    def bind():
        for i in idx:
            path = f"/dev/loop{i}"
            wait_node(path)
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.ioctl(fd, LOOP_CONFIGURE, bytes(cfg))
            finally:
                os.close(fd)

    def unbind():
        for i in idx:
            fd = os.open(f"/dev/loop{i}", os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.ioctl(fd, LOOP_CLR_FD, 0)
            finally:
                os.close(fd)

    def remove():
        nonlocal retries
        for i in idx:
            for _ in range(2000):
                try:
                    fcntl.ioctl(ctl, LOOP_CTL_REMOVE, i)
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        raise
                    retries += 1
                    time.sleep(0.001)
            else:
                raise OSError(errno.EBUSY, f"loop{i} stayed busy")

    for phase, fn in (("add", add), ("bind", bind), ("unbind", unbind), ("remove", remove)):
        t0 = time.monotonic()
        c0 = os.times()
        fn()
        c1 = os.times()
        dt = time.monotonic() - t0
        rec = {
            "kind": "churn",
            "group": "churn",
            "driver": a.driver,
            "round": a.round,
            "phase": phase,
            "n": a.n,
            "seconds": round(dt, 6),
            # CLOCK_MONOTONIC at the start: `perf record -k mono` samples
            # are on the same clock (tools/bench/guest-profile-churn).
            "t0": round(t0, 6),
            "cpu_sys": round(c1.system - c0.system, 3),
            "retries": retries if phase == "remove" else 0,
        }
        print(json.dumps(rec), flush=True)
    os.close(back)
    os.close(ctl)


if __name__ == "__main__":
    main()
