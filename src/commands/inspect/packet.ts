// How inspect shows a packet socket (File kind PACKET): its type, ethertype,
// interface, memberships and the options a restart sets again. Pure.
import type { PacketMembership, PacketSocket, SocketOptions } from '../../image/schema.js';
import { socketOptions } from './sockopts.js';

const SOCK_DGRAM = 2;
const MEMBERSHIP_TYPES: Readonly<Record<number, string>> = { 0: 'multicast', 1: 'promisc', 2: 'allmulti', 3: 'unicast' };
const VERSIONS: Readonly<Record<number, string>> = { 0: 'TPACKET_V1', 1: 'TPACKET_V2', 2: 'TPACKET_V3' };

function membership(m: PacketMembership): string {
  const address = m.address.length === 0 ? '' : ` ${[...m.address].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  return `${MEMBERSHIP_TYPES[m.type] ?? `type ${m.type}`}${address} on ${m.ifname}${m.count > 1 ? ` x${m.count}` : ''}`;
}

function packetOptions(s: PacketSocket): string[] {
  const flags: [boolean, string][] = [
    [s.auxdata, 'PACKET_AUXDATA'],
    [s.origdev, 'PACKET_ORIGDEV'],
    [s.vnetHdr, 'PACKET_VNET_HDR'],
    [s.loss, 'PACKET_LOSS'],
  ];
  const values: [number, string][] = [
    [s.reserve, 'PACKET_RESERVE'],
    [s.timestamp, 'PACKET_TIMESTAMP'],
    [s.copyThresh, 'PACKET_COPY_THRESH'],
  ];
  return [
    ...(s.version === 0 ? [] : [`PACKET_VERSION=${VERSIONS[s.version] ?? s.version}`]),
    ...flags.filter(([set]) => set).map(([, name]) => name),
    ...values.filter(([value]) => value !== 0).map(([value, name]) => `${name}=${value}`),
  ];
}

/**
 * One line: "packet raw ethertype 0x88b5 on lo (index 1), memberships promisc on lo x2,
 * options PACKET_VERSION=TPACKET_V2, PACKET_AUXDATA, SO_RCVBUF=131072".
 */
export function describePacket(s: PacketSocket | null, opts: SocketOptions | null): string {
  if (s === null) return '(no socket state)';
  const what = `packet ${s.type === SOCK_DGRAM ? 'datagram' : 'raw'}`;
  const proto = s.protocol === 0 ? 'no ethertype' : `ethertype 0x${s.protocol.toString(16).padStart(4, '0')}`;
  const where = s.ifindex === 0 ? 'every interface' : `${s.ifname} (index ${s.ifindex})`;
  const memberships = s.memberships.length === 0 ? '' : `, memberships ${s.memberships.map(membership).join(', ')}`;
  const options = [...packetOptions(s), ...socketOptions(opts)];
  return `${what} ${proto} on ${where}${memberships}${options.length === 0 ? '' : `, options ${options.join(', ')}`}`;
}
