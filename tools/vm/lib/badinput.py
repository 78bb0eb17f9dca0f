#!/usr/bin/env python3
"""Bad input for the loop driver, printed as a transcript (71-bad-input.sh).

Every line is "<what> -> <result>" (a return value, an errno name, or what
the device shows), so rloop and the C loop.ko print the same text when they
behave the same.  Complements loopctl.py's `errnos` (tools/vm/tests/
33-errnos.sh) and 40-bind.sh, which already cover losetup on a directory,
socket and fifo, binding a device to itself with LOOP_SET_FD, two-device
CHANGE_FD cycles, block sizes 256/1234/4095/8192 in LOOP_CONFIGURE,
offset/limit 2^63, crypt types, pointer 16, and LOOP_SET_* through a
read-only descriptor as nobody.

Usage: badinput.py SCRATCH A B C D      (four unbound loop devices)
       badinput.py unpriv DEV CTL_INDEX  (run as a non-root / capless caller)
"""
import ctypes
import errno
import mmap
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopctl import (LOOP_CHANGE_FD, LOOP_CLR_FD, LOOP_CONFIGURE, LOOP_CTL_ADD,  # noqa: E402
                     LOOP_CTL_REMOVE, LOOP_GET_STATUS, LOOP_GET_STATUS64,
                     LOOP_SET_BLOCK_SIZE, LOOP_SET_CAPACITY, LOOP_SET_DIRECT_IO,
                     LOOP_SET_FD, LOOP_SET_STATUS, LOOP_SET_STATUS64, call)
import fcntl  # noqa: E402

LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO = 1, 4, 8, 16
INFO64 = "=5Q4I64s64s32s2Q"
# struct loop_info on x86_64 (168 bytes, natural alignment)
OLD = "@iQQQ4i64s32s2Q4s4x"
U64 = (1 << 64) - 1

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)


def raw_ioctl(fd, cmd, addr):
    """ioctl with an arbitrary pointer (fcntl.ioctl cannot pass one)."""
    r = libc.ioctl(fd, cmd, ctypes.c_void_p(addr))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def info64(offset=0, sizelimit=0, flags=0, number=0, device=0, inode=0, rdevice=0,
           name=b"", crypt_name=b"", key=b"", key_size=0, crypt=0, init=(0, 0)):
    return struct.pack(INFO64, device, inode, rdevice, offset & U64, sizelimit & U64, number,
                       crypt, key_size, flags, name, crypt_name, key, *init)


def config(fd, block_size=0, reserved=(0,) * 8, **info):
    return struct.pack("=II", fd & 0xFFFFFFFF, block_size & 0xFFFFFFFF) + info64(**info) + \
        struct.pack("=8Q", *reserved)


def sysfs(dev):
    n = os.path.basename(dev)
    b = f"/sys/block/{n}"
    rd = lambda p: open(p).read().strip()
    if not os.path.isdir(f"{b}/loop"):
        return f"{n}: unbound size={rd(b + '/size')}"
    return (f"{n}: backing={rd(b + '/loop/backing_file')} offset={rd(b + '/loop/offset')} "
            f"sizelimit={rd(b + '/loop/sizelimit')} dio={rd(b + '/loop/dio')} ro={rd(b + '/ro')} "
            f"size={rd(b + '/size')} lbs={rd(b + '/queue/logical_block_size')}")


def show(dev, scratch=""):
    print("  " + sysfs(dev).replace(scratch, "SCRATCH"))


def opendev(dev, flags=os.O_RDWR):
    return os.open(dev, flags | os.O_CLOEXEC)


def clear(fd):
    try:
        fcntl.ioctl(fd, LOOP_CLR_FD, 0)
    except OSError:
        pass


