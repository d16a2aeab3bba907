// TCP and UDP sockets (kmod/cpt_file_inet.c): listeners, bound and unbound
// TCP sockets, connected UDP sockets and their options through checkpoint ->
// kill -> restart, as root and as an unprivileged user; what a checkpoint
// refuses by name (connections not accepted yet, a TCP connection, an
// option it does not save; UDP's queued datagrams: udpqueue.ts); a port taken before the restart;
// SO_MARK for a caller without CAP_NET_ADMIN.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const SERVER_CHECKS = {
  'listener-v4':
    'a TCP listener on 127.0.0.1 keeps its port and its options (keepalive, TCP_KEEPIDLE/INTVL/CNT, TCP_NODELAY, a locked SO_RCVBUF, SO_LINGER, SO_PRIORITY, SO_MARK, IP_TOS, IP_TTL, IP_FREEBIND, SO_BINDTODEVICE, SO_RCVLOWAT, SO_OOBINLINE)',
  'listener-v6':
    'a v6-only TCP listener on [::1] keeps its port and options (SO_REUSEPORT, a locked SO_SNDBUF, TCP_CORK, IPV6_TCLASS, IPV6_UNICAST_HOPS)',
  'listener-mapped': 'a TCP listener on the v4-mapped ::ffff:127.0.0.1 keeps its address and port',
  'tcp-bound': 'a TCP socket bound and not listening keeps its port',
  'tcp-unbound': 'an unbound TCP socket comes back unbound, with TCP_NODELAY',
  'udp-a': 'a bound and connected UDP socket keeps its name and SO_BROADCAST',
  'udp-b': 'its peer, bound and connected to it, keeps its name',
  'udp6-unbound': 'an unbound UDP v6 socket comes back unbound',
  udplite: 'a bound UDP-Lite socket keeps its port',
  mark: 'SO_MARK comes back where the workload could set it',
  'accept-v4': 'the v4 listener accepts a new client and they exchange data',
  'accept-v6': 'the v6 listener accepts a new client and they exchange data',
  'accept-mapped': 'a v4 client connects to the v4-mapped listener and they exchange data',
  'bound-listens': 'the bound socket listens on its port and serves a client',
  'udp-pair': 'the UDP pair exchanges datagrams, each from the source it is connected to',
};

/** The same checks for another scenario: its name prefixes each check, and `who` each title. */
const prefixed = (prefix: string, checks: Record<string, string>, who = ''): Record<string, string> =>
  Object.fromEntries(Object.entries(checks).map(([name, title]) => [`${prefix}.${name}`, who ? `${who}: ${title}` : title]));

export const inetScenarios: readonly Scenario[] = [
  {
    name: 'inet-server',
    run: cycle('inet_server', (dir) => ['serve', ...inDir(dir)], { after: shellHook('inet', 'inspect_inet') }),
    timeoutSeconds: 120,
    costSeconds: 3,
    checks: {
      'inet-server.checkpoint': 'a server holding TCP listeners, bound and unbound TCP sockets and UDP sockets is checkpointed and killed',
      'inet-server.exit-status': 'the restarted server checks its sockets and ends well',
      ...prefixed('inet-server', SERVER_CHECKS),
      'inet-server.inspect': 'inspect shows each socket with its protocol, state, addresses and options',
      'inet-server.hostile-state': 'an image with a TCP socket in a state this step does not restore is refused at restart',
      'inet-server.hostile-address': 'an image with a truncated socket address is refused at restart',
    },
  },
  {
    name: 'inet-user',
    run: shell('inet', 'inet_user'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 2.5,
    checks: {
      'inet-user.checkpoint': 'nobody checkpoints its own server holding TCP and UDP sockets',
      'inet-user.exit-status': 'the server restarted by nobody (with CAP_CHECKPOINT_RESTORE) ends well',
      ...prefixed('inet-user', SERVER_CHECKS, 'restarted by nobody'),
    },
  },
  {
    name: 'inet-refused',
    run: shell('inet', 'inet_refused'),
    cli: true,
    timeoutSeconds: 70,
    costSeconds: 1.5,
    checks: Object.fromEntries(
      (
        [
          ['backlog', 'a TCP listener with a connection not accepted yet'],
          ['established', 'a TCP connection closed by both ends (its socket CLOSE, the connection TIME_WAIT)'],
          ['option', 'a socket option it does not save (TCP_FASTOPEN)'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`inet-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`inet-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`inet-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
  {
    name: 'inet-port-taken',
    run: shell('inet', 'inet_port_taken'),
    cli: true,
    timeoutSeconds: 70,
    costSeconds: 1,
    checks: {
      'inet-port-taken.refused': 'a restart whose port another socket took fails, naming the fd, address and port',
      'inet-port-taken.nothing-bound': 'the failed restart leaves nothing bound: the port of the socket it had bound is free',
      'inet-port-taken.exit-status': 'the same image restarts once the port is free',
      'inet-port-taken.accept-v4': 'its v4 listener accepts a new client',
      'inet-port-taken.accept-v6': 'its v6 listener accepts a new client',
    },
  },
  {
    name: 'inet-mark',
    run: shell('inet', 'inet_mark'),
    cli: true,
    timeoutSeconds: 70,
    costSeconds: 3.5,
    checks: {
      'inet-mark.refused': 'a restart by a caller without CAP_NET_ADMIN or CAP_NET_RAW is refused the saved SO_MARK, by name',
      'inet-mark.exit-status': 'the same image restarted by root ends well',
      'inet-mark.mark': 'the listener has its SO_MARK back',
    },
  },
];
