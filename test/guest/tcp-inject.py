"""Segments of a stranger, sent over loopback to the TCP connections of an
image while a restart has made them again and is paused before its final
step (kmod/cpt_file_inet_tcp.c holds them until then): to each IPv4 end a
reset whose sequence number is exactly its rcv_nxt (RFC 5961 takes it), to
each IPv6 end 4 bytes of data at its rcv_nxt, acknowledging its snd_una
(taken into its receive queue, in the middle of the program's stream).
First waits (60 s at most) until every end is made and its queues filled
(/proc/net/tcp's tx_queue and rx_queue as the image's). Then a datagram
through loopback after them, received: loopback delivers in
order, so every segment was through TCP (or dropped) by then. Prints what
it sent, then "established N of M": how many of the ends are still
ESTABLISHED in /proc/net/tcp and tcp6.
Usage: tcp-inject.py IMAGE.json (cptctl inspect --json)"""
import base64
import json
import socket
import struct
import sys
import time

TCP_ESTABLISHED = 1
RST, PSH, ACK = 0x04, 0x08, 0x10


def sockaddr(b64):
    """(family, address, port) of a struct sockaddr_in or sockaddr_in6."""
    raw = base64.b64decode(b64)
    family = struct.unpack_from("<H", raw)[0]
    port = struct.unpack_from(">H", raw, 2)[0]
    if family == socket.AF_INET:
        return family, socket.inet_ntop(family, raw[4:8]), port
    return family, socket.inet_ntop(family, raw[8:24]), port


def connections(image):
    """Each ESTABLISHED TCP end the image holds."""
    for record in image["recordList"]:
        if record.get("type") != "FILES":
            continue
        for f in record["message"].get("files", []):
            inet = f.get("inet")
            if not inet or inet.get("protocol") != 6 or inet.get("state") != TCP_ESTABLISHED:
                continue
            yield inet


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def segment(family, src, dst, sport, dport, seq, ack, flags, payload):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    length = len(header) + len(payload)
    s, d = socket.inet_pton(family, src), socket.inet_pton(family, dst)
    if family == socket.AF_INET:
        pseudo = s + d + struct.pack("!BBH", 0, socket.IPPROTO_TCP, length)
    else:
        pseudo = s + d + struct.pack("!IxxxB", length, socket.IPPROTO_TCP)
    total = checksum(pseudo + header + payload)
    return header[:16] + struct.pack("!H", total) + header[18:] + payload


def table():
    """{(local port, peer port): (state, tx_queue, rx_queue)} of /proc/net/tcp and tcp6."""
    seen = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                tx, rx = (int(n, 16) for n in fields[4].split(":"))
                ports = (int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16))
                seen[ports] = (int(fields[3], 16), tx, rx)
    return seen


def made(ends):
    """Whether every end is ESTABLISHED with its queues as saved."""
    seen = table()
    return all(seen.get((e["lport"], e["pport"])) == (TCP_ESTABLISHED, e["tx"], e["rx"]) for e in ends)


def main():
    with open(sys.argv[1]) as f:
        image = json.load(f)
    ends = []
    for inet in connections(image):
        family, local, lport = sockaddr(inet["local"])
        _, peer, pport = sockaddr(inet["peer"])
        rx = len(base64.b64decode(inet.get("tcpRecvQueue", "")))
        tx = len(base64.b64decode(inet.get("tcpSendQueue", "")))
        ends.append({"family": family, "local": local, "lport": lport, "peer": peer, "pport": pport,
                     "rcv_nxt": (int(inet.get("tcpRecvSeq", 0)) + rx) % 2**32,
                     "snd_una": int(inet.get("tcpSendSeq", 0)) % 2**32, "tx": tx, "rx": rx})
    deadline = time.monotonic() + 60
    while not made(ends):
        if time.monotonic() > deadline:
            print("not every end made again with its queues as saved within 60 s (or data moved since): %s" % table())
            sys.exit(1)
        time.sleep(0.1)
    for e in ends:
        family, local, lport, peer, pport = e["family"], e["local"], e["lport"], e["peer"], e["pport"]
        rcv_nxt, snd_una = e["rcv_nxt"], e["snd_una"]
        raw = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
        raw.bind((peer, 0))
        if family == socket.AF_INET:
            what, seg = "reset", segment(family, peer, local, pport, lport, rcv_nxt, 0, RST, b"")
        else:
            what, seg = "4 bytes", segment(family, peer, local, pport, lport, rcv_nxt, snd_una, PSH | ACK, b"XXXX")
        raw.sendto(seg, (local, 0))
        raw.close()
        print("%s to %s:%d from %s:%d at seq %d" % (what, local, lport, peer, pport, rcv_nxt))
    marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker.bind(("127.0.0.1", 0))
    marker.settimeout(10)
    marker.sendto(b"after", marker.getsockname())
    marker.recv(16)
    seen = table()
    still = sum(seen.get((e["lport"], e["pport"]), (0,))[0] == TCP_ESTABLISHED for e in ends)
    print("established %d of %d" % (still, len(ends)))


main()