def unbind(fd, dev, reopen=True):
    """LOOP_CLR_FD, close, and wait until the device is really unbound: with
    another opener (udev's probes) the clear waits for the last close, so
    a new configure through the same descriptor would race it."""
    clear(fd)
    os.close(fd)
    name = os.path.basename(dev)
    for _ in range(400):
        if not os.path.isdir(f"/sys/block/{name}/loop"):
            break
        time.sleep(0.05)
    else:
        print(f"  {name}: still bound 20 s after LOOP_CLR_FD and close")
    return opendev(dev) if reopen else None


def io_result(fn):
    try:
        r = fn()
        if isinstance(r, (bytes, bytearray)):
            return f"{len(r)} bytes{', zeroes' if r and not any(r) else ''}"
        return f"{r}"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def direct_read(dev, off, n=4096):
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
    try:
        m = mmap.mmap(-1, n)
        r = os.preadv(fd, [m], off)
        return bytes(m[:r])
    finally:
        os.close(fd)


def direct_write(dev, off, n=4096):
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT | os.O_CLOEXEC)
    try:
        m = mmap.mmap(-1, n)
        m.write(b"\xa5" * n)
        return os.pwritev(fd, [m], off)
    finally:
        os.close(fd)


def backing_kinds(s, a, b, c):
    """Descriptors that are not regular files or block devices, through
    LOOP_SET_FD, LOOP_CONFIGURE and LOOP_CHANGE_FD."""
    print("-- backing descriptors")
    r, w = os.pipe()
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    kinds = [
        ("directory", lambda: os.open(s, os.O_RDONLY | os.O_DIRECTORY)),
        ("O_PATH file", lambda: os.open(f"{s}/f16", os.O_PATH)),
        ("unix socket", lambda: os.dup(sk.fileno())),
        ("pipe read end", lambda: os.dup(r)),
        ("pipe write end", lambda: os.dup(w)),
        ("/dev/null", lambda: os.open("/dev/null", os.O_RDWR)),
        ("/dev/zero", lambda: os.open("/dev/zero", os.O_RDONLY)),
        ("eventfd", lambda: os.eventfd(0)),
        ("/proc/self/status", lambda: os.open("/proc/self/status", os.O_RDONLY)),
        ("memfd (regular tmpfs file)", lambda: _memfd()),
        ("unbound loop device", lambda: os.open(c, os.O_RDWR)),
        ("closed descriptor", lambda: _closed()),
    ]
    fa = opendev(a)
    for what, mk in kinds:
        for cmd, name in ((LOOP_SET_FD, "SET_FD"), (LOOP_CONFIGURE, "CONFIGURE")):
            f = mk()
            arg = f if cmd == LOOP_SET_FD else config(f)
            if call(f"{name} {what}", lambda: fcntl.ioctl(fa, cmd, arg)) is not None:
                show(a, s)
                fa = unbind(fa, a)
            if f >= 0:
                _close(f)
    # CHANGE_FD needs a read-only bound device.
    g = os.open(f"{s}/f16", os.O_RDONLY)
    call("SET_FD f16 read-only", lambda: fcntl.ioctl(fa, LOOP_SET_FD, g))
    for what, mk in kinds:
        f = mk()
        call(f"CHANGE_FD to {what}", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, f))
        if f >= 0:
            _close(f)
    f = os.open(f"{s}/f8", os.O_RDONLY)
    call("CHANGE_FD to a smaller file", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, f))
    os.close(f)
    os.close(g)
    unbind(fa, a, False)
    for x in (r, w):
        os.close(x)
    sk.close()


def _memfd():
    f = os.memfd_create("rloop-bad-input")
    os.ftruncate(f, 1 << 20)
    return f


def _closed():
    f = os.open("/dev/null", os.O_RDONLY)
    os.close(f)
    return f


def _close(f):
    try:
        os.close(f)
    except OSError:
        pass


