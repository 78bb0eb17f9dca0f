#!/usr/bin/env python3
"""LOOP_CTL_REMOVE, open and chain races for tools/vm/tests/46-remove-races.sh.

Subcommands (run the same way against rloop and the C loop.ko):
  busy FILE             transcript of LOOP_CTL_REMOVE on a bound, an open
                        unbound and a rundown device (deterministic: parity)
  async-rundown N FILE  rloop with force_async_clear=1: N rounds of "last
                        close, LOOP_CTL_REMOVE at once" (see async_rundown)
  open-race SECS IDX    open/close of loopIDX racing LOOP_CTL_ADD/REMOVE
  chain-race SECS FILE  loop1 -> loop0 -> FILE: loop0 bound and cleared in
                        one process while another configures loop1 on it
  detach-remove READY IDX...  losetup -d + LOOP_CTL_REMOVE of each device,
                        racing the test's rmmod loop (see detach_remove)
  remove IDX            one LOOP_CTL_REMOVE, prints the errno name or 0

The race subcommands print, per operation, how often each result came, and
exit 1 if a result is outside the set loop.c can return for that operation
in that race (listed in ALLOWED next to each race).
"""
import collections
import errno
import fcntl
import os
import socket
import struct
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopctl import (LOOP_CLR_FD, LOOP_CTL_ADD, LOOP_CTL_REMOVE,  # noqa: E402
                     LOOP_GET_STATUS64, LOOP_SET_FD, ctl)


def name(e):
    return errno.errorcode.get(e, str(e))


def attempt(fn):
    """Run fn; return (result, None) or (None, errno name)."""
    try:
        return fn(), None
    except OSError as e:
        return None, name(e.errno)


def settle():
    subprocess.run(["udevadm", "settle", "--timeout=30"], check=False)


def remove_settled(idx):
    """LOOP_CTL_REMOVE until udev's probes let go (30 s at most; not `udevadm
    settle`, which also waits for every other device): the final result."""
    for _ in range(300):
        _, err = attempt(lambda: ctl(LOOP_CTL_REMOVE, idx))
        if err != "EBUSY":
            return err or "0"
        time.sleep(0.1)
    return "EBUSY"


def bound(idx):
    return os.path.exists(f"/sys/block/loop{idx}/loop")


def wait_unbound(idx, what):
    for _ in range(600):
        if not bound(idx):
            return
        time.sleep(0.05)
    sys.exit(f"loop{idx} still bound 30 s after {what}")


def set_fd(dev_fd, path, flags=os.O_RDWR):
    back = os.open(path, flags | os.O_CLOEXEC)
    try:
        fcntl.ioctl(dev_fd, LOOP_SET_FD, back)
    finally:
        os.close(back)


def busy(path):
    """EBUSY for a bound, an open unbound and a rundown device (R19)."""
    idx = 5
    dev = f"/dev/loop{idx}"

    def remove(what):
        _, err = attempt(lambda: ctl(LOOP_CTL_REMOVE, idx))
        print(f"REMOVE {what} -> {err or 0}")

    # Read-only opens throughout: closing a writable open makes udev probe
    # the device again (inotify watch), which would make it busy at random.
    fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
    set_fd(fd, path, os.O_RDONLY)
    os.close(fd)
    remove("bound, not open")
    settle()
    fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
    remove("bound, open")
    fcntl.ioctl(fd, LOOP_CLR_FD, 0)
    # The only opener cleared: rundown until the close; new opens get ENXIO.
    _, err = attempt(lambda: os.close(os.open(dev, os.O_RDONLY)))
    print(f"open in rundown -> {err or 0}")
    remove("rundown (LOOP_CLR_FD by the only opener, still open)")
    _, err = attempt(lambda: fcntl.ioctl(fd, LOOP_GET_STATUS64, bytearray(232)))
    print(f"GET_STATUS64 in rundown -> {err or 0}")
    os.close(fd)
    print(f"bound after the close -> {bound(idx)}")
    settle()
    fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
    remove("unbound, open")
    os.close(fd)
    settle()
    print(f"REMOVE unbound, closed (settled) -> {remove_settled(idx)}")
    remove("again")
    print(f"ADD back -> {ctl(LOOP_CTL_ADD, idx)}")


def uevent_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)  # NETLINK_KOBJECT_UEVENT
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    s.bind((0, 1))  # kernel uevents
    return s


def drain(s):
    s.setblocking(False)
    while True:
        try:
            s.recv(65536)
        except BlockingIOError:
            break
    s.setblocking(True)


def events_until_remove(s, devpath_end):
    """Actions of the kernel uevents for the disk, up to its "remove"."""
    s.settimeout(30)
    acts = []
    while True:
        try:
            msg = s.recv(65536)
        except socket.timeout:
            acts.append("(no remove event within 30 s)")
            return acts
        head = msg.split(b"\0", 1)[0].decode(errors="replace")
        act, _, devpath = head.partition("@")
        if devpath.endswith(devpath_end):
            acts.append(act)
            if act == "remove":
                return acts


