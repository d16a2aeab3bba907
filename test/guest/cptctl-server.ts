// The node that runs the shell scenarios' cptctl_in calls (lib.sh) for a
// whole boot: test/guest/cptctl-batch.ts --serve, started by the driver
// when a shell scenario is about to run and kept from one scenario to the
// next, so that node's start-up (seconds under emulation) is paid once per
// boot, not once per scenario or call. It is no child of the driver: a
// failed restart reaps every child of the node that ran it, which must
// not wait for the driver's shells, and the roots that its restarts
// --detach leave are its own children, which it reaps.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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
