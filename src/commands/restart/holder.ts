// Who holds a pid that a restart needs, from /proc/PID/stat, to say what
// to do about it: a zombie needs its parent to reap it, a live process
// needs to end.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PidHolder {
  readonly comm: string;
  /** The state letter of /proc/PID/stat: 'Z' for a zombie. */
  readonly state: string;
  readonly ppid: number;
}

/** Parses /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold spaces and parentheses. */
export function parseStat(text: string): PidHolder | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const [state, ppid] = text.slice(close + 2).split(' ');
  if (state === undefined || ppid === undefined) return null;
  return { comm: text.slice(open + 1, close), state, ppid: Number(ppid) };
}

export async function pidHolder(pid: number, procRoot = '/proc'): Promise<PidHolder | null> {
  return readFile(join(procRoot, String(pid), 'stat'), 'utf8').then(parseStat, () => null);
}

/** The hint for a pid in use, given who holds it (null: unknown, or gone by now). */
export function pidInUseHint(pid: number, holder: PidHolder | null): string {
  if (holder?.state === 'Z') {
    return (
      `pid ${pid} is a zombie (${holder.comm}) that its parent, pid ${holder.ppid}, has not reaped: ` +
      'make the parent wait for it, or end the parent'
    );
  }
  if (holder !== null) return `${holder.comm} runs with pid ${pid}: end it, or restart where the pid is free`;
  return 'the saved process, or another one, ran with that pid: restart again, or where the pid is free';
}
