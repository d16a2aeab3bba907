// How inspect shows a netlink socket (File kind NETLINK): protocol, port id,
// groups, peer and options.
import test from 'ava';

import { describeNetlink } from '../../src/commands/inspect/netlink.js';
import type { NetlinkSocket, SocketOptions } from '../../src/image/schema.js';

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
