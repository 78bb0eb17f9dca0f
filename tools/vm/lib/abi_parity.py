#!/usr/bin/env python3
"""The probes of the abi-parity guest test (tools/vm/tests/34-abi-parity.sh).

Each prints a transcript, "<what> -> <result>" per operation, so that
rloop and the C loop.ko, run one after the other in the same boot, print
the same text when they behave the same.  Usage:

  abi_parity.py [--out PREFIX] [ROW] CMD ARGS... [-- [ROW] CMD ARGS...]...

(one Python start for many probes: it is slow under TCG).  With a row
number the probe's transcript goes to PREFIX.rowROW.txt, followed by the
kernel's messages during it (dmesg is cleared first; "I/O error" lines are
kept for rows 3 and 6 only, where the errors are the point, and lines that
depend on timing or load order are dropped); otherwise to stdout.
Subcommands:

  change-fd-uevents DEV DIR   LOOP_CHANGE_FD outcomes and their uevents
  odirect DEV DIR             the dio mode of a device whose backing fd is
                              O_DIRECT (loop_update_dio())
  rescan-warning DEV IMG      a failing partition rescan (its kernel message
                              is read by the shell script)
  flush-error DEV DIR         fsync of a device whose backing file's fsync
                              fails (a FUSE file system served from here)
  eof-read DEV DIR            adjacent O_DIRECT reads merged into one
                              request that crosses the backing file's end
  load PATH PARAMS            finit_module(PATH, PARAMS)
"""
import ctypes
import errno
import fcntl
import mmap
import os
import re
import socket
import struct
import subprocess
import sys
import time

from loopctl import (LOOP_CHANGE_FD, LOOP_CLR_FD, LOOP_CONFIGURE, LOOP_GET_STATUS64,
                     LOOP_SET_BLOCK_SIZE, LOOP_SET_DIRECT_IO, LOOP_SET_FD,
                     LOOP_SET_STATUS64, call, config, info64, settle)

LO_FLAGS_READ_ONLY = 1
LO_FLAGS_DIRECT_IO = 16
LO_FLAGS_PARTSCAN = 8

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def ename(e):
    return errno.errorcode.get(e, str(e))


def flags_of(fd):
    buf = bytearray(232)
    fcntl.ioctl(fd, LOOP_GET_STATUS64, buf)
    return struct.unpack_from("=I", buf, 52)[0]


def dio_of(fd, dev):
    """The direct I/O mode as the status flags and sysfs say it."""
    name = os.path.basename(dev)
    try:
        with open(f"/sys/block/{name}/loop/dio") as f:
            sysfs = f.read().strip()
    except OSError as e:
        sysfs = ename(e.errno)
    try:
        flag = 1 if flags_of(fd) & LO_FLAGS_DIRECT_IO else 0
    except OSError as e:
        flag = ename(e.errno)
    return f"dio flag {flag} sysfs {sysfs}"


# ---- uevents (row 1) -------------------------------------------------------

NETLINK_KOBJECT_UEVENT = 15


def uevent_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_KOBJECT_UEVENT)
    s.bind((0, 1))  # the kernel's group
    s.setblocking(False)
    return s


def uevents(s, dev):
    """The kernel uevents of DEV (and its partitions) received so far: the
    kernel sends them before the call that caused them returns."""
    name = os.path.basename(dev)
    out = []
    while True:
        try:
            data = s.recv(1 << 16)
        except BlockingIOError:
            break
        props = dict(p.split("=", 1) for p in data.decode(errors="replace").split("\0")
                     if "=" in p)
        base = props.get("DEVPATH", "").split("/")[-1]
        if base != name and not base.startswith(name + "p"):
            continue
        extra = " ".join(f"{k}={v}" for k, v in sorted(props.items())
                         if k not in ("ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM", "DISKSEQ",
                                      "MAJOR", "MINOR", "DEVNAME", "DEVTYPE"))
        out.append(f"{props.get('ACTION')} {base.replace(name, 'loopN')}"
                   + (f" {extra}" if extra else ""))
    return out


def with_uevents(s, dev, what, fn):
    settle()
    uevents(s, dev)  # what came before
    call(what, fn)
    evs = uevents(s, dev)
    print(f"  uevents: {len(evs)}")
    for e in evs:
        print(f"    {e}")


