// How inspect shows a TCP, UDP, ICMP ping or raw socket (File kind INET):
// its protocol, state, addresses and the options a restart sets again. Pure.
import type { InetSocket, SocketOptions } from '../../image/schema.js';
import { socketOptions } from './sockopts.js';

const AF_INET = 2;
const AF_INET6 = 10;
const TCP_ESTABLISHED = 1;
const TCP_SYN_SENT = 2;
const TCP_LISTEN = 10;
/** The states of a TCP connection other than ESTABLISHED an image holds (a closing one's). */
const TCP_CLOSING_STATES: Readonly<Record<number, string>> = {
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  11: 'CLOSING',
};
const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SOCK_STREAM = 1;
const SOCK_RAW = 3;
const PROTOCOLS: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 136: 'UDP-Lite', 255: 'RAW' };
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

/** An IPv6 address as inet_ntop() writes it: the longest run of zero groups as ::, a v4-mapped one with its dotted quad. */
function ipv6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (best < 0) return hexes.join(':');
  return `${hexes.slice(0, best).join(':')}::${hexes.slice(best + bestLength).join(':')}`;
}

/**
 * A struct sockaddr_in or sockaddr_in6 as "127.0.0.1:80" or "[::1]:80" (with %scope);
 * without the port (a raw socket's, which is its protocol): "127.0.0.1", "[::1]".
 */
export function inetAddress(addr: Buffer, withPort = true): string {
  if (addr.length < 4) return '(none)';
  const family = addr.readUInt16LE(0);
  const port = withPort ? `:${addr.readUInt16BE(2)}` : '';
  if (family === AF_INET && addr.length >= 8) return `${[...addr.subarray(4, 8)].join('.')}${port}`;
  if (family === AF_INET6 && addr.length >= 28) {
    const scope = addr.readUInt32LE(24);
    return `[${ipv6Text(addr.subarray(8, 24))}${scope === 0 ? '' : `%${scope}`}]${port}`;
  }
  return `(family ${family}, ${addr.length} bytes)`;
}

/** The options a restart sets again, by their setsockopt() names. */
function inetOptions(s: InetSocket): string[] {
  const flags: [boolean, string][] = [
    [s.v6only, 'IPV6_V6ONLY'],
    [s.reuseaddr, 'SO_REUSEADDR'],
    [s.reuseport, 'SO_REUSEPORT'],
    [s.freebind, 'IP_FREEBIND'],
    [s.keepalive, 'SO_KEEPALIVE'],
    [s.nodelay, 'TCP_NODELAY'],
    [s.cork, 'TCP_CORK'],
    [s.udpCork, 'UDP_CORK'],
    [s.broadcast, 'SO_BROADCAST'],
    [s.oobinline, 'SO_OOBINLINE'],
    [s.hdrincl, 'IP_HDRINCL'],
  ];
  const values: [number, string][] = [
    [s.keepidle, 'TCP_KEEPIDLE'],
    [s.keepintvl, 'TCP_KEEPINTVL'],
    [s.keepcnt, 'TCP_KEEPCNT'],
    [s.rcvbuf, 'SO_RCVBUF'],
    [s.sndbuf, 'SO_SNDBUF'],
    [s.priority, 'SO_PRIORITY'],
    [s.mark, 'SO_MARK'],
    [s.tos, 'IP_TOS'],
    [s.ttl, 'IP_TTL'],
    [s.tclass, 'IPV6_TCLASS'],
    [s.hopLimit, 'IPV6_UNICAST_HOPS'],
    [s.rcvlowat, 'SO_RCVLOWAT'],
    [s.tcpDeferAccept, 'TCP_DEFER_ACCEPT'],
  ];
  return [
    ...flags.filter(([set]) => set).map(([, name]) => name),
    ...values.filter(([value]) => value !== 0).map(([value, name]) => `${name}=${value}`),
    ...(s.linger ? [`SO_LINGER=${s.lingerSeconds}s`] : []),
    ...(s.bindDevice === '' ? [] : [`SO_BINDTODEVICE=${s.bindDevice}`]),
    ...(s.tcpCongestion === '' ? [] : [`TCP_CONGESTION=${s.tcpCongestion}`]),
    ...(s.icmpFilter === 0 ? [] : [`ICMP_FILTER=0x${s.icmpFilter.toString(16)}`]),
    ...(s.icmp6Filter.length === 0 ? [] : [`ICMPV6_FILTER=${s.icmp6Filter.toString('hex')}`]),
  ];
}

/**
 * A TCP connection's state as TCP repair mode restores it (a closing one's
 * state and shutdown first, ", CLOSE_WAIT, shut down for reading"):
 * ", send queue 10 bytes from seq 1000 (4 unsent), receive queue 0 bytes from seq 77,
 * MSS 65483, wscale 7/7, SACK, timestamps, windows snd 65536 rcv 65536"; "" for another socket.
 */
