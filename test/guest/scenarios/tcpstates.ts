// TCP connections closing or half closed (kmod/cpt_file_inet_tcp.c,
// cpt_compat_tcp.c): both ends in the tree, through checkpoint --kill ->
// restart by TCP repair mode, each end in the state it was in, its FINs sent
// and received as before, the close then finished without a reset.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shellHook } from './rows.js';

const CLOSED = 'then each end reads its peer’s stream whole and its end, write() fails with EPIPE where shut down, no socket error';

export const tcpStatesScenarios: readonly Scenario[] = [
  {
    name: 'tcp-states',
    run: cycle('tcp_states', inDir, { after: shellHook('tcpstates', 'after_tcp_states') }),
    timeoutSeconds: 120,
    // 34.8 s of the guest's CPU with a jq for each of its 11 edited images, 10.4 s with one jq for them
    // all (one boot, 2026-12-07 15:08; 42.5 s in the whole run of 14:20, a loaded host).
    costSeconds: 9.5,
    checks: {
      'tcp-states.states-before':
        'before the checkpoint, connections in CLOSE_WAIT, FIN_WAIT2, FIN_WAIT1, LAST_ACK, CLOSING and one shut down for reading',
      'tcp-states.checkpoint': 'the tree holding both ends of each connection is checkpointed and killed',
      'tcp-states.exit-status': 'the restarted tree checks its connections in closing states and ends well',
      'tcp-states.close-wait': `CLOSE_WAIT with the peer’s data and FIN unread, its peer FIN_WAIT2, both as before: ${CLOSED}`,
      'tcp-states.eof-read': `CLOSE_WAIT with the end of stream read, its peer FIN_WAIT2 and shut down both ways: read() gives 0 at once; ${CLOSED}`,
      'tcp-states.shut-rd': `ESTABLISHED shut down for reading: read() gives 0 at once; ${CLOSED}`,
      'tcp-states.fin-wait1': `FIN_WAIT1, its data and FIN unsent behind its peer’s full window: ${CLOSED}`,
      'tcp-states.last-ack': `LAST_ACK, its data and FIN unsent, its peer FIN_WAIT2: ${CLOSED}`,
      'tcp-states.closing': `CLOSING, its FIN unsent, its peer’s received, its peer FIN_WAIT2: ${CLOSED}`,
      'tcp-states.no-reset': 'the network namespace sent no reset from before the checkpoint to the end (/proc/net/snmp OutRsts)',
      'tcp-states.inspect': 'inspect shows each closing connection’s state and shutdown with its queues',
      'tcp-states.hostile-close-wait-shutdown':
        'an image of a CLOSE_WAIT connection not shut down for reading is refused (bad TCP connection state)',
      'tcp-states.hostile-fin-wait2-shutdown': 'FIN_WAIT2 not shut down for writing: refused',
      'tcp-states.hostile-shutdown-bits': 'a shutdown with a bit beyond RCV_SHUTDOWN and SEND_SHUTDOWN: refused',
      'tcp-states.hostile-shutdown-max': 'a shutdown of 2^32-1: refused',
      'tcp-states.hostile-syn-recv': 'a connection in SYN_RECV: refused (bad socket state)',
      'tcp-states.hostile-time-wait': 'in TIME_WAIT: refused',
      'tcp-states.hostile-new-syn-recv': 'in NEW_SYN_RECV: refused',
      'tcp-states.hostile-state-max': 'in state 2^32-1: refused',
      'tcp-states.hostile-syn-sent': 'SYN_SENT with an established connection’s fields: refused',
      'tcp-states.hostile-closing': 'FIN_WAIT1 made CLOSING without the peer’s FIN (not shut down for reading): refused',
      'tcp-states.hostile-syn-seq': 'an ESTABLISHED connection with a SYN sequence number: refused',
    },
  },
];
