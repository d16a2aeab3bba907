"""CPT_IOC_KEY's and CPT_IOC_INIT's argument rules (kmod/uapi/linux/cpt.h),
driven straight at /dev/cpt: unknown ops and flags, nonzero reserved or out
fields, a key pointer where none belongs, a key of the wrong length, and a
longer struct with a nonzero tail are refused with EINVAL; the status, and a
longer struct ending in zeros, are not; a checkpoint's CPT_INIT_KILL is
refused on a restart, CPT_INIT_TCP_ESTABLISHED without it on a checkpoint, and FINALIZE refuses another action than KILL after it,
the session kept. Prints one line per case and exits 1 if any case went
otherwise."""
import errno
import fcntl
import os
import struct
import subprocess
import sys
import tempfile

MAGIC = 0xCF
KEY_FMT = "<IIQII8sQQ"  # op, flags, key, key_len, loaded, key_id, reserved[2]
INIT_FMT = "<IIQIIQQ"  # image_fd, mode, flags, target, reserved0, reserved[2]
LOAD, STATUS = 1, 3
CHECKPOINT, RESTART = 1, 2
RESUME, TASK = 1, 1  # CPT_FINALIZE_RESUME, CPT_SUBSYS_TASK


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (MAGIC << 8) | nr


def key_call(fd, op=STATUS, flags=0, key=0, key_len=0, loaded=0, reserved=0, tail=b""):
    buf = bytearray(struct.pack(KEY_FMT, op, flags, key, key_len, loaded, b"\0" * 8, reserved, 0) + tail)
    return call(fd, ioc(3, 7, len(buf)), buf)


def init_call(fd, image_fd, mode, flags, target=0):
    buf = bytearray(struct.pack(INIT_FMT, image_fd, mode, flags, target, 0, 0, 0))
    return call(fd, ioc(1, 1, len(buf)), buf)


def finalize_call(fd, action):
    buf = bytearray(struct.pack("<IIQQQQQQQQ", action, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    return call(fd, ioc(3, 4, len(buf)), buf)


def save_call(fd, subsys):
    buf = bytearray(struct.pack("<IIQQQ", subsys, 0, 0, 0, 0))
    return call(fd, ioc(3, 2, len(buf)), buf)


def message(fd):
    """What the module said of fd's last failed ioctl."""
    text = bytearray(256)
    try:
        import ctypes

        ptr = ctypes.addressof((ctypes.c_char * len(text)).from_buffer(text))
    except ImportError:
        return ""
    call(fd, ioc(1, 6, 32), bytearray(struct.pack("<QIIQQ", ptr, len(text), 0, 0, 0)))
    return text.split(b"\0", 1)[0].decode(errors="replace")


def kill_then_resume():
    """A checkpoint INIT with CPT_INIT_KILL of a sleeping child, then
    FINALIZE(RESUME): refused, the session kept (a SAVE(TASK) still goes
    through); the close aborts it and the child runs on. The image a
    temporary file; the module's words for the INIT's failure, if any."""
    child = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL)
    fd = os.open("/dev/cpt", os.O_RDWR)
    image = tempfile.TemporaryFile()
    try:
        init = init_call(fd, image.fileno(), CHECKPOINT, 16, child.pid)
        said = message(fd) if init else ""
        got = (init, finalize_call(fd, RESUME), save_call(fd, TASK), said)
    finally:
        os.close(fd)
        image.close()
    child.kill()
    child.wait()
    return got


def call(fd, request, buf):
    try:
        fcntl.ioctl(fd, request, buf)
        return 0
    except OSError as e:
        return e.errno


def main():
    fd = os.open("/dev/cpt", os.O_RDWR)
    image = os.open("/dev/null", os.O_RDWR)
    short_key = bytearray(16)
    short_ptr = 0
    try:
        import ctypes

        short_ptr = ctypes.addressof((ctypes.c_char * 16).from_buffer(short_key))
    except ImportError:
        pass
    cases = [
        ("status", key_call(fd), 0),
        ("status, struct 8 bytes longer, zero tail", key_call(fd, tail=b"\0" * 8), 0),
        ("status, struct 8 bytes longer, nonzero tail", key_call(fd, tail=b"\1" + b"\0" * 7), errno.EINVAL),
        ("unknown op 9", key_call(fd, op=9), errno.EINVAL),
        ("unknown flag", key_call(fd, flags=1), errno.EINVAL),
        ("reserved nonzero", key_call(fd, reserved=1), errno.EINVAL),
        ("out field loaded nonzero", key_call(fd, loaded=1), errno.EINVAL),
        ("status with a key pointer", key_call(fd, key=4096), errno.EINVAL),
        ("load of a 16-byte key", key_call(fd, op=LOAD, key=short_ptr, key_len=16), errno.EINVAL),
        ("load of a 65-byte key", key_call(fd, op=LOAD, key=short_ptr, key_len=65), errno.EINVAL),
        ("init, unknown flag 2", init_call(fd, image, RESTART, 2), errno.EINVAL),
        ("init, allow-unauthenticated on a checkpoint (of no pid: ESRCH without the rule)", init_call(fd, image, CHECKPOINT, 1, 4000000), errno.EINVAL),
        ("init, kill flag 16 on a restart", init_call(fd, image, RESTART, 16), errno.EINVAL),
        ("init, kill flag 16 on a checkpoint of no pid (taken: ESRCH)", init_call(fd, image, CHECKPOINT, 16, 4000000), errno.ESRCH),
        ("init, unknown flag 32 on a checkpoint of no pid", init_call(fd, image, CHECKPOINT, 32, 4000000), errno.EINVAL),
        # A leave-running checkpoint must not hold its connections (ESRCH without the rule).
        ("init, tcp-established flag 4 without kill on a checkpoint of no pid", init_call(fd, image, CHECKPOINT, 4, 4000000), errno.EINVAL),
        ("init, tcp-established flag 4 with kill 16 on a checkpoint of no pid (taken: ESRCH)", init_call(fd, image, CHECKPOINT, 4 | 16, 4000000), errno.ESRCH),
    ]
    killed = kill_then_resume()
    cases += [
        (f"init kill flag 16 of a live process {killed[3]}", killed[0], 0),
        ("finalize RESUME after init KILL", killed[1], errno.EINVAL),
        ("the session kept after it: a SAVE(TASK)", killed[2], 0),
    ]
    bad = 0
    for name, got, want in cases:
        ok = got == want
        bad += not ok
        print(f"{'ok' if ok else 'WRONG'}: {name}: {errno.errorcode.get(got, got) if got else 0}")
    sys.exit(1 if bad else 0)


main()
