// Process trees and threads through checkpoint -> kill -> restart, each
// workload checking its own state after the restart; and through cptctl's
// command line: a refused restart, --pidns, a restart beside a fork loop.
import { inspect } from '../../../src/commands/inspect/inspect.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

/**
 * inspect of the 15-process tree's image: one summary per process, each
 * with its own task, signals, registers, files and memory, and no note (a
 * summary that kept the root's records alone noted pages in no VMA and
 * page counts that did not match).
 */
async function inspectWholeTree(context: ScenarioContext): Promise<void> {
  const { summary } = await inspect(context.image);
  const processes = (summary.tree?.tasks ?? []).filter((task) => task.pid === task.tgid && !task.zombie);
  const incomplete = summary.processes.filter(
    (p) =>
      p.task === null ||
      p.signals === null ||
      p.cpu === null ||
      p.mm === null ||
      (p.files === null && p.fdTableOf === 0) ||
      p.pages.outsideVmas !== 0n,
  );
  context.result(
    'inspect.tree-processes',
    summary.processes.length === processes.length && processes.length >= 14 && incomplete.length === 0,
    `${summary.processes.length} processes summed up for the tree's ${processes.length} live ones; ` +
      `incomplete: ${incomplete.map((p) => p.pid).join(' ') || 'none'}`,
  );
  context.result('inspect.tree-no-notes', summary.notes.length === 0, `notes: ${summary.notes.join(' | ') || 'none'}`);
}

export const treeScenarios: readonly Scenario[] = [
  {
    name: 'tree',
    // Then, with one of its pids taken, a restart of its image fails, naming it.
    run: cycle('tree_state', inDir, {
      after: async (context) => {
        await inspectWholeTree(context);
        await shellHook('tree', 'tree_taken')(context);
      },
    }),
    timeoutSeconds: 60,
    costSeconds: 11,
    checks: {
      'tree.exit-status': 'a 15-process tree restarts and its root exits 0',
      'tree.setup': 'the tree workload was set up before its checkpoint',
      'tree.root-ids': "the tree's root keeps its pid, group and session",
      'tree.zombie-status': 'a zombie comes back as a zombie and is reaped with its exit status',
      'tree.subtree-A': 'subtree A (3 levels, its own group) keeps pids, parents, groups and session',
      'tree.subtree-B': "subtree B (a member of a sibling's group) keeps its ids",
      'tree.subtree-C': 'subtree C keeps its ids',
      'tree.subtree-D': 'subtree D keeps a group whose leader is gone (a placeholder)',
      'tree.all-exited': 'every process of the restarted tree exits, nothing is left',
      'tree-taken.refused': 'a tree restart whose pid is taken fails naming the pid',
      'tree-taken.nothing-left': 'a failed tree restart leaves no task behind',
      'inspect.tree-processes':
        'inspect of the 15-process tree sums up every process with its own task, signals, registers, files and memory',
      'inspect.tree-no-notes': 'inspect of the 15-process tree prints no note',
    },
  },
  {
    name: 'threads',
    // Then two --pidns restarts of its image at once.
    run: cycle('threads_token', inDir, { after: shellHook('tree', 'pidns_both') }),
    timeoutSeconds: 60,
    costSeconds: 4,
    checks: {
      'threads.exit-status': 'a 7-thread process restarts and exits 0',
      'threads.join': 'pthread_join works after restart (clear_child_tid)',
      'threads.tls': 'every thread keeps its TLS',
      'threads.tids': 'every thread keeps its tid',
      'threads.token-count': 'threads hand a mutex/condvar token around after restart',
      'threads.robust-owner-dead': "the robust futex list survives: a dead owner's mutex says EOWNERDEAD",
      'pidns.both': 'two --pidns restarts of one image run at once',
    },
  },
  {
    name: 'tsig',
    run: cycle('threads_signals', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'tsig.exit-status': 'threads with their own signal state restart and exit 0',
      'tsig.masks': 'each thread keeps its blocked mask',
      'tsig.pending-none': 'no signal appears pending where none was',
      'tsig.pending-t1': 'a thread-directed pending signal stays with its thread',
      'tsig.pending-t3': 'a thread-directed pending realtime signal stays with its thread',
      'tsig.delivered-t1': 'the pending signal is delivered in its own thread',
      'tsig.delivered-t3': 'the pending realtime signal is delivered in its own thread',
    },
  },
  {
    name: 'orphan',
    run: cycle('orphan_session', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'orphan.exit-status': 'a tree with a session whose leader is gone restarts and exits 0',
      'orphan.members': 'the leaderless session comes back (a placeholder leader) with its members under the subreaper',
    },
  },
  {
    name: 'race',
    run: shell('tree', 'race'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 4.5,
    checks: {
      'race.restart': 'a restart succeeds beside a fork loop cycling through its pids',
      'race.forkloop-no-reserved': 'forks elsewhere never receive a pid the restart reserved',
      'race.forkloop-forked': 'the fork loop really forked during the restart',
    },
  },
];