def change_fd_uevents(dev, d):
    """loop_change_fd(): one change uevent on every outcome once the
    backing file passed loop_check_backing_file() (success and error),
    none before."""
    a, b, big = f"{d}/cfd-a.img", f"{d}/cfd-b.img", f"{d}/cfd-big.img"
    for p, size in ((a, 1 << 20), (b, 1 << 20), (big, 2 << 20)):
        with open(p, "wb") as f:
            f.truncate(size)
    s = uevent_socket()
    fa = os.open(a, os.O_RDWR)
    fb = os.open(b, os.O_RDONLY)
    fbig = os.open(big, os.O_RDONLY)
    fdir = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    x = os.open(dev, os.O_RDONLY)
    io = lambda cmd, arg: fcntl.ioctl(x, cmd, arg)
    with_uevents(s, dev, "CHANGE_FD unbound", lambda: io(LOOP_CHANGE_FD, fb))
    with_uevents(s, dev, "CHANGE_FD bad fd unbound", lambda: io(LOOP_CHANGE_FD, 999))
    # A writable device (configured through a writable opener).
    w = os.open(dev, os.O_RDWR)
    call("CONFIGURE read-write", lambda: fcntl.ioctl(w, LOOP_CONFIGURE, config(fa)))
    os.close(w)
    with_uevents(s, dev, "CHANGE_FD on a writable device", lambda: io(LOOP_CHANGE_FD, fb))
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    os.close(x)
    settle()
    x = os.open(dev, os.O_RDONLY)
    call("CONFIGURE read-only", lambda: io(LOOP_CONFIGURE, config(fa, flags=LO_FLAGS_READ_ONLY)))
    with_uevents(s, dev, "CHANGE_FD bad fd", lambda: io(LOOP_CHANGE_FD, 999))
    with_uevents(s, dev, "CHANGE_FD directory", lambda: io(LOOP_CHANGE_FD, fdir))
    with_uevents(s, dev, "CHANGE_FD other size", lambda: io(LOOP_CHANGE_FD, fbig))
    with_uevents(s, dev, "CHANGE_FD itself", lambda: io(LOOP_CHANGE_FD, x))
    with_uevents(s, dev, "CHANGE_FD same size", lambda: io(LOOP_CHANGE_FD, fb))
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    for f in (x, fa, fb, fbig, fdir):
        os.close(f)
    s.close()
    settle()


# ---- O_DIRECT backing fds (row 2) ---------------------------------------

def odirect(dev, d):
    """loop_update_dio() ORs the backing fd's O_DIRECT into the mode at
    LOOP_CONFIGURE/LOOP_SET_FD, LOOP_CHANGE_FD and LOOP_SET_BLOCK_SIZE;
    LOOP_SET_STATUS64 and LOOP_SET_DIRECT_IO do not."""
    a, b = f"{d}/odirect-a.img", f"{d}/odirect-b.img"
    for p in (a, b):
        with open(p, "wb") as f:
            f.truncate(1 << 20)
    direct_rw = os.open(a, os.O_RDWR | os.O_DIRECT)
    x = os.open(dev, os.O_RDWR)
    io = lambda cmd, arg: fcntl.ioctl(x, cmd, arg)
    show = lambda: print(f"  {dio_of(x, dev)}")
    call("CONFIGURE O_DIRECT fd, no DIRECT_IO flag", lambda: io(LOOP_CONFIGURE, config(direct_rw)))
    show()
    call("SET_DIRECT_IO 0", lambda: io(LOOP_SET_DIRECT_IO, 0))
    show()
    call("SET_STATUS64", lambda: io(LOOP_SET_STATUS64, info64(name=b"odirect")))
    show()
    call("SET_BLOCK_SIZE 4096", lambda: io(LOOP_SET_BLOCK_SIZE, 4096))
    show()
    call("SET_DIRECT_IO 0", lambda: io(LOOP_SET_DIRECT_IO, 0))
    call("SET_BLOCK_SIZE 4096 (unchanged)", lambda: io(LOOP_SET_BLOCK_SIZE, 4096))
    show()
    call("SET_BLOCK_SIZE 1234 (invalid)", lambda: io(LOOP_SET_BLOCK_SIZE, 1234))
    show()
    call("SET_DIRECT_IO 0", lambda: io(LOOP_SET_DIRECT_IO, 0))
    call("SET_BLOCK_SIZE 512", lambda: io(LOOP_SET_BLOCK_SIZE, 512))
    show()
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    os.close(x)
    settle()

    x = os.open(dev, os.O_RDWR)
    call("SET_FD O_DIRECT fd", lambda: io(LOOP_SET_FD, direct_rw))
    show()
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    os.close(x)
    settle()

    plain_ro = os.open(a, os.O_RDONLY)
    direct_ro = os.open(b, os.O_RDONLY | os.O_DIRECT)
    x = os.open(dev, os.O_RDONLY)
    call("CONFIGURE read-only, plain fd", lambda: io(LOOP_CONFIGURE, config(plain_ro, flags=LO_FLAGS_READ_ONLY)))
    show()
    call("CHANGE_FD to an O_DIRECT fd", lambda: io(LOOP_CHANGE_FD, direct_ro))
    show()
    call("CHANGE_FD to a plain fd", lambda: io(LOOP_CHANGE_FD, plain_ro))
    show()
    call("SET_DIRECT_IO 0", lambda: io(LOOP_SET_DIRECT_IO, 0))
    call("CHANGE_FD to a plain fd", lambda: io(LOOP_CHANGE_FD, plain_ro))
    show()
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    os.close(x)
    for f in (direct_rw, plain_ro, direct_ro):
        os.close(f)
    settle()


