// Several cptctl command lines run by one node, for the guest's shell
// scenarios: node's start-up, seconds under emulation, is paid once instead
// of once per call. Each line goes through run() of cptctl's bundle, what
// bin/cptctl calls, so that its exit status and messages are cptctl's own;
// the launcher itself is tested by every other call of the shell scenarios.
// Usage:
//   node dist/test/guest/cptctl-batch.js DIR STEM ARG... [';' STEM ARG...]...
//     writes the output, errors and exit status of each to DIR/STEM.out,
//     DIR/STEM.err and DIR/STEM.status, one line after the other (lib.sh's
//     check_edited_restarts: hostile images encoded, each restart refused);
//   node dist/test/guest/cptctl-batch.js --serve REQUESTS REPLIES
//     runs command lines as the shell sends them, one at a time, between
//     steps of its own (lib.sh's cptctl_serve and cptctl_in): each request
//     written to the FIFO REQUESTS is the file for the output, the file for
//     the errors (the same path for both: one file, as 2>&1 does), then the
//     arguments, a line each; the exit status goes back through the FIFO
//     REPLIES. An empty request ends it.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { packageRoot } from '../../src/package.js';

interface Cli {
  run(args: readonly string[]): Promise<number>;
}

const cli = createRequire(import.meta.url)(join(packageRoot, 'dist', 'src', 'cli.bundle.cjs')) as Cli;

/** The command lines of argv: a stem and its arguments each, between lone `;`s. */
function commandLines(args: readonly string[]): string[][] {
  const lines: string[][] = [[]];
  for (const arg of args) {
    if (arg === ';') lines.push([]);
    else lines[lines.length - 1]?.push(arg);
  }
  return lines.filter((line) => line.length > 0);
}

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

/** The streams this node shares with the shell that started it: written to as they are. */
const SHARED_OUTPUTS: Readonly<Record<string, number>> = { '/dev/stdout': 1, '/dev/stderr': 2 };

/**
 * A file to write to, as the shell's `>` opens it; /dev/stdout and
 * /dev/stderr are this node's own, which it shares with the shell (opened
 * again, a pipe's might fail and a file's would be written over from its
 * start).
 */
function openOutput(path: string): number {
  return SHARED_OUTPUTS[path] ?? openSync(path, 'w');
}

function closeOutput(fd: number): void {
  if (!Object.values(SHARED_OUTPUTS).includes(fd)) closeSync(fd);
}

/** cptctl ARGS with its output to the file OUT and its errors to the file ERR (one file when the same path): its exit status. */
async function runTo(outPath: string, errPath: string, args: readonly string[]): Promise<number> {
  const out = openOutput(outPath);
  const err = errPath === outPath ? out : openOutput(errPath);
  // Own properties over the streams' prototype methods, deleted afterwards.
  process.stdout.write = writeTo(out);
  process.stderr.write = writeTo(err);
  try {
    return await cli.run(args);
  } finally {
    Reflect.deleteProperty(process.stdout, 'write');
    Reflect.deleteProperty(process.stderr, 'write');
    closeOutput(out);
    if (err !== out) closeOutput(err);
  }
}

async function runLine(dir: string, stem: string, args: readonly string[]): Promise<void> {
  const status = await runTo(join(dir, `${stem}.out`), join(dir, `${stem}.err`), args);
  writeFileSync(join(dir, `${stem}.status`), `${status}\n`);
}

/** The requests of the FIFO `requests`, each answered through the FIFO `replies`, until an empty one. */
async function serve(requests: string, replies: string): Promise<void> {
  for (;;) {
    // Opening a FIFO waits for the other end: each request is one writer's, read to its close.
    const lines = readFileSync(requests, 'utf8').split('\n');
    const [outPath, errPath, ...args] = lines.slice(0, -1);
    if (outPath === undefined || errPath === undefined) return;
    let status: number;
    try {
      status = await runTo(outPath, errPath, args);
    } catch (error: unknown) {
      // Not cptctl's (run() reports its own): the request itself was wrong, e.g. a file that cannot be written.
      writeSync(2, `cptctl-batch: ${error instanceof Error ? error.message : String(error)}\n`);
      status = 1;
    }
    writeFileSync(replies, `${status}\n`);
  }
}

const [first, ...rest] = process.argv.slice(2);
if (first === '--serve') {
  const [requests, replies] = rest;
  if (requests === undefined || replies === undefined) throw new Error('usage: cptctl-batch --serve REQUESTS REPLIES');
  await serve(requests, replies);
} else {
  if (first === undefined) throw new Error('usage: cptctl-batch DIR STEM ARG... [; STEM ARG...]...');
  for (const [stem, ...args] of commandLines(rest)) {
    if (stem !== undefined) await runLine(first, stem, args);
  }
}