def cycles(s, a, b, c, d):
    """Chains of three and four devices, and cycles through CHANGE_FD."""
    print("-- chains and cycles")
    f = os.open(f"{s}/f16", os.O_RDONLY)
    fa, fb, fc, fd_ = (opendev(x) for x in (a, b, c, d))
    call("SET_FD A <- f16 (ro)", lambda: fcntl.ioctl(fa, LOOP_SET_FD, f))
    ra = os.open(a, os.O_RDONLY)
    call("SET_FD B <- A (ro)", lambda: fcntl.ioctl(fb, LOOP_SET_FD, ra))
    rb = os.open(b, os.O_RDONLY)
    call("SET_FD C <- B (ro)", lambda: fcntl.ioctl(fc, LOOP_SET_FD, rb))
    rc = os.open(c, os.O_RDONLY)
    call("CHANGE_FD A -> C (cycle of 3)", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, rc))
    call("CHANGE_FD A -> B (cycle of 2)", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, rb))
    call("CHANGE_FD A -> A (itself)", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, ra))
    call("CHANGE_FD B -> C", lambda: fcntl.ioctl(fb, LOOP_CHANGE_FD, rc))
    call("CONFIGURE D <- C (chain of 4)", lambda: fcntl.ioctl(fd_, LOOP_CONFIGURE, config(rc)))
    show(d, s)
    call("SET_FD C <- C (bound, itself)", lambda: fcntl.ioctl(fc, LOOP_SET_FD, rc))
    call("CLR_FD A under B", lambda: fcntl.ioctl(fa, LOOP_CLR_FD, 0))
    for x in (rc, rb, ra, f):
        os.close(x)
    for fx, x in ((fd_, d), (fc, c), (fb, b), (fa, a)):
        unbind(fx, x, False)
    print(f"  bound after the chain: {sum(os.path.isdir(f'/sys/block/{os.path.basename(x)}/loop') for x in (a, b, c, d))}")


def truncated(s, a):
    """The backing file shrinks under a bound device, buffered and direct."""
    print("-- backing file truncated underneath")
    for mode, flags in (("buffered", 0), ("direct", LO_FLAGS_DIRECT_IO)):
        path = f"{s}/t16"
        with open(path, "wb") as w:
            w.write(os.urandom(16 << 20))
        f = os.open(path, os.O_RDWR)
        fa = opendev(a)
        call(f"{mode}: CONFIGURE 16M file", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, flags=flags)))
        os.truncate(path, 4 << 20)
        print(f"  {mode}: truncated to 4M; read at 8M -> {io_result(lambda: direct_read(a, 8 << 20))}")
        print(f"  {mode}: read at 1M -> {io_result(lambda: direct_read(a, 1 << 20))}")
        print(f"  {mode}: write at 12M -> {io_result(lambda: direct_write(a, 12 << 20))}")
        print(f"  {mode}: file size after the write: {os.stat(path).st_size >> 20}M")
        os.truncate(path, 4 << 20)
        call(f"{mode}: SET_CAPACITY", lambda: fcntl.ioctl(fa, LOOP_SET_CAPACITY, 0))
        show(a, s)
        print(f"  {mode}: read at 8M after SET_CAPACITY -> {io_result(lambda: direct_read(a, 8 << 20))}")
        os.truncate(path, 0)
        print(f"  {mode}: truncated to 0; read at 0 -> {io_result(lambda: direct_read(a, 0))}")
        call(f"{mode}: SET_CAPACITY", lambda: fcntl.ioctl(fa, LOOP_SET_CAPACITY, 0))
        show(a, s)
        os.close(f)
        unbind(fa, a, False)


def shutdown_fs(s, a, mnt):
    """I/O errors of the backing file system reach the loop device as EIO."""
    print("-- backing file system shut down (EIO from the backing file)")
    path = f"{mnt}/img"
    with open(path, "wb") as w:
        w.write(os.urandom(8 << 20))
    # Both opened now: a shut-down ext4 refuses new opens with EIO.
    files = {m: os.open(path, os.O_RDWR) for m in ("buffered", "direct")}
    for mode, flags in (("buffered", 0), ("direct", LO_FLAGS_DIRECT_IO)):
        f = files[mode]
        fa = opendev(a)
        call(f"{mode}: CONFIGURE file on ext4", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, flags=flags)))
        print(f"  {mode}: read before -> {io_result(lambda: direct_read(a, 1 << 20))}")
        if mode == "buffered":
            subprocess.run(["xfs_io", "-x", "-c", "shutdown", mnt], check=True)
            print("  ext4 shut down")
        print(f"  {mode}: read at 2M -> {io_result(lambda: direct_read(a, 2 << 20))}")
        print(f"  {mode}: write at 3M -> {io_result(lambda: direct_write(a, 3 << 20))}")
        print(f"  {mode}: fsync -> {io_result(lambda: _fsync(a))}")
        os.close(f)
        unbind(fa, a, False)


