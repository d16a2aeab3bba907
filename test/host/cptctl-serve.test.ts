// lib.sh's cptctl_in, through the node the guest driver keeps for a boot
// (test/guest/cptctl-server.ts, cptctl-batch.ts --serve): the calls of
// the shell scenarios give what bin/cptctl gives (output, errors, exit
// status), one after the other, from one node, which outlives the shell
// that called it and ends on cptctl_stop. inspect and encode need no
// module: this runs on the host.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../src/package.js';
import { CptctlServer } from '../guest/cptctl-server.js';

const fixture = join(packageRoot, 'test', 'host', 'fixtures', 'files_state.img');

function shell(env: Readonly<Record<string, string>>, script: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('/bin/sh', ['-c', `. test/guest/shell/lib.sh && ${script}`], {
    cwd: packageRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('cptctl_in runs each call in the one node the driver started, with its output, errors and status, until cptctl_stop', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'cptctl-serve-'));
  try {
    const server = new CptctlServer(join(scratch, 'fifos'));
    server.start();
    const pid = server.running;
    t.truthy(pid);
    const env = { scratch, ...server.env };
    const first = shell(
      env,
      `cptctl_in "$scratch/a.out" "$scratch/a.err" inspect --json "${fixture}"; echo "json $?"
       cptctl_in /dev/null "$scratch/b.err" encode "$scratch/a.out" -o "$scratch/b.img"; echo "encode $?"
       (cptctl_in "$scratch/c.out" "$scratch/c.out" inspect /nonexistent.img; echo "missing $?")
       cptctl_in "$scratch/v.out" /dev/null --version; echo "version $?"
       cptctl_in "$scratch/d.out" "$scratch/d.err" inspect "${fixture}" "with an argument of spaces" ""; echo "extra $?"`,
    );
    t.is(first.status, 0, first.stderr);
    t.deepEqual(first.stdout.split('\n'), ['json 0', 'encode 0', 'missing 6', 'version 0', 'extra 2', '']);
    t.is(await readFile(join(scratch, 'v.out'), 'utf8'), '0.1.0\n');
    t.deepEqual(await readFile(join(scratch, 'b.img')), await readFile(fixture));
    t.regex(await readFile(join(scratch, 'c.out'), 'utf8'), /^cptctl: cannot open image \/nonexistent\.img: ENOENT/);
    t.regex(await readFile(join(scratch, 'd.err'), 'utf8'), /with an argument of spaces/);
    // The node outlives the shell: the next scenario's calls reach it too.
    t.is(server.running, pid);
    const second = shell(env, `cptctl_in /dev/null /dev/null --version; echo "again $?"; cptctl_stop; echo "stopped $?"`);
    t.is(second.status, 0, second.stderr);
    t.is(second.stdout, 'again 0\nstopped 0\n');
    t.is(server.running, undefined);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test("cptctl_in without the driver's node fails at once, saying why", (t) => {
  const run = shell({ scratch: tmpdir() }, 'cptctl_in /dev/stdout /dev/stderr --version; echo "status $?"');
  t.is(run.stdout, 'status 1\n');
  t.regex(run.stderr, /no node serves it/);
});
