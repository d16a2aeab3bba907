// How inspect shows a TCP, UDP, ICMP ping or raw socket (File kind INET): addresses as
// inet_ntop() writes them, the state, and the options a restart sets again.
import test from 'ava';

import { describeInet, inetAddress } from '../../src/commands/inspect/inet.js';
import type { InetSocket } from '../../src/image/schema.js';

function sockaddrIn(addr: readonly number[], port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(addr).copy(b, 4);
  return b;
}

function sockaddrIn6(addr: readonly number[], port: number, scope = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(addr).copy(b, 8);
  b.writeUInt32LE(scope, 24);
  return b;
}

const LOOPBACK6 = [...Array<number>(15).fill(0), 1];
const MAPPED = [...Array<number>(10).fill(0), 0xff, 0xff, 127, 0, 0, 1];
const LINK_LOCAL = [0xfe, 0x80, ...Array<number>(12).fill(0), 0x12, 0x34];

const socket = (fields: Partial<InetSocket>): InetSocket => ({
  family: 2,
  type: 1,
  protocol: 6,
  state: 7,
  local: Buffer.alloc(0),
  peer: Buffer.alloc(0),
  localAddrBound: false,
  backlog: 0,
  reuseaddr: false,
  reuseport: false,
  keepalive: false,
  keepidle: 0,
  keepintvl: 0,
  keepcnt: 0,
  nodelay: false,
  cork: false,
  rcvbuf: 0,
  sndbuf: 0,
  linger: false,
  lingerSeconds: 0,
  priority: 0,
  mark: 0,
  bindDevice: '',
  freebind: false,
  tos: 0,
  ttl: 0,
  v6only: false,
  rcvlowat: 0,
  broadcast: false,
  oobinline: false,
  tclass: 0,
  hopLimit: 0,
  tcpSendSeq: 0,
  tcpRecvSeq: 0,
  tcpSendQueue: Buffer.alloc(0),
  tcpUnsent: 0,
  tcpRecvQueue: Buffer.alloc(0),
  tcpMss: 0,
  tcpSndWscale: 0,
  tcpRcvWscale: 0,
  tcpWscaleOk: false,
  tcpSackOk: false,
  tcpTimestampOk: false,
  tcpTimestamp: 0,
  tcpSndWl1: 0,
  tcpSndWnd: 0,
  tcpMaxWindow: 0,
  tcpRcvWnd: 0,
  tcpRcvWup: 0,
  tcpRcvbuf: 0,
  tcpSndbuf: 0,
  tcpShutdown: 0,
  tcpSynSeq: 0,
  hdrincl: false,
  icmpFilter: 0,
  icmp6Filter: Buffer.alloc(0),
  udpQueue: [],
  udpCorked: Buffer.alloc(0),
  udpCorkDest: Buffer.alloc(0),
  udpCorkSource: Buffer.alloc(0),
  udpCork: false,
  tcpDeferAccept: 0,
  tcpCongestion: '',
  ...fields,
});

test('addresses: v4, v6 with the longest zero run as ::, v4-mapped, link-local with its scope', (t) => {
  t.is(inetAddress(sockaddrIn([127, 0, 0, 1], 8080)), '127.0.0.1:8080');
  t.is(inetAddress(sockaddrIn6(LOOPBACK6, 443)), '[::1]:443');
  t.is(inetAddress(sockaddrIn6(Array<number>(16).fill(0), 53)), '[::]:53');
  t.is(inetAddress(sockaddrIn6(MAPPED, 80)), '[::ffff:127.0.0.1]:80');
  t.is(inetAddress(sockaddrIn6(LINK_LOCAL, 22, 2)), '[fe80::1234%2]:22');
  t.is(inetAddress(Buffer.from([1, 0])), '(none)');
});

test('TCP_DEFER_ACCEPT, TCP_CONGESTION and the options every kind saves (SocketOptions) follow the others', (t) => {
  t.is(
    describeInet(socket({ state: 10, local: sockaddrIn([127, 0, 0, 1], 80), backlog: 4, tcpDeferAccept: 3, tcpCongestion: 'reno' }), {
      rcvbuf: 0,
      sndbuf: 0,
      priority: 0,
      mark: 0,
      passcred: false,
      rcvtimeoUs: 250_000n,
      sndtimeoUs: 0n,
      timestamp: true,
      timestampns: false,
      timestampNew: false,
      timestamping: 0,
      filter: Buffer.alloc(8),
      lockFilter: false,
      peek: false,
      peekOff: 0,
    }),
    'TCP/IPv4 listening on 127.0.0.1:80, backlog 4, options TCP_DEFER_ACCEPT=3, TCP_CONGESTION=reno, SO_RCVTIMEO=0.250000s, SO_TIMESTAMP, SO_ATTACH_FILTER (1 instructions)',
  );
});

