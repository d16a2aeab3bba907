// Process states a checkpoint meets (issue 13): a zombie leading its own
// group whose child it made its sibling (CLONE_PARENT); processes stopped
// by job control, with their parent's wait reports; processes traced by
// ptrace, from inside the tree and from outside it, which a checkpoint
// refuses by name and leaves running.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { encodeJsonText } from '../../../src/commands/encode/encode.js';
import { formatInspectJson, formatInspectText } from '../../../src/commands/inspect/format.js';
import { inspect } from '../../../src/commands/inspect/inspect.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { cycle, exitedWithin, inDir } from './rows.js';

/**
 * Seconds a refusal "at once" may take: less than the freeze's timeout
 * (kmod/cpt_freeze.c, CPT_FREEZE_TIMEOUT), which a refusal that waited for
 * a traced task to stop would have taken first, whatever the machine's speed.
 */
const AT_ONCE_SECONDS = 10;

/**
 * A checkpoint --kill of the traced workload: refused at once, naming the
 * traced pid and its tracer, and the tree runs on and ends well once let go.
 */
async function tracedRefused(context: ScenarioContext, name: string, where: 'inner' | 'outer'): Promise<void> {
  const workload = await context.startWorkload('traced', [context.dir, where]);
  const [traced, tracer] = workload.ready.split(' ').map(Number);
  const started = Date.now();
  const failure = await context.checkpoint(workload.pid, 'kill');
  const seconds = (Date.now() - started) / 1000;
  const named = new RegExp(`pid ${traced}\\b.*traced by .*\\b${tracer}\\b`);
  context.result(
    `${name}.refused`,
    failure !== null && named.test(failure) && seconds < AT_ONCE_SECONDS,
    `checkpoint of a tree whose pid ${traced} is traced by ${tracer} (${where}), ${seconds.toFixed(1)} s: ${failure ?? 'succeeded'}`,
  );
  context.go();
  const status = await exitedWithin(workload, 20_000);
  context.result(`${name}.exit-status`, status === 0, `the tree, let go after the refusal, exited ${status}`);
  context.relayResults(name);
}

/**
 * inspect of the stopped workload's image: the stopped processes' threads
 * with their stop signals, and the reports their parent had not taken.
 */
async function inspectStopped(context: ScenarioContext): Promise<void> {
  const { summary } = await inspect(context.image);
  const text = formatInspectText(summary, context.image);
  const lines = text.split('\n').filter((line) => line.includes('job control:'));
  const want = [
    /stopped by SIGTSTP/,
    /process stopped, stop by SIGTSTP not yet reported/,
    /process stopped, stop by SIGSTOP not yet reported/,
    /process stopped$/,
    /process continued, continue not yet reported/,
  ];
  const missing = want.filter((re) => !lines.some((line) => re.test(line.trim())));
  context.result(
    'inspect.job-control',
    missing.length === 0,
    `job-control lines: ${lines.map((line) => line.trim()).join(' | ')}; missing: ${missing.map(String).join(' ') || 'none'}`,
  );
}

interface TaskRecordJson {
  type?: string;
  message?: Record<string, unknown>;
}

/**
 * The stopped workload's image with its TASK records edited by edit (which
 * returns whether it changed one): its restart must be refused, saying says.
 */
