#!/usr/bin/env python3
"""Drive the loop control and device ioctls and print a transcript.

Used by the guest tests to compare rloop with the C loop.ko in the same boot:
every line is "<operation> -> <result>", where the result is a return value
or an errno name, so two drivers that behave the same print the same text.
"""
import errno
import fcntl
import os
import stat
import struct
import subprocess
import sys
import time

LOOP_CTL_ADD = 0x4C80
LOOP_CTL_REMOVE = 0x4C81
LOOP_CTL_GET_FREE = 0x4C82
LOOP_SET_FD = 0x4C00
LOOP_CLR_FD = 0x4C01
LOOP_SET_STATUS = 0x4C02
LOOP_GET_STATUS = 0x4C03
LOOP_SET_STATUS64 = 0x4C04
LOOP_GET_STATUS64 = 0x4C05
LOOP_CHANGE_FD = 0x4C06
LOOP_SET_CAPACITY = 0x4C07
LOOP_SET_DIRECT_IO = 0x4C08
LOOP_SET_BLOCK_SIZE = 0x4C09
LOOP_CONFIGURE = 0x4C0A


def call(what, fn):
    try:
        r = fn()
        # A buffer argument comes back as bytes: report success as 0.
        print(f"{what} -> {0 if isinstance(r, (bytes, bytearray)) else r}")
        return r
    except OSError as e:
        print(f"{what} -> {errno.errorcode.get(e.errno, e.errno)}")
        return None


def ctl(cmd, arg):
    fd = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    try:
        return fcntl.ioctl(fd, cmd, arg)
    finally:
        os.close(fd)


def dev_ioctl(path, cmd, arg, flags=os.O_RDONLY):
    fd = os.open(path, flags | os.O_CLOEXEC)
    try:
        return fcntl.ioctl(fd, cmd, arg)
    finally:
        os.close(fd)


