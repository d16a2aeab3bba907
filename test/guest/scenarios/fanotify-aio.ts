// fanotify instances with their marks (kmod/cpt_fanotify.c) through
// checkpoint -> kill -> restart, what inspect shows of them, hostile images,
// and what a checkpoint refuses of them, naming the fd; and the AIO
// context with a request in flight a checkpoint refuses by name.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

export const fanotifyAioScenarios: readonly Scenario[] = [
  {
    name: 'fanotify-state',
    run: cycle('fanotify_state', inDir, { after: shellHook('fanotify-aio', 'after_fanotify_state') }),
    // inspect, inspect --json, and encode and restart of three hostile images: node is slow in the guest
    timeoutSeconds: 150,
    // 46.1 s of the guest's CPU and a 5 s wait in a boot; 14.8 s and 0.5 s with one node for its hook's cptctl calls (cost x0.3).
    costSeconds: 5.5,
    checks: {
      'fanotify-state.checkpoint': 'a process holding two fanotify instances with inode and filesystem marks is checkpointed and killed',
      'fanotify-state.exit-status': 'the restarted process checks its fanotify instances and ends well',
      'fanotify-state.fdinfo-a':
        "the privileged instance's fdinfo (init flags, event flags, each mark's flags, mask and ignore mask) reads as before",
      'fanotify-state.fdinfo-b': "the unprivileged instance's fdinfo reads as before",
      'fanotify-state.file-events': 'a write to the marked file is reported (FAN_MODIFY, FAN_CLOSE_WRITE) with an fd of it',
      'fanotify-state.child-open-event': "an open of a marked directory's child is reported, its close not",
      'fanotify-state.held-event': 'the evictable mark of a file held open reports a write',
      'fanotify-state.no-other-event': 'the fanotify instance reports no event beyond those expected',
      'fanotify-state.unprivileged': 'the instance made without CAP_SYS_ADMIN still may not mark a filesystem (EPERM)',
      'fanotify-state.flags': 'O_NONBLOCK and FD_CLOEXEC of each instance are as they were',
      'fanotify-state.inspect': "inspect shows each instance's flags and marks",
      'fanotify-state.hostile-type': 'an image whose mark is of an unknown type (a mount mark) is refused at restart, naming it',
      'fanotify-state.hostile-flags': 'an image whose mark has flags fanotify_mark() does not show is refused at restart',
      'fanotify-state.hostile-count': 'an image with more marks than a restart adds (8,193) is refused at restart',
    },
  },
  {
    name: 'fanotify-refused',
    run: shell('fanotify-aio', 'fanotify_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: Object.fromEntries(
      (
        [
          ['queued', 'a fanotify instance with an event not read yet'],
          ['mount', 'a fanotify mark on a mount'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`fanotify-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`fanotify-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`fanotify-refused.${kind}-kept`, `the process refused for ${what} still has it as it was`],
      ]),
    ),
  },
  {
    name: 'aio-refused',
    run: shell('fanotify-aio', 'aio_refused'),
    cli: true,
    timeoutSeconds: 40,
    costSeconds: 2.5,
    checks: {
      'aio-refused.refused': "a checkpoint refuses an AIO context with a request in flight by its ring's range",
      'aio-refused.alive': 'the process refused for its AIO context runs on',
      'aio-refused.kept': 'its AIO context still completes the poll in flight, then a read',
    },
  },
];
