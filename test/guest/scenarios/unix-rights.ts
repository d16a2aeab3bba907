// Files in flight in queued unix messages (SCM_RIGHTS; kmod/cpt_unix_rights.c,
// kmod/cpt_files_save.c): a pipe's read end, a regular file sharing its offset
// with its sender's fd, a TCP listener and an eventfd passed over a stream pair
// and a datagram pair, their sender's copies closed, through checkpoint -> kill
// -> restart; what inspect shows; hostile images; a leave-running checkpoint;
// what a checkpoint refuses. The same in a bound datagram socket's queue, from
// a named and an unnamed sender of the tree (unix-dgram-rights), and in a
// unix listener's connections not accepted yet (unix-pending-rights).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

/** The workload's own checks after DIR/go, with or without a restart before. */
const RECEIVED: Readonly<Record<string, string>> = {
  'scm-fds': "each pair's receiving end has its 3 fds in flight, as fdinfo's scm_fds counts them",
  'stream-pipe': "a stream message comes back with the pipe's read end it carried, which reads what the sender wrote",
  'stream-plain': 'a stream message between two carrying files comes back alone, without fds',
  'stream-file': "a stream message comes back with the regular file and the eventfd it carried, the file read from its sender's offset",
  'file-offset-shared': "the sender's fd on the regular file shares its offset with the one received",
  'dgram-listener': 'a datagram comes back with the TCP listener it carried, which listens on its port and accepts',
  'dgram-twice': "a datagram carrying the eventfd twice comes back with two fds on the stream message's eventfd",
  'dgram-none': 'a datagram carrying nothing comes back without fds',
  drained: 'once every message is read, no fd is left in flight',
  sender: 'the sender runs on and ends well',
};

/** unix_pending_rights's own checks after DIR/go, with or without a restart before. */
const PENDING_RECEIVED: Readonly<Record<string, string>> = {
  'connection-a':
    'the first connection not accepted yet is accepted first, its "pipe+file" message with the root\'s own pipe (what its write end writes) ' +
    'and regular file (one offset with the root\'s fd), then "memfd" with its memfd only in flight ("memfd-data"), its credentials the root\'s, ' +
    'and it carries data back',
  'connection-b': "the child's connection comes second, its message with the child's credentials and the same pipe again",
  'connection-c': 'the connection whose message carries nothing comes third, and carries data back',
  'connection-d':
    'the connection that lowered its SO_SNDBUF below what it queued comes last: its message with the file, ' +
    'the bytes after it, and its SO_SNDBUF as lowered',
  child: 'the child runs on and ends well',
};

