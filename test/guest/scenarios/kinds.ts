// Kinds of kernel state a checkpoint met and a restart lost or died on:
// an epoll instance whose interest list outlives the fds it was made
// with (kmod/cpt_file_epoll.c), and what cptctl says when a restoring
// task dies or a later process refuses (src/commands/restart).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

export const kindsScenarios: readonly Scenario[] = [
  {
    name: 'epoll-kept',
    run: cycle('epoll_kept', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'epoll-kept.checkpoint': 'a process whose epoll instance watches closed, reused, shared and nested fds is checkpointed and killed',
      'epoll-kept.exit-status': 'the restarted process checks its epoll instances and ends well',
      'epoll-kept.epoll-quiet': 'nothing is ready before anything is written',
      'epoll-kept.epoll-closed-fd': 'the entry of a closed fd still reports its file, which another fd holds',
      'epoll-kept.epoll-reused-fd': 'the entry of an fd that now names another file reports its own file',
      'epoll-kept.epoll-reuser': 'the file now at that fd has its own entry',
      'epoll-kept.epoll-dup-fds': 'two fds of one pipe are two entries, each with its data',
      'epoll-kept.epoll-nested': 'a nested epoll instance reports its pipe and is reported by the outer one',
    },
  },
  {
    name: 'restart-why',
    run: shell('kinds', 'restart_why'),
    cli: true,
    // inspect --json and two encodes of a 300 KiB image: node is slow in the guest
    timeoutSeconds: 150,
    costSeconds: 3,
    checks: {
      'restart-why.died-says-why': "a restoring task that dies: cptctl names the task, the step and the signal or the module's message",
      'restart-why.later-refusal-named': 'a later process that refuses: cptctl shows its reason, not ECANCELED',
    },
  },
];
