"""Copies an image, giving its header record another kernel release, with
the record's length and CRC32C made right again: an image "from another
kernel" for restart to refuse. Usage: rewrite-release.py IN OUT RELEASE"""
import struct
import sys

RELEASE_FIELD = 2  # ImageHeader.kernel_release in proto/cpt.proto


def crc32c(data, crc=0xFFFFFFFF):
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc


def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def rewrite(payload, release):
    out, pos = bytearray(), 0
    while pos < len(payload):
        key, body = read_varint(payload, pos)
        if key & 7 == 2:
            length, start = read_varint(payload, body)
            end = start + length
        else:
            _, end = read_varint(payload, body)
        if key >> 3 == RELEASE_FIELD:
            out += varint(key) + varint(len(release)) + release
        else:
            out += payload[pos:end]
        pos = end
    return bytes(out)


def main():
    src, dst, release = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    image = open(src, 'rb').read()
    magic, rtype, flags, length = struct.unpack_from('<IHHQ', image, 0)
    payload = rewrite(image[16:16 + length], release)
    header = struct.pack('<IHHQ', magic, rtype, flags, len(payload))
    crc = crc32c(header + payload) ^ 0xFFFFFFFF
    rest = image[16 + length + 4:]
    open(dst, 'wb').write(header + payload + struct.pack('<I', crc) + rest)


main()