def node(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"
    kind = "b" if stat.S_ISBLK(st.st_mode) else "c" if stat.S_ISCHR(st.st_mode) else "?"
    return f"{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"


def settle():
    """Let udev finish probing new devices (it opens them).  A timeout is
    udev's backlog, not the driver's behaviour: its message stays out of the
    transcripts this writes (the C loop.ko's once got one)."""
    subprocess.run(["udevadm", "settle", "--timeout=30"], check=False,
                   stderr=subprocess.DEVNULL)


def control():
    print(f"/dev/loop-control: {node('/dev/loop-control')}")
    call("GET_FREE", lambda: ctl(LOOP_CTL_GET_FREE, 0))
    call("ADD 10", lambda: ctl(LOOP_CTL_ADD, 10))
    call("ADD 10 again", lambda: ctl(LOOP_CTL_ADD, 10))
    print(f"/sys/block/loop10: {os.path.isdir('/sys/block/loop10')}")
    settle()
    call("REMOVE 10", lambda: ctl(LOOP_CTL_REMOVE, 10))
    call("REMOVE 10 again", lambda: ctl(LOOP_CTL_REMOVE, 10))
    print(f"/sys/block/loop10: {os.path.isdir('/sys/block/loop10')}")
    call("REMOVE -1", lambda: ctl(LOOP_CTL_REMOVE, -1))
    call("REMOVE 999", lambda: ctl(LOOP_CTL_REMOVE, 999))
    call("unknown control ioctl", lambda: ctl(0x4C8F, 0))
    # An open device cannot be removed.
    fd = os.open("/dev/loop0", os.O_RDONLY)
    call("REMOVE 0 while open", lambda: ctl(LOOP_CTL_REMOVE, 0))
    os.close(fd)
    settle()
    call("REMOVE 0", lambda: ctl(LOOP_CTL_REMOVE, 0))
    call("GET_FREE after removing 0", lambda: ctl(LOOP_CTL_GET_FREE, 0))
    call("ADD -1", lambda: ctl(LOOP_CTL_ADD, -1))
    call("ADD 3 (exists)", lambda: ctl(LOOP_CTL_ADD, 3))


def unbound():
    d = "/dev/loop1"
    buf = bytearray(232)
    old = bytearray(168)
    call("GET_STATUS64 unbound", lambda: dev_ioctl(d, LOOP_GET_STATUS64, buf))
    call("GET_STATUS unbound", lambda: dev_ioctl(d, LOOP_GET_STATUS, old))
    call("GET_STATUS64 NULL", lambda: dev_ioctl(d, LOOP_GET_STATUS64, 0))
    call("GET_STATUS NULL", lambda: dev_ioctl(d, LOOP_GET_STATUS, 0))
    call("SET_STATUS64 unbound", lambda: dev_ioctl(d, LOOP_SET_STATUS64, bytes(232), os.O_RDWR))
    call("CLR_FD unbound", lambda: dev_ioctl(d, LOOP_CLR_FD, 0))
    call("CHANGE_FD unbound", lambda: dev_ioctl(d, LOOP_CHANGE_FD, 0))
    call("CHANGE_FD bad fd", lambda: dev_ioctl(d, LOOP_CHANGE_FD, -1))
    # User space probes for LOOP_CONFIGURE with fd -1 and expects EBADF.
    bad_config = (0xFFFFFFFF).to_bytes(4, "little") + bytes(300)
    call("CONFIGURE fd -1", lambda: dev_ioctl(d, LOOP_CONFIGURE, bad_config, os.O_RDWR))
    call("CONFIGURE NULL", lambda: dev_ioctl(d, LOOP_CONFIGURE, 0, os.O_RDWR))
    call("SET_FD -1", lambda: dev_ioctl(d, LOOP_SET_FD, -1, os.O_RDWR))
    call("SET_CAPACITY unbound", lambda: dev_ioctl(d, LOOP_SET_CAPACITY, 0))
    call("SET_DIRECT_IO unbound", lambda: dev_ioctl(d, LOOP_SET_DIRECT_IO, 1))
    call("SET_BLOCK_SIZE unbound", lambda: dev_ioctl(d, LOOP_SET_BLOCK_SIZE, 4096))
    call("unknown loop ioctl", lambda: dev_ioctl(d, 0x4C3F, 0))
    with open(d, "rb") as f:
        print(f"read unbound -> {len(f.read(4096))} bytes")


def info64(offset=0, sizelimit=0, flags=0, crypt=0, key_size=0, name=b""):
    return struct.pack("=5Q4I64s64s32s2Q", 0, 0, 0, offset, sizelimit, 0, crypt,
                       key_size, flags, name, b"", b"", 0, 0)


def config(fd, block_size=0, **info):
    return struct.pack("=II", fd & 0xFFFFFFFF, block_size) + info64(**info) + bytes(64)


def errnos(dev, other, image, mnt):
    """The errno table of a bound device (REQUIREMENTS.md 3.5 item 7).

    DEV and OTHER are unbound loop devices, IMAGE an ext4 image of at least
    16 MiB, MNT an empty directory.
    """
    f = os.open(image, os.O_RDWR | os.O_CLOEXEC)
    d = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    io = lambda cmd, arg: fcntl.ioctl(d, cmd, arg)
    call("CONFIGURE unknown flag", lambda: io(LOOP_CONFIGURE, config(f, flags=1 << 20)))
    for bs in (256, 1234, 8192, 4095):
        call(f"CONFIGURE block_size {bs}", lambda: io(LOOP_CONFIGURE, config(f, block_size=bs)))
    call("CONFIGURE xor", lambda: io(LOOP_CONFIGURE, config(f, crypt=1)))
    call("CONFIGURE key_size 33", lambda: io(LOOP_CONFIGURE, config(f, key_size=33)))
    call("CONFIGURE offset 2^63", lambda: io(LOOP_CONFIGURE, config(f, offset=1 << 63)))
    call("CONFIGURE bad pointer", lambda: io(LOOP_CONFIGURE, 16))
    call("SET_FD itself", lambda: io(LOOP_SET_FD, d))
    call("CONFIGURE", lambda: io(LOOP_CONFIGURE, config(f, name=b"errnos")))
    call("SET_FD bound", lambda: io(LOOP_SET_FD, f))
    call("CONFIGURE bound", lambda: io(LOOP_CONFIGURE, config(f)))
    call("GET_STATUS64 bad pointer", lambda: io(LOOP_GET_STATUS64, 16))
    call("SET_STATUS64 bad pointer", lambda: io(LOOP_SET_STATUS64, 16))
    for crypt in (1, 5, 18):
        call(f"SET_STATUS64 crypt {crypt}", lambda: io(LOOP_SET_STATUS64, info64(crypt=crypt)))
    call("SET_STATUS64 key_size 33", lambda: io(LOOP_SET_STATUS64, info64(key_size=33)))
    call("SET_STATUS64 offset 2^63", lambda: io(LOOP_SET_STATUS64, info64(offset=1 << 63)))
    call("SET_STATUS64 limit 2^63", lambda: io(LOOP_SET_STATUS64, info64(sizelimit=1 << 63)))
    call("CHANGE_FD rw device", lambda: io(LOOP_CHANGE_FD, f))
    call("SET_BLOCK_SIZE 0", lambda: io(LOOP_SET_BLOCK_SIZE, 0))
    print(f"  logical_block_size {open(f'/sys/block/{os.path.basename(dev)}/queue/logical_block_size').read().strip()}")
    call("SET_DIRECT_IO 0", lambda: io(LOOP_SET_DIRECT_IO, 0))
    call("unknown loop ioctl", lambda: io(0x4C3F, 0))
    # Not writable, not CAP_SYS_ADMIN: the changing ioctls are refused.
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        r = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
        os.setgid(65534)
        os.setuid(65534)
        for what, cmd, arg in (("SET_STATUS64", LOOP_SET_STATUS64, info64()),
                               ("SET_STATUS", LOOP_SET_STATUS, bytes(168)),
                               ("SET_CAPACITY", LOOP_SET_CAPACITY, 0),
                               ("SET_BLOCK_SIZE", LOOP_SET_BLOCK_SIZE, 4096),
                               ("SET_DIRECT_IO", LOOP_SET_DIRECT_IO, 0),
                               ("GET_STATUS64", LOOP_GET_STATUS64, bytes(232))):
            call(f"{what} as nobody (read-only fd)", lambda: fcntl.ioctl(r, cmd, arg))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    # Somebody else holds the device (a mount): ioctls that change it claim
    # it first and get EBUSY.
    subprocess.run(["mount", dev, mnt], check=True)
    r = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
    call("SET_BLOCK_SIZE 4096 while mounted", lambda: fcntl.ioctl(r, LOOP_SET_BLOCK_SIZE, 4096))
    call("SET_BLOCK_SIZE 512 while mounted", lambda: fcntl.ioctl(r, LOOP_SET_BLOCK_SIZE, 512))
    call("SET_CAPACITY while mounted", lambda: fcntl.ioctl(r, LOOP_SET_CAPACITY, 0))
    os.close(r)
    subprocess.run(["umount", mnt], check=True)
    call("CLR_FD", lambda: io(LOOP_CLR_FD, 0))
    os.close(d)
    # An exclusive opener holds OTHER: a configure through another fd waits
    # for nobody and fails; through the exclusive fd it works.
    x = os.open(other, os.O_RDWR | os.O_EXCL | os.O_CLOEXEC)
    o = os.open(other, os.O_RDWR | os.O_CLOEXEC)
    call("CONFIGURE while another fd holds it O_EXCL", lambda: fcntl.ioctl(o, LOOP_CONFIGURE, config(f)))
    call("CONFIGURE through the O_EXCL fd", lambda: fcntl.ioctl(x, LOOP_CONFIGURE, config(f)))
    call("SET_BLOCK_SIZE 4096 through the O_EXCL fd", lambda: fcntl.ioctl(x, LOOP_SET_BLOCK_SIZE, 4096))
    call("SET_BLOCK_SIZE 512 through the other fd", lambda: fcntl.ioctl(o, LOOP_SET_BLOCK_SIZE, 512))
    call("CLR_FD", lambda: fcntl.ioctl(o, LOOP_CLR_FD, 0))
    os.close(o)
    os.close(x)
    os.close(f)


def set_status(dev, offset, sizelimit, flags):
    """LOOP_SET_STATUS64 with the given offset, size limit and flags."""
    info = info64(offset, sizelimit, flags, name=b"name-from-set-status")
    call(f"SET_STATUS64 off={offset} limit={sizelimit} flags={flags}",
         lambda: dev_ioctl(dev, LOOP_SET_STATUS64, info, os.O_RDWR))


def status(dev):
    """LOOP_GET_STATUS64 and LOOP_GET_STATUS, the fields that do not vary."""
    buf = bytearray(232)
    if call("GET_STATUS64", lambda: dev_ioctl(dev, LOOP_GET_STATUS64, buf)) is not None:
        f = struct.unpack("=5Q4I64s64s32s2Q", bytes(buf))
        print(f"  number={f[5]} offset={f[3]} sizelimit={f[4]} flags={f[8]} name={f[9].rstrip(bytes(1))!r}")
    old = bytearray(168)
    call("GET_STATUS", lambda: dev_ioctl(dev, LOOP_GET_STATUS, old))


def detach_poll(dev):
    """Detach as some tools do: LOOP_CLR_FD every 50 ms on one descriptor
    until ENXIO (EBUSY tolerated), close it, then look at once for the first
    partition's node and sysfs directory.  Prints each change of result."""
    name = os.path.basename(dev)
    fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
    last = None
    try:
        for _ in range(200):
            try:
                fcntl.ioctl(fd, LOOP_CLR_FD, 0)
                r = "0"
            except OSError as e:
                r = errno.errorcode.get(e.errno, str(e.errno))
            if r != last:
                print(f"CLR_FD -> {r}")
                last = r
            if r not in ("0", "EBUSY"):
                break
            time.sleep(0.05)
    finally:
        os.close(fd)
    gone = lambda p: "gone" if not os.path.exists(p) else "PRESENT"
    print(f"after close: /dev/{name}p1 {gone(f'/dev/{name}p1')}, "
          f"/sys/block/{name}/{name}p1 {gone(f'/sys/block/{name}/{name}p1')}")


def main(argv):
    if argv[0] == "node":
        print(node(argv[1]))
    elif argv[0] == "set-status":
        set_status(argv[1], int(argv[2]), int(argv[3]), int(argv[4]))
    elif argv[0] == "status":
        status(argv[1])
    elif argv[0] == "errnos":
        errnos(*argv[1:5])
    elif argv[0] == "detach-poll":
        detach_poll(argv[1])
    elif argv[0] == "change-fd":
        f = os.open(argv[2], os.O_RDONLY)
        call(f"CHANGE_FD {os.path.basename(argv[2])}",
             lambda: dev_ioctl(argv[1], LOOP_CHANGE_FD, f))
    else:
        {"control": control, "unbound": unbound}[argv[0]]()


if __name__ == "__main__":
    # Several commands in one run (python starts slowly under TCG):
    # loopctl.py CMD ARGS... -- CMD ARGS...
    cmd = []
    for a in sys.argv[1:] + ["--"]:
        if a == "--":
            if cmd:
                main(cmd)
            cmd = []
        else:
            cmd.append(a)