def async_rundown(n, path):
    """rloop, force_async_clear=1: the clear of a closed device runs on a
    workqueue, so right after the last close the device is in rundown with
    no opener.  LOOP_CTL_REMOVE then must fail with EBUSY (state, not
    openers, is what refuses it) until the clear has finished; when it does
    fail, a new open gets ENXIO (still rundown), which shows the window was
    hit.  However the race goes, the kernel must announce the clear (the
    change uevent of __loop_clr_fd) before the disk's remove uevent: a
    REMOVE that slipped into the rundown would delete the disk first."""
    idx = 20
    dev = f"/dev/loop{idx}"
    s = uevent_socket()
    seen = collections.Counter()
    bad = []
    for i in range(n):
        _, err = attempt(lambda: ctl(LOOP_CTL_ADD, idx))
        if err not in (None, "EEXIST"):
            sys.exit(f"ADD {idx} -> {err}")
        fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
        set_fd(fd, path, os.O_RDONLY)
        fcntl.ioctl(fd, LOOP_CLR_FD, 0)
        drain(s)
        os.close(fd)
        _, r1 = attempt(lambda: ctl(LOOP_CTL_REMOVE, idx))
        r1 = r1 or "0"
        if r1 == "EBUSY":
            _, r2 = attempt(lambda: os.close(os.open(dev, os.O_RDONLY)))
            r1 = f"EBUSY, then open -> {r2 or 0}"
            wait_unbound(idx, "the last close")
            r = remove_settled(idx)
            if r != "0":
                bad.append(f"round {i}: REMOVE after the clear -> {r}")
        elif r1 != "0":
            bad.append(f"round {i}: REMOVE right after the last close -> {r1}")
        seen[r1] += 1
        acts = events_until_remove(s, f"/block/loop{idx}")
        if "change" not in acts[:-1]:
            bad.append(f"round {i} ({r1}): uevents {acts}: no change (clear) before remove")
    for k, v in sorted(seen.items()):
        print(f"  REMOVE right after the last close: {k}: {v}")
    for b in bad:
        print(f"  BAD {b}")
    return 1 if bad else 0


def pace():
    """Every add, remove, bind and clear is a uevent that udev answers by
    probing the device: pace the loops so that udev's queue stays short
    (later `udevadm settle` calls wait for all of it)."""
    time.sleep(0.02)


def run_for(secs, fn):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        fn()