def _fsync(dev):
    fd = os.open(dev, os.O_RDWR)
    try:
        return os.fsync(fd)
    finally:
        os.close(fd)


def readonly_fs(s, a, romnt):
    """A file on a read-only file system."""
    print("-- file on a read-only file system")
    path = f"{romnt}/ro.img"
    print(f"  open O_RDWR -> {io_result(lambda: os.open(path, os.O_RDWR) and 0)}")
    f = os.open(path, os.O_RDONLY)
    fa = opendev(a)
    call("CONFIGURE (no READ_ONLY flag) with an O_RDONLY fd", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f)))
    show(a, s)
    print(f"  write through the device -> {io_result(lambda: direct_write(a, 0))}")
    call("SET_STATUS64 flags 0 (READ_ONLY is not clearable)", lambda: fcntl.ioctl(fa, LOOP_SET_STATUS64, info64()))
    show(a, s)
    g = os.open(f"{s}/f16", os.O_RDWR)
    call("CHANGE_FD to a writable file", lambda: fcntl.ioctl(fa, LOOP_CHANGE_FD, g))
    show(a, s)
    fa = unbind(fa, a)
    call("SET_FD O_RDONLY fd", lambda: fcntl.ioctl(fa, LOOP_SET_FD, f))
    show(a, s)
    os.close(g)
    os.close(f)
    unbind(fa, a, False)


def geometry(s, a):
    """Absurd offsets and size limits, and odd block sizes."""
    print("-- offsets and size limits (16 MiB file)")
    f = os.open(f"{s}/f16", os.O_RDWR)
    fa = opendev(a)
    M = 1 << 20
    cases = [(0, 1), (0, 511), (0, 513), (1, 0), (511, 4097), (16 * M, 0), (16 * M + 1, 0),
             (15 * M, 4 * M), (1 << 62, 0), ((1 << 63) - 1, 0), ((1 << 63) - 512, 1 << 63),
             (0, U64), (8 * M, U64 - 511), (U64, U64), (4096, 1 << 63)]
    for off, lim in cases:
        if call(f"CONFIGURE offset {off} sizelimit {lim}",
                lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, offset=off, sizelimit=lim))) is not None:
            show(a, s)
            print(f"    read at 0 -> {io_result(lambda: direct_read(a, 0, 512))}")
            fa = unbind(fa, a)
    call("CONFIGURE", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f)))
    for off, lim in cases:
        call(f"SET_STATUS64 offset {off} sizelimit {lim}",
             lambda: fcntl.ioctl(fa, LOOP_SET_STATUS64, info64(offset=off, sizelimit=lim)))
        show(a, s)
    fa = unbind(fa, a)
    print("-- block sizes")
    for bs in (0, 511, 513, 1024, 8192, 65536, 0xFFFFFFFF):
        if call(f"CONFIGURE block_size {bs}",
                lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, block_size=bs))) is not None:
            show(a, s)
            fa = unbind(fa, a)
    call("CONFIGURE block_size 4096 offset 512 sizelimit 4097",
         lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, block_size=4096, offset=512, sizelimit=4097)))
    show(a, s)
    fa = unbind(fa, a)
    call("CONFIGURE", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f)))
    for bs in (511, 513, 8192, 0xFFFFFFFF, 1 << 32 | 512, 1 << 40, 0, 4096, 1024):
        call(f"SET_BLOCK_SIZE {bs}", lambda: raw_ioctl(fa, LOOP_SET_BLOCK_SIZE, bs))
        show(a, s)
    os.close(f)
    unbind(fa, a, False)