export const unixRightsScenarios: readonly Scenario[] = [
  {
    name: 'unix-rights',
    run: cycle('unix_rights', inDir, { after: shellHook('unix-rights', 'inspect_unix_rights') }),
    timeoutSeconds: 120,
    costSeconds: 3.5,
    checks: {
      'unix-rights.checkpoint': 'a tree with files in flight in its unix pairs is checkpointed and killed',
      'unix-rights.exit-status': 'the restarted tree reads each queued message with the files it carried and ends well',
      ...Object.fromEntries(Object.entries(RECEIVED).map(([name, what]) => [`unix-rights.${name}`, `after a restart, ${what}`])),
      'unix-rights.inspect': 'inspect shows the files each queued message carries, and each file only in flight',
      'unix-rights.hostile-count': 'an image with fewer fd lists than queued messages is refused at restart',
      'unix-rights.hostile-id': 'an image whose message carries a file id no File has is refused at restart',
      'unix-rights.hostile-self': 'an image whose message carries its own socket (a file not in flight) is refused at restart',
      'unix-rights.hostile-uncarried': 'an image with files in flight that no message carries is refused at restart',
      'unix-rights.hostile-too-many': 'an image whose message carries more than SCM_MAX_FD files is refused at restart',
      'unix-rights.hostile-lone-end':
        'an image whose first pair end has a pair id no other end has is refused once its files are made, not left connected to a socket nobody holds',
    },
  },
  {
    name: 'unix-rights-running',
    run: shell('unix-rights', 'unix_rights_running'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1,
    checks: {
      'unix-rights-running.checkpoint': 'a checkpoint leaving the tree running saves its files in flight and leaves it running',
      ...Object.fromEntries(
        Object.entries(RECEIVED).map(([name, what]) => [`unix-rights-running.${name}`, `after a leave-running checkpoint, ${what}`]),
      ),
    },
  },
  {
    name: 'unix-dgram-rights',
    run: cycle('unix_dgram_rights', inDir, { after: shellHook('unix-rights', 'after_unix_dgram_rights') }),
    timeoutSeconds: 120,
    costSeconds: 7.5,
    checks: {
      'unix-dgram-rights.checkpoint': 'a tree with files in flight in a bound unix datagram socket’s queue is checkpointed and killed',
      'unix-dgram-rights.exit-status': 'the restarted tree reads each datagram with the files it carried and ends well',
      'unix-dgram-rights.datagrams':
        'after a restart, the bound datagram socket reads its four datagrams in order, each from its sender (named or unnamed) with its files: ' +
        "the root's own regular file (one offset with its fd), an eventfd only in flight (counter 5, the same one twice in a later datagram), " +
        "a pipe's read end that reads what the sender wrote, and none",
      'unix-dgram-rights.senders': 'after a restart, the senders run on and end well',
      'unix-dgram-rights.inspect': 'inspect shows which queued datagrams carry files, and their ids',
      'unix-dgram-rights.hostile-id': 'an image whose datagram carries a file id no File has is refused at restart',
      'unix-dgram-rights.hostile-uncarried': 'an image with files in flight that no datagram carries is refused at restart',
    },
  },
  {
    name: 'unix-pending-rights',
    run: cycle('unix_pending_rights', inDir, { after: shellHook('unix-rights', 'after_unix_pending_rights') }),
    timeoutSeconds: 120,
    // Was 25: 9.2 s in the whole run of 2026-12-07 11:03 (a loaded host), 7.8 s in that of 10:12 (idle).
    costSeconds: 3.5,
    checks: {
      'unix-pending-rights.checkpoint':
        "a tree with files in flight in the messages of a unix listener's connections not accepted yet is checkpointed and killed",
      'unix-pending-rights.exit-status': 'the restarted tree accepts each connection, reads its messages with their files and ends well',
      ...Object.fromEntries(
        Object.entries(PENDING_RECEIVED).map(([name, what]) => [`unix-pending-rights.${name}`, `after a restart, ${what}`]),
      ),
      'unix-pending-rights.inspect': "inspect shows which messages of a listener's pending connections carry files, and their ids",
      'unix-pending-rights.hostile-id': 'an image whose pending message carries a file id no File has is refused at restart',
      'unix-pending-rights.hostile-count': 'an image with fewer fd lists than a pending connection has messages is refused at restart',
      'unix-pending-rights.hostile-too-many': 'an image whose pending message carries more than SCM_MAX_FD files is refused at restart',
      'unix-pending-rights.hostile-uncarried': 'an image with files in flight that no pending message carries is refused at restart',
    },
  },
  {
    name: 'unix-pending-rights-running',
    run: shell('unix-rights', 'unix_pending_rights_running'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 0.5,
    checks: {
      'unix-pending-rights-running.checkpoint':
        "a checkpoint leaving the tree running saves the files in flight in its listener's pending connections and leaves it running",
      ...Object.fromEntries(
        Object.entries(PENDING_RECEIVED).map(([name, what]) => [
          `unix-pending-rights-running.${name}`,
          `after a leave-running checkpoint, ${what}`,
        ]),
      ),
      'unix-pending-rights-running.nested':
        'a checkpoint refuses a connection not accepted yet whose message carries a unix socket with files in flight in its own queue, naming the listener’s fd',
      'unix-pending-rights-running.nested-alive':
        'the process refused for a socket in flight carrying files in its pending connection runs on',
      'unix-pending-rights-running.nested-kept':
        'the process refused accepts the connection, and through the socket it carries receives the pipe',
    },
  },
  {
    name: 'unix-dgram-rights-refused',
    run: shell('unix-rights', 'unix_dgram_rights_refused'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 0.5,
    checks: {
      'unix-dgram-rights-refused.async':
        'a checkpoint refuses a bound datagram socket whose queued message carries a pipe with O_ASYNC, naming the fd that carries it',
      'unix-dgram-rights-refused.async-alive': 'the process refused for a file in flight with O_ASYNC runs on',
      'unix-dgram-rights-refused.async-kept': 'the process refused still receives the message with its pipe, O_ASYNC set',
    },
  },
  {
    name: 'unix-rights-refused',
    run: shell('unix-rights', 'unix_rights_refused'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 1,
    checks: {
      'unix-rights-refused.nested':
        'a checkpoint refuses a unix socket in flight whose own queue carries files, naming the fd that carries it',
      'unix-rights-refused.nested-alive': 'the process refused for a socket in flight carrying files runs on',
      'unix-rights-refused.nested-kept': 'the process refused receives the socket in flight, and through it the file it carried',
    },
  },
];