async function restartEditedTasks(
  context: ScenarioContext,
  json: string,
  name: string,
  edit: (tasks: Record<string, unknown>[]) => boolean,
  says: RegExp,
): Promise<void> {
  const document = JSON.parse(json) as { recordList: TaskRecordJson[] };
  const tasks = document.recordList.filter((r) => r.type === 'TASK' && r.message !== undefined).map((r) => r.message!);
  let said: string;
  if (!edit(tasks)) {
    said = 'nothing to edit in the image';
  } else {
    const image = join(context.dir, `${name}.img`);
    try {
      writeFileSync(image, (await encodeJsonText(JSON.stringify(document), `${name}.json`)).bytes);
      const restarted = await context.restart(image);
      process.kill(restarted.pid, 'SIGKILL');
      said = `restarted as pid ${restarted.pid}`;
    } catch (error: unknown) {
      said = (error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ');
    }
  }
  context.result(`stopped.${name}-refused`, says.test(said), `restart: ${said}`);
}

/** Hostile job-control states: a signal that stops nothing, a stopped process with a thread outside its stop. */
async function stoppedRefusals(context: ScenarioContext): Promise<void> {
  const { summary, records } = await inspect(context.image, { records: true });
  const json = formatInspectJson(summary, context.image, records);
  await restartEditedTasks(
    context,
    json,
    'no-stop-signal',
    (tasks) => {
      const stopped = tasks.find((t) => Number(t['stopSignal']) !== 0);
      if (stopped !== undefined) stopped['stopSignal'] = 9;
      return stopped !== undefined;
    },
    /EBADMSG.*malformed job-control state \(stop signal 9/,
  );
  await restartEditedTasks(
    context,
    json,
    'thread-outside-stop',
    (tasks) => {
      // S3's second thread: a task of a stopped process that is not its main thread.
      const thread = tasks.find((t) => t['pid'] !== t['tgid'] && Number(t['stopSignal']) !== 0);
      if (thread !== undefined) delete thread['stopSignal'];
      return thread !== undefined;
    },
    /its threads' job-control state does not match its own/,
  );
}

export const procStateScenarios: readonly Scenario[] = [
  {
    name: 'zombie-pgrp',
    run: cycle('zombie_pgrp', inDir),
    timeoutSeconds: 45,
    costSeconds: 0.5,
    checks: {
      'zombie-pgrp.checkpoint': 'a tree with zombies leading their own groups, their children siblings by CLONE_PARENT, is checkpointed',
      'zombie-pgrp.setup': 'the zombies lead their groups and their CLONE_PARENT children are set up before the checkpoint',
      'zombie-pgrp.exit-status': 'the tree with zombie group leaders restarts and its root ends well',
      'zombie-pgrp.groups':
        'each restored zombie still leads its group, and its CLONE_PARENT child (live or a zombie) is in the group it had',
      'zombie-pgrp.statuses':
        'the zombie group leaders and their CLONE_PARENT children are reaped with their exit statuses, the live ones after checking their parent and group',
    },
  },
  {
    name: 'stopped',
    run: cycle('stopped', inDir, {
      after: async (context) => {
        await inspectStopped(context);
        await stoppedRefusals(context);
      },
    }),
    timeoutSeconds: 60,
    costSeconds: 2.5,
    checks: {
      'stopped.checkpoint': 'a tree with processes stopped by SIGSTOP and SIGTSTP is checkpointed without EBUSY',
      'stopped.setup': 'the stopped processes were set up before the checkpoint',
      'stopped.exit-status': 'the tree with stopped processes restarts and its root ends well',
      'stopped.stopped': 'every thread of the stopped processes is in state T after the restart',
      'stopped.running': 'a process continued before the checkpoint runs after the restart',
      'stopped.report-taken': 'a stop report the parent took before the checkpoint is not given again',
      'stopped.report-stopped': "the parent's waitpid(WUNTRACED) gives the stop reports it had not taken, with their signals",
      'stopped.report-continued': "the parent's waitpid(WCONTINUED) gives the continue report it had not taken",
      'stopped.still-stopped': 'the restored stopped processes stay stopped until continued',
      'inspect.job-control': "inspect shows each stopped thread's stop signal and the reports its parent had not taken",
      'stopped.no-stop-signal-refused': 'an image whose thread is in a group stop of a signal that stops nothing is refused',
      'stopped.thread-outside-stop-refused': 'an image of a stopped process with a thread outside its stop is refused, naming the process',
      'stopped.continued':
        'each stopped process, continued with SIGCONT, goes on and checks itself (a SIGCONT handler, a blocked SIGCONT still pending, a second thread)',
    },
  },
  {
    name: 'ptrace-inner',
    run: { kind: 'custom', run: (context) => tracedRefused(context, 'ptrace-inner', 'inner') },
    timeoutSeconds: 30,
    costSeconds: 0.5,
    checks: {
      'ptrace-inner.refused': 'a checkpoint of a tree with a process traced by another of the tree is refused at once, naming both',
      'ptrace-inner.setup': 'the tree traces one of its processes before the checkpoint',
      'ptrace-inner.exit-status': 'the tree whose checkpoint was refused for a tracee runs on and ends well',
      'ptrace-inner.ran-on': 'the tracee of the tree, detached after the refused checkpoint, runs on and ends well',
    },
  },
  {
    name: 'ptrace-outer',
    run: { kind: 'custom', run: (context) => tracedRefused(context, 'ptrace-outer', 'outer') },
    timeoutSeconds: 30,
    costSeconds: 0.5,
    checks: {
      'ptrace-outer.refused': 'a checkpoint of a tree with a process traced from outside the tree is refused, naming both',
      'ptrace-outer.setup': 'a process outside the tree traces one of its processes before the checkpoint',
      'ptrace-outer.exit-status': 'the tree whose checkpoint was refused for an outside tracer runs on and ends well',
      'ptrace-outer.ran-on': 'the tracee, detached by its outside tracer after the refused checkpoint, runs on and ends well',
    },
  },
];