def child(secs, fn, counts):
    """Fork a child running fn for secs; it writes its counts to a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            run_for(secs, fn)
            os.write(w, repr(dict(counts)).encode())
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    os.close(w)
    return pid, r


def collect(children):
    total = collections.Counter()
    for pid, r in children:
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit(f"a racing child died: status {status:#x}")
        total.update(eval(data.decode()))  # our own repr of a dict
    return total


def report(total, allowed):
    bad = False
    for (op, res), v in sorted(total.items()):
        ok = res in allowed[op]
        bad = bad or not ok
        print(f"  {op}: {res}: {v}{'' if ok else '   <- not a result loop.c gives here'}")
    return 1 if bad else 0


# open racing LOOP_CTL_ADD/REMOVE.  open: the node may be gone (ENOENT), the
# disk being deleted (ENXIO); an open of a missing 7:N node through a node
# of our own creates the device (loop_probe), then ADD gets EEXIST.  REMOVE
# is refused while the opener holds it (EBUSY) and finds nothing after
# another REMOVE (ENODEV).  On an open unbound device GET_STATUS64 gives
# ENXIO and read() 0 bytes.
OPEN_RACE_ALLOWED = {
    "open /dev": {"ok", "ENOENT", "ENXIO"},
    "open own node": {"ok", "ENXIO"},
    "GET_STATUS64": {"ENXIO"},
    "read": {"0 bytes"},
    "ADD": {"ok", "EEXIST"},
    "REMOVE": {"ok", "EBUSY", "ENODEV"},
}


def open_race(secs, idx):
    node = f"/tmp/loop-node-{idx}"
    if os.path.exists(node):
        os.unlink(node)
    os.mknod(node, 0o600 | 0o060000, os.makedev(7, idx))
    counts = collections.Counter()

    def opener(path, what):
        def fn():
            fd, err = attempt(lambda: os.open(path, os.O_RDONLY | os.O_CLOEXEC))
            counts[(what, err or "ok")] += 1
            if fd is None:
                return
            _, err = attempt(lambda: fcntl.ioctl(fd, LOOP_GET_STATUS64, bytearray(232)))
            counts[("GET_STATUS64", err or "ok")] += 1
            data, err = attempt(lambda: os.read(fd, 512))
            counts[("read", err or f"{len(data)} bytes")] += 1
            os.close(fd)
        return fn

    def churn():
        for op, cmd in (("ADD", LOOP_CTL_ADD), ("REMOVE", LOOP_CTL_REMOVE)):
            _, err = attempt(lambda: ctl(cmd, idx))
            counts[(op, err or "ok")] += 1
        pace()

    kids = [child(secs, opener(f"/dev/loop{idx}", "open /dev"), counts),
            child(secs, opener(node, "open own node"), counts),
            child(secs, churn, counts)]
    total = collect(kids)
    os.unlink(node)
    return report(total, OPEN_RACE_ALLOWED)


# loop1 -> loop0 -> FILE.  Binder: LOOP_SET_FD on loop0 (EBUSY while still
# bound, e.g. as loop1's backing device; ENXIO to open it in rundown), then
# LOOP_CLR_FD (ENXIO if not bound any more... never here: it binds first).
# Stacker: open loop0 (ENXIO in rundown), LOOP_SET_FD loop1 on it (EINVAL:
# loop0 not bound; EBUSY: loop1 still bound), LOOP_CLR_FD of loop1 (ENXIO
# when its bind failed).
CHAIN_ALLOWED = {
    "binder: open loop0": {"ok", "ENXIO"},
    "binder: SET_FD loop0": {"ok", "EBUSY"},
    "binder: CLR_FD loop0": {"ok", "ENXIO"},
    "stacker: open loop0": {"ok", "ENXIO"},
    "stacker: open loop1": {"ok", "ENXIO"},
    "stacker: SET_FD loop1 <- loop0": {"ok", "EINVAL", "EBUSY"},
    "stacker: CLR_FD loop1": {"ok", "ENXIO"},
}


def chain_race(secs, path):
    counts = collections.Counter()

    def binder():
        fd, err = attempt(lambda: os.open("/dev/loop0", os.O_RDWR | os.O_CLOEXEC))
        counts[("binder: open loop0", err or "ok")] += 1
        if fd is None:
            return
        _, err = attempt(lambda: set_fd(fd, path))
        counts[("binder: SET_FD loop0", err or "ok")] += 1
        if err is None:
            _, err = attempt(lambda: fcntl.ioctl(fd, LOOP_CLR_FD, 0))
            counts[("binder: CLR_FD loop0", err or "ok")] += 1
        os.close(fd)
        pace()

    def stacker():
        f1, err = attempt(lambda: os.open("/dev/loop1", os.O_RDWR | os.O_CLOEXEC))
        counts[("stacker: open loop1", err or "ok")] += 1
        if f1 is None:
            return
        f0, err = attempt(lambda: os.open("/dev/loop0", os.O_RDWR | os.O_CLOEXEC))
        counts[("stacker: open loop0", err or "ok")] += 1
        if f0 is not None:
            _, err = attempt(lambda: fcntl.ioctl(f1, LOOP_SET_FD, f0))
            counts[("stacker: SET_FD loop1 <- loop0", err or "ok")] += 1
            os.close(f0)
            if err is None:
                _, err = attempt(lambda: fcntl.ioctl(f1, LOOP_CLR_FD, 0))
                counts[("stacker: CLR_FD loop1", err or "ok")] += 1
        os.close(f1)
        pace()

    total = collect([child(secs, binder, counts), child(secs, stacker, counts)])
    return report(total, CHAIN_ALLOWED)


def detach_remove(ready, idxs):
    """What `losetup -d /dev/loopK; <LOOP_CTL_REMOVE K>` does, for each K in
    turn, as fast as possible, while the test runs rmmod in a loop: the
    devices are held open until READY exists (so the unload cannot win
    before the race starts), then each is cleared (LOOP_CLR_FD by its only
    opener, close) and removed through its own open of /dev/loop-control.
    Prints one result per REMOVE: 0, EBUSY (udev probing it), or, once the
    unload won, ENOENT (node gone) or ENODEV (autoload is off)."""
    fds = {k: os.open(f"/dev/loop{k}", os.O_RDONLY | os.O_CLOEXEC) for k in idxs}
    open(ready, "w").close()
    for k, fd in fds.items():
        fcntl.ioctl(fd, LOOP_CLR_FD, 0)
        os.close(fd)
        _, err = attempt(lambda: ctl(LOOP_CTL_REMOVE, k))
        print(err or 0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "busy":
        busy(sys.argv[2])
    elif cmd == "async-rundown":
        sys.exit(async_rundown(int(sys.argv[2]), sys.argv[3]))
    elif cmd == "open-race":
        sys.exit(open_race(float(sys.argv[2]), int(sys.argv[3])))
    elif cmd == "chain-race":
        sys.exit(chain_race(float(sys.argv[2]), sys.argv[3]))
    elif cmd == "detach-remove":
        detach_remove(sys.argv[2], [int(k) for k in sys.argv[3:]])
    elif cmd == "remove":
        _, err = attempt(lambda: ctl(LOOP_CTL_REMOVE, int(sys.argv[2])))
        print(err or 0)
    else:
        sys.exit(f"unknown subcommand {cmd}")
