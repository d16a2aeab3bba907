// Netlink sockets (kmod/cpt_file_netlink.c, cpt_compat_netlink.c, cpt_sock.c)
// through checkpoint -> kill -> restart: route and generic sockets keep
// their port ids (the kernel's autobind's, the tgid, and one chosen),
// groups (above 32 too), peer and options, and still work: a link dump,
// the generic controller's reply, an address added through one and its
// notification received on another; as nobody too; what inspect shows;
// hostile images; a restart whose port id another socket holds; what a
// checkpoint refuses by name (unread messages, a dump in progress, a
// protocol it does not save).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const SOCKETS = {
  'route-autobound': 'a NETLINK_ROUTE socket bound by the kernel, with groups 1, 5 and 33 and its options',
  'route-connected': 'a NETLINK_ROUTE socket bound to a chosen port id, connected to the kernel, with NETLINK_CAP_ACK and SO_PASSCRED',
  'generic-unbound': 'an unbound NETLINK_GENERIC datagram socket',
  'generic-autobound': 'a NETLINK_GENERIC socket bound by its first send',
  'route-unbound-groups': 'an unbound NETLINK_ROUTE socket listening to a group',
};

/** The workload's checks for both rows, as PREFIX's; `whose` says whose process (root’s, nobody’s). */
function workloadChecks(prefix: string, whose: string): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(SOCKETS).map(([name, what]) => [
        `${prefix}.${name}`,
        `${what} of ${whose} process keeps its port id, groups, peer and options`,
      ]),
    ),
    [`${prefix}.tgid-portid`]: `the socket the kernel bound for ${whose} process has the tgid as its port id`,
    [`${prefix}.route-dump`]: `the route socket of ${whose} process dumps the links (RTM_GETLINK) and finds lo`,
    [`${prefix}.generic-unbound-works`]: `the unbound generic socket of ${whose} process gets the controller’s family (CTRL_CMD_GETFAMILY)`,
    [`${prefix}.generic-autobound-works`]: `the autobound generic socket of ${whose} process gets the controller’s family`,
  };
}

export const netlinkScenarios: readonly Scenario[] = [
  {
    name: 'netlink',
    run: cycle('netlink_sockets', (dir) => ['serve', ...inDir(dir)], { after: shellHook('netlink', 'after_netlink') }),
    timeoutSeconds: 150,
    costSeconds: 3,
    checks: {
      'netlink.checkpoint': 'a process holding netlink route and generic sockets is checkpointed and killed',
      'netlink.exit-status': 'the restarted process checks its netlink sockets and ends well',
      ...workloadChecks('netlink', 'root’s'),
      'netlink.route-connected-works': 'the connected route socket adds 127.0.0.9 to lo and gets its ack',
      'netlink.route-notified':
        'the route socket listening to RTNLGRP_IPV4_IFADDR gets the RTM_NEWADDR notification, with its group (NETLINK_PKTINFO)',
      'netlink.route-connected-deletes': 'the connected route socket removes 127.0.0.9',
      'netlink.inspect': 'inspect shows each netlink socket with its protocol, port id, groups, peer and options',
      'netlink.hostile-protocol': 'an image with a netlink socket of a protocol not saved (audit) is refused at restart',
      'netlink.hostile-peer': 'an image with a peer group on a socket not connected is refused at restart',
      'netlink.hostile-group': 'an image with groups out of order is refused at restart',
      'netlink.hostile-rcvbuf': 'an image with an SO_RCVBUF above INT_MAX is refused at restart',
      'netlink.portid-taken':
        'a restart whose socket’s port id another socket holds is refused, naming the fd and port id, nothing left running',
    },
  },
  {
    name: 'netlink-user',
    run: shell('netlink', 'netlink_user'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 1.5,
    checks: {
      'netlink-user.checkpoint': 'nobody checkpoints its process holding netlink sockets',
      'netlink-user.exit-status': 'nobody’s restarted process checks its netlink sockets and ends well',
      ...workloadChecks('netlink-user', 'nobody’s'),
    },
  },
  {
    name: 'netlink-refused',
    run: shell('netlink', 'netlink_refused'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 2.5,
    checks: Object.fromEntries(
      (
        [
          ['unread', 'a netlink socket with a reply not read yet'],
          ['dump', 'a netlink socket with a dump in progress'],
          ['protocol', 'a netlink socket of a protocol it does not save (NETLINK_FIB_LOOKUP)'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`netlink-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd and why`],
        [`netlink-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`netlink-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