test('a listener with its backlog and options, by their setsockopt() names', (t) => {
  t.is(
    describeInet(
      socket({
        state: 10,
        local: sockaddrIn([127, 0, 0, 1], 8080),
        backlog: 7,
        reuseaddr: true,
        nodelay: true,
        keepidle: 77,
        mark: 42,
        linger: true,
        lingerSeconds: 3,
        bindDevice: 'lo',
      }),
    ),
    'TCP/IPv4 listening on 127.0.0.1:8080, backlog 7, options SO_REUSEADDR, TCP_NODELAY, TCP_KEEPIDLE=77, SO_MARK=42, SO_LINGER=3s, SO_BINDTODEVICE=lo',
  );
});

test('unbound, bound and connected sockets', (t) => {
  t.is(describeInet(socket({ family: 10 })), 'TCP/IPv6 unbound');
  t.is(describeInet(socket({ type: 2, protocol: 136, local: sockaddrIn([127, 0, 0, 1], 9) })), 'UDP-Lite/IPv4 bound to 127.0.0.1:9');
  t.is(
    describeInet(socket({ type: 2, protocol: 17, state: 1, local: sockaddrIn([127, 0, 0, 1], 9), peer: sockaddrIn([127, 0, 0, 1], 10) })),
    'UDP/IPv4 127.0.0.1:9 connected to 127.0.0.1:10',
  );
  t.is(describeInet(null), '(no socket state)');
});

test('a TCP connection still connecting: its peer and its SYN’s sequence number', (t) => {
  t.is(
    describeInet(socket({ state: 2, local: sockaddrIn([127, 0, 0, 1], 40000), peer: sockaddrIn([127, 0, 0, 1], 80), tcpSynSeq: 123456 })),
    'TCP/IPv4 127.0.0.1:40000 connecting to 127.0.0.1:80, SYN_SENT, SYN seq 123456',
  );
});

test('a UDP socket queue: the count, bytes, sizes and senders of its datagrams, the first eight listed', (t) => {
  const datagram = (size: number, source: Buffer) => ({ data: Buffer.alloc(size), source, timestamp: 0n, truesize: 768 });
  t.is(
    describeInet(
      socket({
        family: 10,
        type: 2,
        protocol: 17,
        local: sockaddrIn6(LOOPBACK6, 9),
        v6only: true,
        udpQueue: [datagram(5, sockaddrIn6(LOOPBACK6, 4000)), datagram(0, sockaddrIn([127, 0, 0, 1], 4001))],
      }),
    ),
    'UDP/IPv6 bound to [::1]:9, options IPV6_V6ONLY, queue 2 datagrams (5 bytes): 5 bytes from [::1]:4000, 0 bytes from 127.0.0.1:4001',
  );
  t.is(
    describeInet(
      socket({
        type: 2,
        protocol: 17,
        local: sockaddrIn([127, 0, 0, 1], 9),
        udpQueue: Array.from({ length: 10 }, (_, i) => datagram(i, sockaddrIn([127, 0, 0, 1], 5000 + i))),
      }),
    ),
    'UDP/IPv4 bound to 127.0.0.1:9, queue 10 datagrams (45 bytes): ' +
      Array.from({ length: 8 }, (_, i) => `${i} bytes from 127.0.0.1:${5000 + i}`).join(', ') +
      ', and 2 more',
  );
});

test('a UDP socket with data corked: its size, destination and source; UDP_CORK with its options', (t) => {
  const udp = { type: 2, protocol: 17, local: sockaddrIn([127, 0, 0, 1], 9) };
  t.is(
    describeInet(
      socket({
        ...udp,
        udpCorked: Buffer.from('corked'),
        udpCorkDest: sockaddrIn([127, 0, 0, 1], 4000),
        udpCorkSource: sockaddrIn([127, 0, 0, 1], 9),
      }),
    ),
    'UDP/IPv4 bound to 127.0.0.1:9, corked 6 bytes to 127.0.0.1:4000 from 127.0.0.1:9',
  );
  t.is(
    describeInet(
      socket({ ...udp, udpCork: true, udpCorkDest: sockaddrIn([127, 0, 0, 1], 4000), udpCorkSource: sockaddrIn([127, 0, 0, 1], 9) }),
    ),
    'UDP/IPv4 bound to 127.0.0.1:9, options UDP_CORK, corked 0 bytes to 127.0.0.1:4000 from 127.0.0.1:9',
  );
});

