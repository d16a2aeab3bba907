// How inspect shows a netlink socket (File kind NETLINK): its protocol,
// port id, groups, peer and the options a restart sets again. Pure.
import type { NetlinkSocket, SocketOptions } from '../../image/schema.js';
import { socketOptions } from './sockopts.js';

const PROTOCOLS: Readonly<Record<number, string>> = { 0: 'route', 4: 'sock_diag', 15: 'uevent', 16: 'generic' };
const SOCK_DGRAM = 2;

function netlinkOptions(s: NetlinkSocket): string[] {
  const flags: [boolean, string][] = [
    [s.pktinfo, 'NETLINK_PKTINFO'],
    [s.broadcastError, 'NETLINK_BROADCAST_ERROR'],
    [s.noEnobufs, 'NETLINK_NO_ENOBUFS'],
    [s.listenAllNsid, 'NETLINK_LISTEN_ALL_NSID'],
    [s.capAck, 'NETLINK_CAP_ACK'],
    [s.extAck, 'NETLINK_EXT_ACK'],
    [s.getStrictChk, 'NETLINK_GET_STRICT_CHK'],
  ];
  return flags.filter(([set]) => set).map(([, name]) => name);
}

/**
 * One line: "netlink route bound to port id 1234, groups 1,5,33, connected to
 * port id 0, options NETLINK_EXT_ACK, SO_RCVBUF=425984".
 */
export function describeNetlink(s: NetlinkSocket | null, opts: SocketOptions | null): string {
  if (s === null) return '(no socket state)';
  const what = `netlink ${PROTOCOLS[s.protocol] ?? `protocol ${s.protocol}`}${s.type === SOCK_DGRAM ? ' (datagram)' : ''}`;
  const bound = s.portid === 0 ? 'unbound' : `bound to port id ${s.portid}`;
  const groups = s.groups.length === 0 ? '' : `, groups ${s.groups.join(',')}`;
  const peer = s.connected ? `, connected to port id ${s.dstPortid}${s.dstGroup === 0 ? '' : ` group ${s.dstGroup}`}` : '';
  const options = [...netlinkOptions(s), ...socketOptions(opts)];
  return `${what} ${bound}${groups}${peer}${options.length === 0 ? '' : `, options ${options.join(', ')}`}`;
}
