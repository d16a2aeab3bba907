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
With --icmp-error PID, instead: the IPv4 end that process PID holds (the
restored one, parked) gets IP_RECVERR set through a copy of its fd
(pidfd_getfd(), as any root process could) and an ICMP port unreachable
quoting a segment it sent at its snd_una: TCP takes it as a hard error,
sk_err set (ECONNREFUSED), the connection still ESTABLISHED. Prints what it
sent, then "established N of M".
Usage: tcp-inject.py IMAGE.json (cptctl inspect --json) [--icmp-error PID]"""
import ctypes
import os
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


def table(inodes=None):
    """{(local port, peer port): (state, tx_queue, rx_queue)} of /proc/net/tcp and tcp6;
    each socket's inode into inodes, {inode: (local port, peer port)}, if given."""
    seen = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                tx, rx = (int(n, 16) for n in fields[4].split(":"))
                ports = (int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16))
                seen[ports] = (int(fields[3], 16), tx, rx)
                if inodes is not None:
                    inodes[int(fields[9])] = ports
    return seen


def made(ends):
    """Whether every end is ESTABLISHED with its queues as saved."""
    seen = table()
    return all(seen.get((e["lport"], e["pport"])) == (TCP_ESTABLISHED, e["tx"], e["rx"]) for e in ends)


def held_by(pid, ends):
    """(end, fd) of the IPv4 end of ends that process pid holds."""
    inodes = {}
    table(inodes)
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if not link.startswith("socket:["):
            continue
        ports = inodes.get(int(link[8:-1]))
        for e in ends:
            if e["family"] == socket.AF_INET and ports == (e["lport"], e["pport"]):
                return e, int(fd)
    return None, None


def icmp_error(pid, ends):
    """IP_RECVERR on pid's IPv4 end, then an ICMP port unreachable for it."""
    e, fd = held_by(pid, ends)
    if e is None:
        print("no IPv4 end of the image among the fds of pid %d" % pid)
        sys.exit(1)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    copy = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
    if copy < 0:
        print("pidfd_getfd of fd %d of pid %d: %s" % (fd, pid, os.strerror(ctypes.get_errno())))
        sys.exit(1)
    os.close(pidfd)
    sk = socket.socket(fileno=copy)
    sk.setsockopt(socket.SOL_IP, 11, 1)  # IP_RECVERR
    sk.detach()
    os.close(copy)
    # The segment quoted: the end's own, to its peer, at its snd_una.
    quoted = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, socket.IPPROTO_TCP, 0,
                         socket.inet_aton(e["local"]), socket.inet_aton(e["peer"]))
    quoted += struct.pack("!HHI", e["lport"], e["pport"], e["snd_una"])
    body = struct.pack("!BBHI", 3, 3, 0, 0) + quoted  # destination unreachable, port
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw.sendto(body, (e["local"], 0))
    raw.close()
    print("IP_RECVERR on fd %d of pid %d, then ICMP port unreachable to %s:%d for %s:%d at seq %d"
          % (fd, pid, e["local"], e["lport"], e["peer"], e["pport"], e["snd_una"]))


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
    for e in ends if len(sys.argv) < 4 else []:
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
    if len(sys.argv) == 4 and sys.argv[2] == "--icmp-error":
        icmp_error(int(sys.argv[3]), ends)
    marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker.bind(("127.0.0.1", 0))
    marker.settimeout(10)
    marker.sendto(b"after", marker.getsockname())
    marker.recv(16)
    seen = table()
    still = sum(seen.get((e["lport"], e["pport"]), (0,))[0] == TCP_ESTABLISHED for e in ends)
    print("established %d of %d" % (still, len(ends)))


main()