test('ICMP ping sockets with their echo id, raw sockets without a port, with IP_HDRINCL and ICMP filters', (t) => {
  t.is(describeInet(socket({ type: 2, protocol: 1, local: sockaddrIn([127, 0, 0, 1], 77) })), 'ICMP ping/IPv4 bound to 127.0.0.1:77');
  t.is(
    describeInet(
      socket({
        family: 10,
        type: 2,
        protocol: 58,
        state: 1,
        local: sockaddrIn6(LOOPBACK6, 5),
        peer: sockaddrIn6(LOOPBACK6, 0),
        v6only: true,
      }),
    ),
    'ICMPv6 ping/IPv6 [::1]:5 connected to [::1]:0, options IPV6_V6ONLY',
  );
  t.is(
    describeInet(socket({ type: 3, protocol: 1, local: sockaddrIn([0, 0, 0, 0], 1), icmpFilter: 0x100 })),
    'raw ICMP/IPv4 bound to 0.0.0.0, options ICMP_FILTER=0x100',
  );
  t.is(
    describeInet(
      socket({
        type: 3,
        protocol: 17,
        state: 1,
        local: sockaddrIn([127, 0, 0, 1], 17),
        peer: sockaddrIn([127, 0, 0, 1], 0),
        hdrincl: true,
      }),
    ),
    'raw UDP/IPv4 127.0.0.1 connected to 127.0.0.1, options IP_HDRINCL',
  );
  t.is(
    describeInet(socket({ family: 10, type: 3, protocol: 58, local: sockaddrIn6(LOOPBACK6, 58), icmp6Filter: Buffer.from([0xfd, 0xff]) })),
    'raw ICMPv6/IPv6 bound to [::1], options ICMPV6_FILTER=fdff',
  );
  t.is(
    describeInet(socket({ type: 3, protocol: 6, state: 1, local: sockaddrIn([127, 0, 0, 1], 6), peer: sockaddrIn([127, 0, 0, 1], 0) })),
    'raw TCP/IPv4 127.0.0.1 connected to 127.0.0.1',
  );
});

test('an established TCP connection with its queues, sequence numbers, handshake options and windows', (t) => {
  t.is(
    describeInet(
      socket({
        family: 10,
        state: 1,
        local: sockaddrIn6(LOOPBACK6, 40000),
        peer: sockaddrIn6(LOOPBACK6, 8080),
        nodelay: true,
        tcpSendSeq: 1000,
        tcpSendQueue: Buffer.alloc(10),
        tcpUnsent: 4,
        tcpRecvSeq: 77,
        tcpMss: 65483,
        tcpWscaleOk: true,
        tcpSndWscale: 7,
        tcpRcvWscale: 6,
        tcpSackOk: true,
        tcpTimestampOk: true,
        tcpSndWnd: 65536,
        tcpRcvWnd: 43690,
      }),
    ),
    'TCP/IPv6 [::1]:40000 connected to [::1]:8080, send queue 10 bytes from seq 1000 (4 unsent), receive queue 0 bytes from seq 77, ' +
      'MSS 65483, wscale 7/6, SACK, timestamps, windows snd 65536 rcv 43690, options TCP_NODELAY',
  );
});

test('a closing TCP connection shows its state and shutdown before its queues', (t) => {
  t.is(
    describeInet(
      socket({
        state: 9,
        local: sockaddrIn([127, 0, 0, 1], 8080),
        peer: sockaddrIn([127, 0, 0, 1], 40000),
        tcpShutdown: 3,
        tcpSendSeq: 5,
        tcpSendQueue: Buffer.alloc(3),
        tcpRecvSeq: 9,
        tcpMss: 1460,
      }),
    ),
    'TCP/IPv4 127.0.0.1:8080 connected to 127.0.0.1:40000, LAST_ACK, shut down for reading and writing, send queue 3 bytes from seq 5 (0 unsent), ' +
      'receive queue 0 bytes from seq 9, MSS 1460, windows snd 0 rcv 0',
  );
});
