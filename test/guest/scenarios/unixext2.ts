// Unix sockets connected to a server outside the tree
// (kmod/cpt_unix_unpaired.c): a datagram socket connected to a syslog-like
// server's path is connected to it again at restart, the server getting what
// the client logs before and after; a restart refuses by name a path that is
// gone or is no datagram socket any more. A stream socket connected to a server
// outside the tree is refused unless checkpoint --ext-unix-sk, which connects
// it again at restart (a new connection). A file in flight in a pair's queue
// (SCM_RIGHTS) of a kind no checkpoint saves is refused by name.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const unixext2Scenarios: readonly Scenario[] = [
  {
    name: 'unixext2-dgram',
    run: shell('unixext2', 'unixext2_dgram'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 4.5,
    checks: {
      'unixext2-dgram.checkpoint':
        'a client whose datagram socket is connected to a log server outside the tree is checkpointed and killed',
      'unixext2-dgram.inspect': "inspect shows the datagram socket connected to the server's path, outside the tree",
      'unixext2-dgram.exit-status': 'the restarted client logs again and ends well',
      'unixext2-dgram.dgram-peer': "the restarted client's datagram socket is connected to the server's path",
      'unixext2-dgram.dgram-send-after': 'the restarted client sends to the server through its connected socket',
      'unixext2-dgram.server-received':
        'the server outside the tree received what the client logged before the checkpoint and after the restart',
      'unixext2-dgram.path-gone': "a restart once the server's path is gone is refused, naming the path",
      'unixext2-dgram.path-stream': 'a restart once a stream listener holds the path is refused, naming the path',
      'unixext2-dgram.hostile-relative': 'an image whose socket outside the tree has a relative path is refused at restart',
      'unixext2-dgram.hostile-no-peer': 'an image with a peer outside the tree but no name is refused at restart',
    },
  },
  {
    name: 'unixext2-stream',
    run: shell('unixext2', 'unixext2_stream'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: {
      'unixext2-stream.refused':
        'without --ext-unix-sk, a checkpoint refuses a stream socket connected to a server outside the tree, naming the fd and the option',
      'unixext2-stream.refused-alive': 'the client refused without --ext-unix-sk runs on',
      'unixext2-stream.refused-kept': 'the client refused without --ext-unix-sk still talks with the server on its connection',
      'unixext2-stream.queued':
        "with --ext-unix-sk, a checkpoint refuses the connection while the server's answer is unread, naming the fd",
      'unixext2-stream.queued-alive': 'the client refused for its unread answer runs on',
      'unixext2-stream.queued-kept': 'the client refused for its unread answer reads it, and its connection still answers',
      'unixext2-stream.checkpoint': 'with --ext-unix-sk, a client connected to a server outside the tree is checkpointed and killed',
      'unixext2-stream.inspect': "inspect shows the stream socket connected to the server's path, outside the tree",
      'unixext2-stream.exit-status': 'the restarted client talks with the server again and ends well',
      'unixext2-stream.stream-peer': "the restarted client's stream socket is connected to the server's path",
      'unixext2-stream.stream-new-connection': 'the restarted client is answered by a new connection of the server',
      'unixext2-stream.server-accepted':
        'the server logged the message before the checkpoint and the one after the restart on two connections',
    },
  },
  {
    name: 'unixext2-rights',
    run: shell('unixext2', 'unixext2_rights'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 0.5,
    checks: {
      'unixext2-rights.pair':
        'a checkpoint refuses a socket pair with a file in flight in its queue (SCM_RIGHTS) of no kind it saves (a NETLINK_FIB_LOOKUP socket), naming the fd',
      'unixext2-rights.pair-alive': 'the process refused for an fd in flight runs on',
      'unixext2-rights.pair-kept': 'the process refused for an fd in flight receives it',
    },
  },
];