function tcpConnection(s: InetSocket): string {
  // A raw socket of IPPROTO_TCP's number is no connection.
  if (s.type !== SOCK_STREAM || s.protocol !== 6) return '';
  const agreed = [
    `MSS ${s.tcpMss}`,
    ...(s.tcpWscaleOk ? [`wscale ${s.tcpSndWscale}/${s.tcpRcvWscale}`] : []),
    ...(s.tcpSackOk ? ['SACK'] : []),
    ...(s.tcpTimestampOk ? ['timestamps'] : []),
  ];
  const shut = [...(s.tcpShutdown & RCV_SHUTDOWN ? ['reading'] : []), ...(s.tcpShutdown & SEND_SHUTDOWN ? ['writing'] : [])];
  return (
    (TCP_CLOSING_STATES[s.state] === undefined ? '' : `, ${TCP_CLOSING_STATES[s.state]}`) +
    (shut.length === 0 ? '' : `, shut down for ${shut.join(' and ')}`) +
    `, send queue ${s.tcpSendQueue.length} bytes from seq ${s.tcpSendSeq} (${s.tcpUnsent} unsent)` +
    `, receive queue ${s.tcpRecvQueue.length} bytes from seq ${s.tcpRecvSeq}` +
    `, ${agreed.join(', ')}, windows snd ${s.tcpSndWnd} rcv ${s.tcpRcvWnd}`
  );
}

/** How many of a UDP queue's datagrams inspect lists, oldest first. */
const SHOWN_DATAGRAMS = 8;

/**
 * A UDP socket's datagrams not read yet: ", queue 2 datagrams (1005 bytes):
 * 5 bytes from 127.0.0.1:4000, 1000 bytes from [::1]:4001"; "" for none.
 */
function udpQueue(s: InetSocket): string {
  const queue = s.udpQueue;
  if (queue.length === 0) return '';
  const bytes = queue.reduce((sum, d) => sum + d.data.length, 0);
  const shown = queue.slice(0, SHOWN_DATAGRAMS).map((d) => `${d.data.length} bytes from ${inetAddress(d.source)}`);
  const more = queue.length > SHOWN_DATAGRAMS ? `, and ${queue.length - SHOWN_DATAGRAMS} more` : '';
  return `, queue ${queue.length} datagrams (${bytes} bytes): ${shown.join(', ')}${more}`;
}

/** A UDP socket's data corked: ", corked 6 bytes to 127.0.0.1:4000 from 127.0.0.1:4001"; "" for none. */
function udpCorked(s: InetSocket): string {
  if (s.udpCorkDest.length === 0) return '';
  return `, corked ${s.udpCorked.length} bytes to ${inetAddress(s.udpCorkDest)} from ${inetAddress(s.udpCorkSource)}`;
}

/** "TCP", "raw ICMP", "ICMP ping": what the socket is, by its type and protocol. */
function protocolName(s: InetSocket): string {
  const name = PROTOCOLS[s.protocol] ?? `protocol ${s.protocol}`;
  if (s.type === SOCK_RAW) return `raw ${name}`;
  return s.protocol === IPPROTO_ICMP || s.protocol === IPPROTO_ICMPV6 ? `${name} ping` : name;
}

/**
 * One line: "TCP/IPv6 listening on [::1]:8080, backlog 7, options SO_REUSEADDR, ...";
 * an ICMP ping socket's port is its echo id, a raw socket has none.
 */
export function describeInet(s: InetSocket | null, opts: SocketOptions | null = null): string {
  if (s === null) return '(no socket state)';
  const family = s.family === AF_INET ? 'IPv4' : s.family === AF_INET6 ? 'IPv6' : `family ${s.family}`;
  const what = `${protocolName(s)}/${family}`;
  const withPort = s.type !== SOCK_RAW;
  const local = s.local.length === 0 ? '' : inetAddress(s.local, withPort);
  let state: string;
  if (s.state === TCP_LISTEN) state = `listening on ${local}, backlog ${s.backlog}`;
  else if (s.type === SOCK_STREAM && s.state === TCP_SYN_SENT)
    state = `${local} connecting to ${inetAddress(s.peer, withPort)}, SYN_SENT, SYN seq ${s.tcpSynSeq}`;
  else if (s.state === TCP_ESTABLISHED || (s.type === SOCK_STREAM && TCP_CLOSING_STATES[s.state] !== undefined))
    state = `${local} connected to ${inetAddress(s.peer, withPort)}${tcpConnection(s)}`;
  else state = local === '' ? 'unbound' : `bound to ${local}`;
  const options = [...inetOptions(s), ...socketOptions(opts)];
  return `${what} ${state}${options.length === 0 ? '' : `, options ${options.join(', ')}`}${udpQueue(s)}${udpCorked(s)}`;
}
