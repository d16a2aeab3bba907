// cptctl's command lines run by one node for the guest's shell scenarios
// (lib.sh's cptctl_in), as the shell sends them, one at a time, between
// steps of its own: node's start-up, seconds under emulation, is paid once
// per boot instead of once per call. Each line goes through run() of
// cptctl's bundle, what bin/cptctl calls, so that its exit status and
// messages are cptctl's own; the launcher itself is tested by the shell
// scenarios' other calls. The driver starts it (cptctl-server.ts):
//   node dist/test/guest/cptctl-batch.js --serve REQUESTS REPLIES
// Each request written to the FIFO REQUESTS is a line with the count of
// the lines that follow: the file for the output, the file for the errors
// (the same path for both: one file, as 2>&1 does), then the arguments, a
// line each; the exit status goes back through the FIFO REPLIES. A
// request of no lines ends it. While no request runs, it reaps its
// children that ended (the roots restarts --detach left it), as init
// reaps those of bin/cptctl.
// A request whose first argument is --script (lib.sh's node_in) runs no
// cptctl but a scenario's own JavaScript, the body of a function given
// `fs` (node:fs) and `args`, the request's further arguments: what a
// `node -e` would do, without node's start.
import * as fs from 'node:fs';
import { closeSync, constants, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { loadAddon } from '../../src/native.js';
import { packageRoot } from '../../src/package.js';
import { logCall } from './profile.js';

interface Cli {
  run(args: readonly string[]): Promise<number>;
  /** Writes V8's code cache of the bundle, if none was there: the boot's next nodes start faster. */
  saveCache(): void;
}

// bin/cptctl's loader, with the bundle's code cache: compiling the bundle
// is a good part of each such node's start-up under emulation.
const { load } = (await import(pathToFileURL(join(packageRoot, 'bin', 'load-bundle.mjs')).href)) as { load: () => Cli };
const cli = load();
let cacheSaved = false;

/** A stand-in for process.stdout.write or process.stderr.write that writes to fd instead. */
function writeTo(fd: number): typeof process.stdout.write {
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk);
    const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  return write;
}

/** The streams this node shares with the driver, and so with its shells: written to as they are. */
const SHARED_OUTPUTS: Readonly<Record<string, number>> = { '/dev/stdout': 1, '/dev/stderr': 2 };

/**
 * A file to write to, as the shell's `>` opens it; /dev/stdout and
 * /dev/stderr are this node's own, which the shell's are too (opened
 * again, a pipe's might fail and a file's would be written over from its
 * start).
 */
function openOutput(path: string): number {
  return SHARED_OUTPUTS[path] ?? openSync(path, 'w');
}

function closeOutput(fd: number): void {
  if (!Object.values(SHARED_OUTPUTS).includes(fd)) closeSync(fd);
}

/** What a request of lib.sh's node_in starts with: [SCRIPT_REQUEST, FILE, ARG...]. */
const SCRIPT_REQUEST = '--script';

/**
 * The function body in the file `script`, called with fs and args: the
 * number it returns (0 when none), 1 when it throws (its message on stderr).
 */
async function runScript(script: string, args: readonly string[]): Promise<number> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the scenario's own script, as node -e would run it
    const body = new Function('fs', 'args', readFileSync(script, 'utf8')) as (files: typeof fs, argv: readonly string[]) => unknown;
    const status = await body(fs, args);
    return typeof status === 'number' ? status : 0;
  } catch (error: unknown) {
    process.stderr.write(`${script}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/** cptctl ARGS with its output to the file OUT and its errors to the file ERR (one file when the same path): its exit status. */
async function runTo(outPath: string, errPath: string, args: readonly string[]): Promise<number> {
  const out = openOutput(outPath);
  const err = errPath === outPath ? out : openOutput(errPath);
  // Own properties over the streams' prototype methods, deleted afterwards.
  process.stdout.write = writeTo(out);
  process.stderr.write = writeTo(err);
  try {
    if (args[0] === SCRIPT_REQUEST) return await runScript(args[1] ?? '', args.slice(2));
    return await cli.run(args);
  } finally {
    if (!cacheSaved) {
      cacheSaved = true;
      cli.saveCache();
    }
    Reflect.deleteProperty(process.stdout, 'write');
    Reflect.deleteProperty(process.stderr, 'write');
    closeOutput(out);
    if (err !== out) closeOutput(err);
  }
}

/** This node's children that ended and wait to be reaped: zombies among its threads' children. */
function endedChildren(): number[] {
  const children = readdirSync('/proc/self/task').flatMap((tid) => readText(`/proc/self/task/${tid}/children`).split(' '));
  const ended = (pid: string): boolean => {
    const stat = readText(`/proc/${pid}/stat`);
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  };
  return children.filter((pid) => /^\d+$/.test(pid) && ended(pid)).map(Number);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The requests of the FIFO `requests`, each answered through the FIFO
 * `replies`, until an empty one. Both are held open for reading and
 * writing: never at their end between requests, and the event loop stays
 * free for SIGCHLD.
 */
function serve(requests: string, replies: string): Promise<void> {
  const replyFd = openSync(replies, constants.O_RDWR | constants.O_NONBLOCK);
  const input = new Socket({ fd: openSync(requests, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
  input.setEncoding('utf8');
  let buffered = '';
  let busy = false;
  // A child ended while a request ran: reaped once it is answered (a restart waits for its own).
  let ended = false;
  const reap = (): void => {
    ended = busy;
    if (busy) return;
    for (const pid of endedChildren())
      void loadAddon()
        .waitForExit(pid)
        .catch(() => undefined);
  };
  process.on('SIGCHLD', reap);
  return new Promise((resolve) => {
    const next = async (): Promise<void> => {
      if (busy) return;
      const lines = buffered.split('\n');
      const count = Number(lines[0]);
      if (lines.length < 2 || lines.length - 1 <= count) return;
      if (!Number.isInteger(count) || count < 0) {
        writeSync(2, `cptctl-batch: a request must start with its count of lines, not ${JSON.stringify(lines[0])}\n`);
        buffered = '';
        return;
      }
      buffered = lines.slice(count + 1).join('\n');
      if (count === 0) {
        input.destroy();
        process.off('SIGCHLD', reap);
        resolve();
        return;
      }
      const [outPath, errPath, ...args] = lines.slice(1, count + 1);
      busy = true;
      let status: number;
      const began = Date.now();
      try {
        status = await runTo(outPath ?? '', errPath ?? '', args);
      } catch (error: unknown) {
        // Not cptctl's (run() reports its own): the request itself was wrong, e.g. a file that cannot be written.
        writeSync(2, `cptctl-batch: ${error instanceof Error ? error.message : String(error)}\n`);
        status = 1;
      }
      busy = false;
      logCall(Date.now() - began, args);
      writeSync(replyFd, `${status}\n`);
      if (ended) reap();
      await next();
    };
    input.on('data', (chunk: string) => {
      buffered += chunk;
      void next();
    });
  });
}

const [mode, requests, replies] = process.argv.slice(2);
if (mode !== '--serve' || requests === undefined || replies === undefined) throw new Error('usage: cptctl-batch --serve REQUESTS REPLIES');
await serve(requests, replies);
