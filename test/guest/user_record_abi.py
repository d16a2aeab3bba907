"""CPT_IOC_USER_RECORD's rules (kmod/uapi/linux/cpt.h), driven straight at
/dev/cpt in a checkpoint session of the pid given: only CPT_REC_MANIFEST, no
flags or reserved bits, only right after INIT's records and once (EINVAL),
so that no caller has the module write (and tag) a record of a type the
module reads itself. Prints one line per case and exits 1 if any case went
otherwise. The session is never finalized: closing /dev/cpt aborts it."""
import ctypes
import errno
import fcntl
import os
import struct
import sys

MAGIC = 0xCF
INIT_FMT = "<IIQIIQQ"  # image_fd, mode, flags, target, reserved0, reserved[2]
RECORD_FMT = "<IIQQQQ"  # type, flags, buf, len, reserved[2]
CHECKPOINT = 1
REC_MANIFEST, REC_TASK = 2, 16
SUBSYS_TASK = 1


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (MAGIC << 8) | nr


def call(fd, request, buf):
    try:
        fcntl.ioctl(fd, request, buf)
        return 0
    except OSError as e:
        return e.errno


def record_call(fd, rtype, ptr, length, flags=0, reserved=0):
    buf = bytearray(struct.pack(RECORD_FMT, rtype, flags, ptr, length, reserved, 0))
    return call(fd, ioc(3, 9, len(buf)), buf)


def main():
    target = int(sys.argv[1])
    fd = os.open("/dev/cpt", os.O_RDWR)
    image = os.open("/dev/null", os.O_RDWR)
    payload = bytearray(b"\x10\x01")  # Manifest { root_pid: 1 }
    ptr = ctypes.addressof((ctypes.c_char * len(payload)).from_buffer(payload))
    cases = [("before INIT", record_call(fd, REC_MANIFEST, ptr, len(payload)), errno.EINVAL)]
    init = bytearray(struct.pack(INIT_FMT, image, CHECKPOINT, 0, target, 0, 0, 0))
    cases.append(("INIT", call(fd, ioc(1, 1, len(init)), init), 0))
    cases += [
        ("a TASK record", record_call(fd, REC_TASK, ptr, len(payload)), errno.EINVAL),
        ("a flag", record_call(fd, REC_MANIFEST, ptr, len(payload), flags=1), errno.EINVAL),
        ("reserved nonzero", record_call(fd, REC_MANIFEST, ptr, len(payload), reserved=1), errno.EINVAL),
        ("more than CPT_USER_RECORD_MAX", record_call(fd, REC_MANIFEST, ptr, (16 << 20) + 1), errno.EFBIG),
    ]
    fd2 = os.open("/dev/cpt", os.O_RDWR)
    init2 = bytearray(struct.pack(INIT_FMT, image, CHECKPOINT, 0, target, 0, 0, 0))
    os.close(fd)  # a fresh session for the rest
    cases += [
        ("INIT again", call(fd2, ioc(1, 1, len(init2)), init2), 0),
        ("the manifest", record_call(fd2, REC_MANIFEST, ptr, len(payload)), 0),
        ("a second manifest", record_call(fd2, REC_MANIFEST, ptr, len(payload)), errno.EINVAL),
    ]
    failed = False
    for name, got, want in cases:
        ok = got == want
        failed |= not ok
        print(f"{name}: {errno.errorcode.get(got, got) if got else 0} (want {errno.errorcode.get(want, want) if want else 0}) {'ok' if ok else 'WRONG'}")
    os.close(fd2)
    sys.exit(1 if failed else 0)


main()
