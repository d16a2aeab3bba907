"""Copies an image with one field of its header record replaced, the
record's length and CRC32C made right again, and the trailer's byte count
with them: an otherwise valid image "from another kernel" or "for another
CPU", for restart to refuse.
Usage: rewrite-header.py IN OUT release RELEASE | xfeatures-or MASK"""
import struct
import sys

# ImageHeader's fields in proto/cpt.proto.
RELEASE_FIELD = 2
XFEATURES_FIELD = 4
# The trailer record's type, and its field counting the bytes before it.
TRAILER = 255
TRAILER_BYTES_FIELD = 2


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


def rewrite(payload, field, replace):
    """Re-encodes payload with replace(old) as the new value of field."""
    out, pos = bytearray(), 0
    while pos < len(payload):
        key, body = read_varint(payload, pos)
        if key & 7 == 2:
            length, start = read_varint(payload, body)
            end = start + length
            value = payload[start:end]
        else:
            value, end = read_varint(payload, body)
        if key >> 3 == field:
            new = replace(value)
            if key & 7 == 2:
                out += varint(key) + varint(len(new)) + new
            else:
                out += varint(key) + varint(new)
        else:
            out += payload[pos:end]
        pos = end
    return bytes(out)


def main():
    src, dst, what, arg = sys.argv[1:5]
    if what == 'release':
        field, replace = RELEASE_FIELD, lambda _: arg.encode()
    else:
        field, replace = XFEATURES_FIELD, lambda old: old | int(arg, 0)
    image = open(src, 'rb').read()
    magic, rtype, flags, length = struct.unpack_from('<IHHQ', image, 0)
    payload = rewrite(image[16:16 + length], field, replace)
    growth = len(payload) - length
    out = bytearray(record(magic, rtype, flags, payload))
    pos = 16 + length + 4
    while pos < len(image):
        magic, rtype, flags, length = struct.unpack_from('<IHHQ', image, pos)
        body = image[pos + 16:pos + 16 + length]
        if rtype == TRAILER:
            # The trailer counts the bytes before it: the header grew by growth.
            body = rewrite(body, TRAILER_BYTES_FIELD, lambda old: old + growth)
            out += record(magic, rtype, flags, body)
        else:
            out += image[pos:pos + 16 + length + 4]
        pos += 16 + length + 4
    open(dst, 'wb').write(bytes(out))


def record(magic, rtype, flags, payload):
    """A record: its header, payload and CRC32C of both."""
    header = struct.pack('<IHHQ', magic, rtype, flags, len(payload))
    return header + payload + struct.pack('<I', crc32c(header + payload) ^ 0xFFFFFFFF)


main()
