// Unix sockets that are neither listeners nor pairs of the tree
// (kmod/cpt_unix_unpaired.c, File kinds UNIX_STREAM and UNIX_DGRAM): unbound
// and bound stream and seqpacket sockets, datagram sockets bound, connected and
// with queued datagrams, through checkpoint -> kill -> restart; what inspect
// shows; hostile images; what a checkpoint refuses by name.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const REFUSED: readonly (readonly [string, string])[] = [
  ['creds', 'a datagram queued with the credentials (SCM_CREDENTIALS) of a sender that exited, which a restart cannot give back'],
  ['outside', 'a datagram socket connected to an unnamed socket outside the tree (the other end of its pair)'],
  ['option', 'a unix socket option it does not save (SO_KEEPALIVE)'],
  ['listener-option', 'an option set on a listener that a restart does not set again (SO_RCVLOWAT)'],
];

export const unixUnpairedScenarios: readonly Scenario[] = [
  {
    name: 'unix-unpaired',
    run: cycle('unix_sockets', inDir, { after: shellHook('unix-unpaired', 'inspect_unix_unpaired') }),
    timeoutSeconds: 150,
    costSeconds: 3,
    checks: {
      'unix-unpaired.checkpoint': 'a tree holding unix sockets neither listening nor pairs is checkpointed and killed',
      'unix-unpaired.exit-status': 'the restarted tree checks its unix sockets and ends well',
      'unix-unpaired.stream-unbound': 'an unbound stream socket keeps its type, O_NONBLOCK, SO_PASSCRED and shutdown state',
      'unix-unpaired.stream-path': "a stream socket bound to a path keeps its name, SO_SNDBUF and its socket file's owner and mode",
      'unix-unpaired.stream-path-listens': 'the bound stream socket listens and accepts on its name again',
      'unix-unpaired.seqpacket-abstract': 'a seqpacket socket bound to an abstract name keeps it',
      'unix-unpaired.dgram-queue':
        "a bound datagram socket's queue comes back: each datagram whole (an empty one too, and one of 300,000 bytes that only a raised SO_SNDBUF sends), in order, with its sender's name",
      'unix-unpaired.dgram-names': 'datagram sockets keep their path, abstract or no name',
      'unix-unpaired.dgram-connected': 'datagram sockets connected to a bound socket of the tree are connected to it again',
      'unix-unpaired.dgram-connect-filter': "a connected datagram socket refuses other senders' datagrams again",
      'unix-unpaired.dgram-pair-empty': 'a datagram socket pair keeps an empty datagram queued',
      'unix-unpaired.dgram-child': "a child's datagram socket connected to its parent's bound socket sends to it again",
      'unix-unpaired.inspect': 'inspect shows each unix socket with its name, peer, queue, shutdown, options and socket file',
      'unix-unpaired.hostile-queue': 'an image with datagrams queued for an unnamed socket is refused at restart',
      'unix-unpaired.hostile-name': 'an image with a socket name longer than struct sockaddr_un is refused at restart',
      'unix-unpaired.hostile-sender': "an image with a datagram's sender of another family is refused at restart",
    },
  },
  {
    name: 'unix-refused',
    run: shell('unix-unpaired', 'unix_refused'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: Object.fromEntries(
      REFUSED.flatMap(([kind, what]) => [
        [`unix-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`unix-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`unix-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
