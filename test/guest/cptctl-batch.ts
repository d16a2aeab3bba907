// Several cptctl command lines run by one node, for the guest's shell
// scenarios that encode hostile images and have each restart refused
// (lib.sh's check_edited_restarts): node's start-up, seconds under
// emulation, is paid once instead of twice per image. Each line goes through
// run() of cptctl's bundle, what bin/cptctl calls, so that its exit status
// and messages are cptctl's own; the launcher itself is tested by every
// other call of the shell scenarios.
// Usage: node dist/test/guest/cptctl-batch.js DIR STEM ARG... [';' STEM ARG...]...
// writes the output, errors and exit status of each to DIR/STEM.out,
// DIR/STEM.err and DIR/STEM.status, one line after the other.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
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

async function runLine(dir: string, stem: string, args: readonly string[]): Promise<void> {
  const out = openSync(join(dir, `${stem}.out`), 'w');
  const err = openSync(join(dir, `${stem}.err`), 'w');
  // Own properties over the streams' prototype methods, deleted afterwards.
  process.stdout.write = writeTo(out);
  process.stderr.write = writeTo(err);
  let status: number;
  try {
    status = await cli.run(args);
  } finally {
    Reflect.deleteProperty(process.stdout, 'write');
    Reflect.deleteProperty(process.stderr, 'write');
    closeSync(out);
    closeSync(err);
  }
  writeFileSync(join(dir, `${stem}.status`), `${status}\n`);
}

const [dir, ...rest] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: cptctl-batch DIR STEM ARG... [; STEM ARG...]...');
for (const [stem, ...args] of commandLines(rest)) {
  if (stem !== undefined) await runLine(dir, stem, args);
}