def garbage(s, a):
    """Garbage in the fields of loop_info64/loop_info/loop_config the driver
    does not take from the caller."""
    print("-- garbage in unused fields")
    f = os.open(f"{s}/f16", os.O_RDWR)
    fa = opendev(a)
    G = 0xDEADBEEFCAFEF00D
    call("CONFIGURE with __reserved[] garbage",
         lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, reserved=(G,) * 8)))
    fa = unbind(fa, a)
    call("CONFIGURE with garbage device/inode/rdevice/number/init and unterminated names",
         lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(
             f, device=G, inode=G, rdevice=G, number=0x7EADBEEF, init=(G, G),
             name=b"N" * 64, crypt_name=b"C" * 64, key=b"K" * 32)))
    dump(fa, "  after")
    call("SET_STATUS64 the same",
         lambda: fcntl.ioctl(fa, LOOP_SET_STATUS64, info64(
             device=G, inode=G, rdevice=G, number=0x7EADBEEF, init=(G, G), name=b"M" * 64,
             crypt_name=b"D" * 64, key=b"\xff" * 32)))
    dump(fa, "  after")
    old = struct.pack(OLD, 0x7EADBEEF, G, G, G, 4096, 0, 0, 0,
                      b"O" * 64, b"\xee" * 32, G, G, b"RRRR")
    call("SET_STATUS (old layout) with garbage", lambda: fcntl.ioctl(fa, LOOP_SET_STATUS, old))
    dump(fa, "  after")
    buf = bytearray(struct.calcsize(OLD))
    call("GET_STATUS (old layout)", lambda: fcntl.ioctl(fa, LOOP_GET_STATUS, buf))
    v = struct.unpack(OLD, bytes(buf))
    print(f"    number={v[0]} offset={v[4]} flags={v[7]} name={v[8].rstrip(bytes(1))!r} "
          f"init={v[10]},{v[11]} reserved={v[12]!r}")
    os.close(f)
    unbind(fa, a, False)


def dump(fa, prefix):
    buf = bytearray(struct.calcsize(INFO64))
    fcntl.ioctl(fa, LOOP_GET_STATUS64, buf)
    v = struct.unpack(INFO64, bytes(buf))
    st = os.fstat(fa)
    print(f"{prefix}: number={v[5]} offset={v[3]} sizelimit={v[4]} flags={v[8]} "
          f"crypt={v[6]} key_size={v[7]} init={v[12]},{v[13]} "
          f"name={v[9].rstrip(bytes(1))!r} crypt_name={v[10].rstrip(bytes(1))!r} "
          f"key={v[11].rstrip(bytes(1))!r} device_is_garbage={v[0] == 0xDEADBEEFCAFEF00D} "
          f"inode_is_garbage={v[1] == 0xDEADBEEFCAFEF00D}")
    del st


