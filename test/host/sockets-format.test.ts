// How inspect shows a netlink socket (File kind NETLINK): protocol, port id,
// groups, peer and options; and a packet socket (PACKET): ethertype,
// interface, memberships and options.
import test from 'ava';

import { describeNetlink } from '../../src/commands/inspect/netlink.js';
import { describePacket } from '../../src/commands/inspect/packet.js';
import { socketOptions } from '../../src/commands/inspect/sockopts.js';
import type { NetlinkSocket, PacketSocket, SocketOptions } from '../../src/image/schema.js';

const socket = (fields: Partial<NetlinkSocket>): NetlinkSocket => ({
  protocol: 0,
  type: 3,
  portid: 0,
  groups: [],
  connected: false,
  dstPortid: 0,
  dstGroup: 0,
  pktinfo: false,
  broadcastError: false,
  noEnobufs: false,
  listenAllNsid: false,
  capAck: false,
  extAck: false,
  getStrictChk: false,
  ...fields,
});

const options = (fields: Partial<SocketOptions>): SocketOptions => ({
  rcvbuf: 0,
  sndbuf: 0,
  priority: 0,
  mark: 0,
  passcred: false,
  rcvtimeoUs: 0n,
  sndtimeoUs: 0n,
  timestamp: false,
  timestampns: false,
  timestampNew: false,
  timestamping: 0,
  filter: Buffer.alloc(0),
  lockFilter: false,
  peek: false,
  peekOff: 0,
  ...fields,
});

const rows: [string, NetlinkSocket | null, SocketOptions | null, string][] = [
  ['unbound', socket({}), null, 'netlink route unbound'],
  ['bound with groups', socket({ portid: 1234, groups: [1, 5, 33] }), null, 'netlink route bound to port id 1234, groups 1,5,33'],
  [
    'generic, connected, with options',
    socket({ protocol: 16, type: 2, portid: 7, connected: true, dstPortid: 0, dstGroup: 3, extAck: true, pktinfo: true }),
    options({ rcvbuf: 425984, passcred: true }),
    'netlink generic (datagram) bound to port id 7, connected to port id 0 group 3, options NETLINK_PKTINFO, NETLINK_EXT_ACK, SO_RCVBUF=425984, SO_PASSCRED',
  ],
  ['another protocol', socket({ protocol: 9, portid: 4294967295 }), null, 'netlink protocol 9 bound to port id 4294967295'],
  ['no state', null, null, '(no socket state)'],
];

for (const [name, s, o, expected] of rows) {
  test(`describeNetlink: ${name}`, (t) => {
    t.is(describeNetlink(s, o), expected);
  });
}

const packet = (fields: Partial<PacketSocket>): PacketSocket => ({
  type: 3,
  protocol: 0,
  ifindex: 0,
  ifname: '',
  version: 0,
  auxdata: false,
  origdev: false,
  vnetHdr: false,
  loss: false,
  reserve: 0,
  timestamp: 0,
  copyThresh: 0,
  memberships: [],
  ...fields,
});

const packetRows: [string, PacketSocket | null, SocketOptions | null, string][] = [
  ['unbound', packet({}), null, 'packet raw no ethertype on every interface'],
  [
    'bound, with memberships and options',
    packet({
      protocol: 0x88b5,
      ifindex: 1,
      ifname: 'lo',
      version: 1,
      auxdata: true,
      reserve: 16,
      memberships: [
        { ifindex: 1, ifname: 'lo', type: 1, address: Buffer.alloc(0), count: 2 },
        { ifindex: 2, ifname: 'eth0', type: 0, address: Buffer.from([1, 0, 0x5e, 0, 0, 0xfb]), count: 1 },
      ],
    }),
    options({ rcvbuf: 131072 }),
    'packet raw ethertype 0x88b5 on lo (index 1), memberships promisc on lo x2, multicast 01:00:5e:00:00:fb on eth0, options PACKET_VERSION=TPACKET_V2, PACKET_AUXDATA, PACKET_RESERVE=16, SO_RCVBUF=131072',
  ],
  ['datagram', packet({ type: 2, protocol: 3 }), null, 'packet datagram ethertype 0x0003 on every interface'],
  ['no state', null, null, '(no socket state)'],
];

for (const [name, s, o, expected] of packetRows) {
  test(`describePacket: ${name}`, (t) => {
    t.is(describePacket(s, o), expected);
  });
}

// The options every socket kind saves (SocketOptions), by their setsockopt() names.
const optionRows: [string, Partial<SocketOptions>, string[]][] = [
  ['none', {}, []],
  ['timeouts', { rcvtimeoUs: 1_500_000n, sndtimeoUs: 4000n }, ['SO_RCVTIMEO=1.500000s', 'SO_SNDTIMEO=0.004000s']],
  ['SO_TIMESTAMP', { timestamp: true }, ['SO_TIMESTAMP']],
  ['SO_TIMESTAMPNS_NEW', { timestamp: true, timestampns: true, timestampNew: true }, ['SO_TIMESTAMPNS_NEW']],
  ['SO_TIMESTAMPING_NEW', { timestamping: 0x18, timestampNew: true }, ['SO_TIMESTAMPING_NEW=0x18']],
  ['a locked filter', { filter: Buffer.alloc(32), lockFilter: true }, ['SO_ATTACH_FILTER (4 instructions)', 'SO_LOCK_FILTER']],
  ['buffers first', { sndbuf: 4608, rcvtimeoUs: 1n }, ['SO_SNDBUF=4608', 'SO_RCVTIMEO=0.000001s']],
  ['a peek offset of 0', { peek: true }, ['SO_PEEK_OFF=0']],
];

for (const [name, fields, expected] of optionRows) {
  test(`socketOptions: ${name}`, (t) => {
    t.deepEqual(socketOptions(options(fields)), expected);
  });
}