def odirect_bdev(dev, backing):
    """An O_DIRECT fd of a block device with larger logical blocks than the
    loop device's default: direct I/O is impossible, the device stays
    buffered."""
    f = os.open(backing, os.O_RDWR | os.O_DIRECT)
    x = os.open(dev, os.O_RDWR)
    call(f"CONFIGURE O_DIRECT fd of a {os.path.basename(backing)}",
         lambda: fcntl.ioctl(x, LOOP_CONFIGURE, config(f)))
    print(f"  {dio_of(x, dev)}")
    call("SET_BLOCK_SIZE 4096", lambda: fcntl.ioctl(x, LOOP_SET_BLOCK_SIZE, 4096))
    print(f"  {dio_of(x, dev)}")
    call("CLR_FD", lambda: fcntl.ioctl(x, LOOP_CLR_FD, 0))
    os.close(x)
    os.close(f)
    settle()


# ---- partition rescan failure (row 7) -------------------------------------

def rescan_warning(dev, image):
    """A read-only PARTSCAN device whose first partition is open: the
    rescan after LOOP_CHANGE_FD fails with EBUSY and loop.c warns, naming
    the device and its lo_file_name."""
    copy = image + ".copy"
    with open(image, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    f = os.open(image, os.O_RDONLY)
    g = os.open(copy, os.O_RDONLY)
    x = os.open(dev, os.O_RDONLY)
    s = uevent_socket()
    call("CONFIGURE read-only partscan",
         lambda: fcntl.ioctl(x, LOOP_CONFIGURE,
                             config(f, flags=LO_FLAGS_READ_ONLY | LO_FLAGS_PARTSCAN,
                                    name=b"rescan-warning.img")))
    settle()
    p1 = os.open(dev + "p1", os.O_RDONLY)
    with_uevents(s, dev, "CHANGE_FD with p1 open", lambda: fcntl.ioctl(x, LOOP_CHANGE_FD, g))
    os.close(p1)
    call("CLR_FD", lambda: fcntl.ioctl(x, LOOP_CLR_FD, 0))
    os.close(x)
    os.close(f)
    os.close(g)
    s.close()
    settle()


# ---- a minimal FUSE server (row 3) --------------------------------------

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR = 1, 2, 3, 4
FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE = 14, 15, 16, 17, 18
FUSE_FSYNC, FUSE_FLUSH, FUSE_INIT, FUSE_INTERRUPT, FUSE_DESTROY = 20, 25, 26, 36, 38
FUSE_BATCH_FORGET = 42
FUSE_BIG_WRITES = 1 << 5
FATTR_SIZE = 1 << 3
IN_HEADER = struct.Struct("<IIQQIIIHH")
OUT_HEADER = struct.Struct("<IiQ")
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")


def fuse_serve(devfd, size, errfile):
    """Serve one regular file "img" of SIZE bytes in memory; FSYNC fails
    with the errno written in ERRFILE (0: success).  Returns at unmount."""
    data = bytearray(size)

    def attr(node):
        if node == 1:
            return ATTR.pack(1, 0, 0, 0, 0, 0, 0, 0, 0, 0o40755, 2, 0, 0, 0, 4096, 0)
        return ATTR.pack(2, len(data), (len(data) + 511) // 512, 0, 0, 0, 0, 0, 0,
                         0o100644, 1, 0, 0, 0, 4096, 0)

    while True:
        try:
            req = os.read(devfd, 1 << 20)
        except OSError as e:
            if e.errno in (errno.EINTR, errno.EAGAIN):
                continue
            return  # ENODEV: unmounted
        _, op, unique, node, _, _, _, _, _ = IN_HEADER.unpack_from(req)
        body = req[IN_HEADER.size:]
        err, out = 0, b""
        if op in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            continue  # no reply
        if op == FUSE_INIT:
            out = struct.pack("<IIIIHHIIHHII6I", 7, 31, 1 << 16, FUSE_BIG_WRITES, 16, 12,
                              1 << 17, 1, 32, 0, 0, 0, *([0] * 6))
        elif op == FUSE_LOOKUP:
            if body.rstrip(b"\0") == b"img":
                out = struct.pack("<QQQQII", 2, 0, 0, 0, 0, 0) + attr(2)
            else:
                err = errno.ENOENT
        elif op in (FUSE_GETATTR, FUSE_SETATTR):
            if op == FUSE_SETATTR:
                valid = struct.unpack_from("<I", body)[0]
                if valid & FATTR_SIZE:
                    new = struct.unpack_from("<Q", body, 16)[0]
                    data[new:] = b""
                    data.extend(bytes(max(0, new - len(data))))
            out = struct.pack("<QII", 0, 0, 0) + attr(node)
        elif op == FUSE_OPEN:
            out = struct.pack("<QII", 1, 0, 0)
        elif op == FUSE_READ:
            _, off, n = struct.unpack_from("<QQI", body)
            out = bytes(data[off:off + n])
        elif op == FUSE_WRITE:
            _, off, n = struct.unpack_from("<QQI", body)
            payload = body[40:40 + n]
            if off + n > len(data):
                data.extend(bytes(off + n - len(data)))
            data[off:off + n] = payload
            out = struct.pack("<II", n, 0)
        elif op == FUSE_STATFS:
            out = struct.pack("<5QIII I6I", 1024, 512, 512, 16, 8, 4096, 255, 4096, 0, *([0] * 6))
        elif op == FUSE_FSYNC:
            try:
                with open(errfile) as f:
                    err = int(f.read().strip() or 0)
            except (OSError, ValueError):
                err = 0
        elif op in (FUSE_RELEASE, FUSE_FLUSH, FUSE_DESTROY):
            pass
        else:
            err = errno.ENOSYS
        reply = OUT_HEADER.pack(OUT_HEADER.size + (0 if err else len(out)), -err, unique)
        try:
            os.write(devfd, reply + (b"" if err else out))
        except OSError:
            pass
        if op == FUSE_DESTROY:
            return


def flush_error(dev, d):
    """REQ_OP_FLUSH of a device whose backing file's fsync fails: loop.c's
    lo_req_flush() and loop_handle_cmd() turn every such error into EIO."""
    mnt = f"{d}/fuse"
    errfile = f"{d}/fuse-fsync-errno"
    os.makedirs(mnt, exist_ok=True)
    with open(errfile, "w") as f:
        f.write("0")
    devfd = os.open("/dev/fuse", os.O_RDWR)
    # Mounted first: /dev/fuse cannot be read before (EPERM); the kernel
    # queues FUSE_INIT for the server forked below.
    opts = f"fd={devfd},rootmode=40000,user_id=0,group_id=0".encode()
    if libc.mount(b"abi-parity", mnt.encode(), b"fuse", 0, opts) != 0:
        print(f"mount fuse -> {ename(ctypes.get_errno())}")
        os.close(devfd)
        return
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        fuse_serve(devfd, 1 << 20, errfile)
        os._exit(0)
    os.close(devfd)
    try:
        f = os.open(f"{mnt}/img", os.O_RDWR)
        x = os.open(dev, os.O_RDWR)
        call("CONFIGURE a file on FUSE", lambda: fcntl.ioctl(x, LOOP_CONFIGURE, config(f)))
        name = os.path.basename(dev)
        with open(f"/sys/block/{name}/queue/write_cache") as wc:
            print(f"  write_cache: {wc.read().strip()}")
        call("fsync, backing fsync ok", lambda: os.fsync(x) or 0)
        for e in (errno.ENOSPC, errno.EINVAL, errno.EOPNOTSUPP, errno.EDQUOT, errno.EIO):
            with open(errfile, "w") as ef:
                ef.write(str(e))
            os.pwrite(x, b"\x5a" * 4096, 0)
            call(f"write + fsync, backing fsync {ename(e)}", lambda: os.fsync(x) or 0)
        with open(errfile, "w") as ef:
            ef.write("0")
        call("fsync, backing fsync ok again", lambda: os.fsync(x) or 0)
        print(f"  data written: {os.pread(x, 4, 0).hex()}")
        call("CLR_FD", lambda: fcntl.ioctl(x, LOOP_CLR_FD, 0))
        os.close(x)
        os.close(f)
    finally:
        settle()
        for _ in range(100):
            if libc.umount2(mnt.encode(), 0) == 0:
                break
            time.sleep(0.1)
        else:
            libc.umount2(mnt.encode(), 2)  # MNT_DETACH
        for _ in range(100):
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


# ---- a read across the end of the backing file (row 6) -------------------

IOCB = struct.Struct("<QIIHhIQQqQII")
IO_EVENT = struct.Struct("<QQqq")
IOCB_CMD_PREAD = 0
SYS_io_setup, SYS_io_destroy, SYS_io_getevents, SYS_io_submit = 206, 207, 208, 209
SECTOR = 512


def pattern(sector):
    return bytes([sector % 251 + 1]) * SECTOR


def classify(buf, first_sector):
    """One letter per 512-byte sector: D the backing file's data, Z
    zeroes, U untouched (the 0xEE fill), X anything else."""
    out = ""
    for i in range(len(buf) // SECTOR):
        s = buf[i * SECTOR:(i + 1) * SECTOR]
        out += ("D" if s == pattern(first_sector + i) else "Z" if s == bytes(SECTOR)
                else "U" if s == b"\xee" * SECTOR else "X")
    return out


def read_batch(dev, off, n, bs):
    """N adjacent O_DIRECT reads of BS bytes from OFF, submitted with one
    io_submit (plugged, so they merge into one request); per read: its
    result and what its buffer holds."""
    name = os.path.basename(dev)
    stat = lambda: int(open(f"/sys/block/{name}/stat").read().split()[1])
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, n * bs)
    buf.write(b"\xee" * (n * bs))
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    ctx = ctypes.c_ulong(0)
    if libc.syscall(SYS_io_setup, n, ctypes.byref(ctx)) < 0:
        print(f"io_setup -> {ename(ctypes.get_errno())}")
        return
    iocbs = [ctypes.create_string_buffer(IOCB.pack(i, 0, 0, IOCB_CMD_PREAD, 0, fd,
                                                   base + i * bs, bs, off + i * bs, 0, 0, 0))
             for i in range(n)]
    ptrs = (ctypes.c_void_p * n)(*[ctypes.addressof(c) for c in iocbs])
    merges = stat()
    got = libc.syscall(SYS_io_submit, ctx, n, ptrs)
    if got != n:
        print(f"io_submit -> {got} {ename(ctypes.get_errno())}")
    events = ctypes.create_string_buffer(IO_EVENT.size * n)
    done = 0
    while done < max(got, 0):
        r = libc.syscall(SYS_io_getevents, ctx, 1, n - done,
                         ctypes.byref(events, IO_EVENT.size * done), None)
        if r < 0:
            print(f"io_getevents -> {ename(ctypes.get_errno())}")
            break
        done += r
    results = {}
    for i in range(done):
        data, _, res, _ = IO_EVENT.unpack_from(events, i * IO_EVENT.size)
        results[data] = res
    print(f"  {n} reads of {bs} at {off}: merged into fewer requests: {stat() > merges}")
    for i in range(n):
        res = results.get(i)
        res = "none" if res is None else res if res >= 0 else ename(-res)
        sector = (off + i * bs) // SECTOR
        print(f"    read {i} (sectors {sector}-{sector + bs // SECTOR - 1}) -> {res}"
              f" {classify(buf[i * bs:(i + 1) * bs], sector)}")
    libc.syscall(SYS_io_destroy, ctx)
    os.close(fd)
    buf.close()


def eof_read(dev, d):
    """The backing file shrinks under a bound device (no LOOP_SET_CAPACITY);
    adjacent reads merged into one request cross the new end.  loop.c's
    lo_complete_rq() completes the good prefix, then fails (zero-filled)
    what lies past the end; buffered and direct I/O alike."""
    img = f"{d}/eof.img"
    for mode in ("buffered", "direct"):
        with open(img, "wb") as f:
            f.write(b"".join(pattern(s) for s in range(128)))  # 64 KiB
        f = os.open(img, os.O_RDWR)
        x = os.open(dev, os.O_RDWR)
        flags = LO_FLAGS_DIRECT_IO if mode == "direct" else 0
        call(f"CONFIGURE {mode}", lambda: fcntl.ioctl(x, LOOP_CONFIGURE, config(f, flags=flags)))
        print(f"  {dio_of(x, dev)}")
        settle()
        for end in (40960, 43008):
            os.pwrite(f, b"".join(pattern(s) for s in range(128)), 0)
            os.truncate(img, end)
            print(f"  backing file truncated to {end}")
            read_batch(dev, 32768, 8, 4096)
        call("CLR_FD", lambda: fcntl.ioctl(x, LOOP_CLR_FD, 0))
        os.close(x)
        os.close(f)
        settle()


# ---- module load (row 5) -------------------------------------------------

SYS_finit_module = 313


def load(path, params):
    fd = os.open(path, os.O_RDONLY)
    r = libc.syscall(SYS_finit_module, fd, params.encode(), 0)
    print(f"load {params or '(no parameters)'} -> {r if r == 0 else ename(ctypes.get_errno())}")
    os.close(fd)


def kmsg(keep_io_errors):
    """The kernel's messages since the last `dmesg -C`, as the errnos test
    shows them (rloop's pr_* lines carry the "loop: " prefix, dropped)."""
    print("-- kernel messages")
    out = subprocess.run(["dmesg"], capture_output=True, text=True, check=False).stdout
    # "callbacks suppressed": printk's count of ratelimited lines (the
    # capacity message's ratelimit is one for every driver, so whichever
    # runs after a burst gets it): timing, not behaviour.
    drop = ["rloop-test:", "random: crng", "detected capacity change", "taints kernel",
            "callbacks suppressed"]
    if not keep_io_errors:
        drop.append("I/O error, dev loop")
    for line in out.splitlines():
        m = re.match(r"^\[[^]]*\] (.*)$", line)
        if not m:
            continue
        text = m.group(1)
        text = text[len("loop: "):] if text.startswith("loop: ") else text
        if not any(d in text for d in drop):
            print(text)


def main(argv, out):
    cmds = {"change-fd-uevents": change_fd_uevents, "odirect": odirect,
            "odirect-bdev": odirect_bdev, "rescan-warning": rescan_warning,
            "flush-error": flush_error, "eof-read": eof_read, "load": load}
    row = argv.pop(0) if argv[0].isdigit() else None
    if row is None:
        print(f"== {' '.join(os.path.basename(a) for a in argv)}")
        cmds[argv[0]](*argv[1:])
        sys.stdout.flush()
        return
    settle()
    subprocess.run(["dmesg", "-C"], check=False)
    with open(f"{out}.row{row}.txt", "a") as f:
        saved, sys.stdout = sys.stdout, f
        try:
            print(f"== {' '.join(os.path.basename(a) for a in argv)}")
            cmds[argv[0]](*argv[1:])
            settle()
            kmsg(row in ("3", "6"))
        except Exception as e:  # the transcript says so; the diff fails
            print(f"exception: {e!r}")
        finally:
            sys.stdout.flush()
            sys.stdout = saved


if __name__ == "__main__":
    args = sys.argv[1:]
    out = "abi"
    if args[:1] == ["--out"]:
        out = args[1]
        args = args[2:]
    cmd = []
    for a in args + ["--"]:
        if a == "--":
            if cmd:
                main(cmd, out)
            cmd = []
        else:
            cmd.append(a)