def pointers(s, a):
    """NULL, small, unmapped, kernel and page-straddling pointers, on an
    unbound and on a bound device."""
    print("-- bad pointers")
    PROT_NONE = 0
    m = mmap.mmap(-1, 8192)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    if libc.mprotect(ctypes.c_void_p(base + 4096), 4096, PROT_NONE):
        raise OSError(ctypes.get_errno(), "mprotect")
    ua = base + 4096  # mapped PROT_NONE: no access, like an unmapped page
    ptrs = [("NULL", 0), ("0x1", 1), ("inaccessible page", ua), ("kernel", 0xffffffff81000000),
            ("non-canonical", 0x8000000000000000), ("straddling", base + 4096 - 64)]
    cmds = [("CONFIGURE", LOOP_CONFIGURE), ("SET_STATUS64", LOOP_SET_STATUS64),
            ("GET_STATUS64", LOOP_GET_STATUS64), ("SET_STATUS", LOOP_SET_STATUS),
            ("GET_STATUS", LOOP_GET_STATUS)]
    fa = opendev(a)
    f = os.open(f"{s}/f16", os.O_RDWR)
    for state in ("unbound", "bound"):
        if state == "bound":
            call("CONFIGURE", lambda: fcntl.ioctl(fa, LOOP_CONFIGURE, config(f, name=b"ptr")))
        for cname, cmd in cmds:
            for pname, p in ptrs:
                if state == "bound" and cname == "CONFIGURE" and pname != "straddling":
                    continue
                call(f"{state}: {cname} {pname}", lambda: raw_ioctl(fa, cmd, p))
        if state == "bound":
            dump(fa, "  still bound")
            show(a, s)
    os.close(f)
    unbind(fa, a, False)
    print("  CTL_ADD/REMOVE take an integer: CTL_REMOVE of a kernel address")
    c = os.open("/dev/loop-control", os.O_RDWR)
    call("  CTL_REMOVE 0xffffffff81000000", lambda: raw_ioctl(c, LOOP_CTL_REMOVE, 0xffffffff81000000))
    call("  CTL_ADD 0x100000000 (above int)", lambda: raw_ioctl(c, LOOP_CTL_ADD, 1 << 32))
    os.close(c)
    m.close()


def unpriv(dev, idx):
    """Run as an unprivileged caller (see the shell part): what it may do."""
    who = f"uid={os.getuid()} groups={sorted(os.getgroups())}"
    print(f"  [{who}]")
    for path, flags in (("/dev/loop-control", os.O_RDWR), (dev, os.O_RDONLY), (dev, os.O_RDWR)):
        try:
            fd = os.open(path, flags)
        except OSError as e:
            print(f"  open {os.path.basename(path)} {'rw' if flags else 'ro'} -> {errno.errorcode[e.errno]}")
            continue
        print(f"  open {os.path.basename(path)} {'rw' if flags else 'ro'} -> ok")
        if path == "/dev/loop-control":
            call(f"  CTL_ADD {idx}", lambda: fcntl.ioctl(fd, LOOP_CTL_ADD, int(idx)))
            call(f"  CTL_REMOVE {idx}", lambda: fcntl.ioctl(fd, LOOP_CTL_REMOVE, int(idx)))
            call("  CTL_GET_FREE", lambda: fcntl.ioctl(fd, 0x4C82, 0) >= 0)
        else:
            buf = bytearray(struct.calcsize(INFO64))
            call("  GET_STATUS64", lambda: fcntl.ioctl(fd, LOOP_GET_STATUS64, buf))
            call("  SET_STATUS64", lambda: fcntl.ioctl(fd, LOOP_SET_STATUS64, info64(name=b"unpriv")))
            call("  SET_BLOCK_SIZE 512", lambda: fcntl.ioctl(fd, LOOP_SET_BLOCK_SIZE, 512))
            call("  SET_CAPACITY", lambda: fcntl.ioctl(fd, LOOP_SET_CAPACITY, 0))
            call("  SET_DIRECT_IO 0", lambda: fcntl.ioctl(fd, LOOP_SET_DIRECT_IO, 0))
            call("  CHANGE_FD /dev/null", lambda: fcntl.ioctl(fd, LOOP_CHANGE_FD, 0))
            if flags == os.O_RDWR:
                call("  CLR_FD", lambda: fcntl.ioctl(fd, LOOP_CLR_FD, 0))
        os.close(fd)


def main(argv):
    if argv[0] == "unpriv":
        unpriv(argv[1], argv[2])
        return
    s, a, b, c, d = argv[:5]
    backing_kinds(s, a, b, c)
    cycles(s, a, b, c, d)
    truncated(s, a)
    readonly_fs(s, a, f"{s}/ro")
    geometry(s, a)
    garbage(s, a)
    pointers(s, a)
    shutdown_fs(s, a, f"{s}/ext4")


if __name__ == "__main__":
    main(sys.argv[1:])
