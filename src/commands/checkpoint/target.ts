// What cptctl itself records about a checkpoint target, read from /proc
// before the module freezes it: its command line and whether its stdio
// came from a shell. The manifest carries both.
import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { CheckpointError } from '../../errors.js';
import { describeSystemError, errnoCode } from '../../system-error.js';

export interface TargetFacts {
  /** /proc/PID/cmdline split at NULs; empty for a kernel thread or a zombie. */
  readonly argv: readonly string[];
  /** Any of fds 0-2 is a terminal or a pipe. */
  readonly shellJob: boolean;
}

/** /proc/PID/cmdline: NUL-terminated arguments (a process may rewrite it; the last may lack its NUL). */
export function parseCmdline(raw: Buffer): string[] {
  const text = raw.toString('utf8');
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args;
}

/** An fd as /proc shows it: the link's text, and whether what it opens is a FIFO. */
export interface FdView {
  readonly link: string;
  readonly fifo: boolean;
}

/** Whether an fd is a terminal or a pipe (named or not): what a shell hands its jobs. */
export function isShellStdio(fd: FdView): boolean {
  return fd.fifo || fd.link.startsWith('pipe:[') || /^\/dev\/(pts\/\d+|tty[A-Za-z0-9]*|console)$/.test(fd.link);
}

async function viewFd(path: string): Promise<FdView> {
  const [link, fifo] = await Promise.all([
    readlink(path).catch(() => ''),
    stat(path).then(
      (stats) => stats.isFIFO(),
      () => false,
    ),
  ]);
  return { link, fifo };
}

export async function gatherTargetFacts(pid: number, procRoot = '/proc'): Promise<TargetFacts> {
  const dir = join(procRoot, String(pid));
  let cmdline: Buffer;
  try {
    cmdline = await readFile(join(dir, 'cmdline'));
  } catch (error: unknown) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') {
      throw new CheckpointError(`no process ${pid}`, { cause: error });
    }
    throw new CheckpointError(`cannot read ${join(dir, 'cmdline')}: ${describeSystemError(error)}`, { cause: error });
  }
  // An fd we may not look at (another user's process) counts as not shell stdio.
  const fds = await Promise.all([0, 1, 2].map((fd) => viewFd(join(dir, 'fd', String(fd)))));
  return { argv: parseCmdline(cmdline), shellJob: fds.some(isShellStdio) };
}
