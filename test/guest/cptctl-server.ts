// The node that runs the shell scenarios' cptctl_in calls (lib.sh) for a
// whole boot: test/guest/cptctl-batch.ts --serve, started by the driver
// when a shell scenario is about to run and kept from one scenario to the
// next, so that node's start-up (seconds under emulation) is paid once per
// boot, not once per scenario or call. It is no child of the driver: a
// failed restart reaps every child of the node that ran it, which must
// not wait for the driver's shells, and the roots that its restarts
// --detach leave are its own children, which it reaps.
// The calls made as another user (lib.sh's cptctl_as) go through one such
// node per caller, which that caller's setpriv starts itself, from the
// shell, the first time (CallerServers: what the driver keeps and ends).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { packageRoot } from '../../src/package.js';

const BATCH = join(packageRoot, 'dist', 'test', 'guest', 'cptctl-batch.js');

export class CptctlServer {
  private pid: number | undefined;
  private readonly requests: string;
  private readonly replies: string;

  /** Makes the FIFOs of cptctl_in's requests and replies in `dir`. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.requests = join(dir, 'requests');
    this.replies = join(dir, 'replies');
    for (const fifo of [this.requests, this.replies]) {
      if (existsSync(fifo)) continue;
      const made = spawnSync('mkfifo', ['-m', '0600', fifo], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo ${fifo}: ${made.stderr}`);
    }
  }

  /** Its pid, while it runs. */
  get running(): number | undefined {
    if (this.pid === undefined) return undefined;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${this.pid}/cmdline`, 'utf8');
    } catch {
      // gone
    }
    // Ended, its pid free (init reaps it) or taken since by another process;
    // for a moment after start(), the shell that is about to exec it.
    return cmdline.includes(BATCH) ? this.pid : undefined;
  }

  /**
   * Starts it unless it runs, orphaned at once (init its parent), its
   * output and errors the driver's own; resolves nothing: a shell's first
   * request waits for it to open the FIFOs.
   */
  start(): void {
    if (this.running !== undefined) return;
    const started = spawnSync(
      '/bin/sh',
      ['-c', 'node "$0" --serve "$1" "$2" </dev/null >&3 2>&4 3>&- 4>&- & echo $!', BATCH, this.requests, this.replies],
      { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit', 1, 2] },
    );
    const pid = Number(started.stdout.trim());
    if (started.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`cannot start ${BATCH}: ${started.stderr}`);
    this.pid = pid;
  }

  /**
   * Ends it, if it runs, and waits until it is gone: it holds the driver's
   * output open, which a pipeline's reader (`driver.js ... | tee LOG`)
   * would wait on for ever once the driver is done.
   */
  async stop(): Promise<void> {
    const pid = this.running;
    if (pid === undefined) return;
    process.kill(pid, 'SIGKILL');
    while (this.running !== undefined) await sleep(20);
  }

  /** What lib.sh's cptctl_in needs to reach it. */
  get env(): Readonly<Record<string, string>> {
    return { cptctl_requests: this.requests, cptctl_replies: this.replies, cptctl_server: String(this.pid ?? '') };
  }
}

/**
 * The nodes of lib.sh's cptctl_as calls, one per caller: each in its
 * directory DIR/CALLER (its FIFOs, its pid, its log), made and started by
 * the caller itself. DIR is everyone's (sticky, as /tmp): nobody makes its
 * own there.
 */
export class CallerServers {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o1777);
  }

  /** The pids of those that run. */
  running(): number[] {
    return this.pidFiles().flatMap(({ pid }) => (isServer(pid) ? [pid] : []));
  }

  /**
   * Forgets those that no longer run (their pid files, which cptctl_as
   * would otherwise trust with a pid given since to another process).
   */
  forgetEnded(): void {
    for (const { file, pid } of this.pidFiles()) if (!isServer(pid)) rmSync(file, { force: true });
  }

  /** Ends them all, and waits until they are gone: none outlives the boot's scenarios. */
  async stop(): Promise<void> {
    const pids = this.running();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    while (pids.some(isServer)) await sleep(20);
    this.forgetEnded();
  }

  private pidFiles(): { file: string; pid: number }[] {
    let callers: string[];
    try {
      callers = readdirSync(this.dir);
    } catch {
      return [];
    }
    return callers.flatMap((caller) => {
      const file = join(this.dir, caller, 'pid');
      const pid = Number(readText(file).trim());
      return existsSync(file) ? [{ file, pid }] : [];
    });
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether pid runs cptctl-batch.js (a server of either kind), not another process given its pid since. */
function isServer(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && readText(`/proc/${pid}/cmdline`).includes(BATCH);
}
