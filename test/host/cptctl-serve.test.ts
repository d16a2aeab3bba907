// lib.sh's cptctl_in, through test/guest/cptctl-batch.ts --serve: the calls a
// guest shell scenario makes of one node give what bin/cptctl gives (output,
// errors, exit status), one after the other, and cptctl_stop ends that node;
// without that node (no cptctl_serve), cptctl_run is bin/cptctl with the
// same redirections. inspect and encode need no module: this runs on the host.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../src/package.js';

const fixture = join(packageRoot, 'test', 'host', 'fixtures', 'files_state.img');

function shell(scratch: string, script: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('/bin/sh', ['-c', `. test/guest/shell/lib.sh && ${script}`], {
    cwd: packageRoot,
    env: { ...process.env, scratch },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('cptctl_in runs each call in one node, with its output, errors and status, until cptctl_stop', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'cptctl-serve-'));
  try {
    const run = shell(
      scratch,
      `cptctl_in "$scratch/a.out" "$scratch/a.err" inspect --json "${fixture}"; echo "json $?"
       first=$cptctl_server
       cptctl_in /dev/null "$scratch/b.err" encode "$scratch/a.out" -o "$scratch/b.img"; echo "encode $?"
       cptctl_in "$scratch/c.out" "$scratch/c.out" inspect /nonexistent.img; echo "missing $?"
       cptctl_in /dev/stdout /dev/null --version; echo "version $?"
       [ "$cptctl_server" = "$first" ] && echo "one node"
       server=$cptctl_server
       cptctl_stop; echo "stopped $?"
       [ -d "/proc/$server" ] || echo "gone"
       ls -A "$scratch" | tr '\\n' ' '`,
    );
    t.is(run.status, 0, run.stderr);
    const lines = run.stdout.split('\n');
    t.deepEqual(lines.slice(0, 8), ['json 0', 'encode 0', 'missing 6', '0.1.0', 'version 0', 'one node', 'stopped 0', 'gone']);
    // The FIFOs are gone with the node.
    t.is(lines[8]?.trim(), 'a.err a.out b.err b.img c.out');
    t.deepEqual(await readFile(join(scratch, 'b.img')), await readFile(fixture));
    t.regex(await readFile(join(scratch, 'c.out'), 'utf8'), /^cptctl: cannot open image \/nonexistent\.img: ENOENT/);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test('cptctl_stop without a cptctl_in call does nothing', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'cptctl-serve-'));
  try {
    const run = shell(scratch, 'cptctl_stop && echo ok');
    t.is(run.status, 0, run.stderr);
    t.is(run.stdout, 'ok\n');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test('cptctl_run without cptctl_serve runs bin/cptctl, its output and errors where it says', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'cptctl-serve-'));
  try {
    const run = shell(
      scratch,
      `cptctl_run "$scratch/both" "$scratch/both" inspect /nonexistent.img; echo "both $?"
       cptctl_run "$scratch/out" "$scratch/err" inspect /nonexistent.img; echo "apart $?"
       cptctl_run /dev/stdout "$scratch/err2" --version; echo "stdout $?"
       [ -z "$cptctl_server" ] && echo "no node"`,
    );
    t.is(run.status, 0, run.stderr);
    t.is(run.stdout, 'both 6\napart 6\n0.1.0\nstdout 0\nno node\n');
    t.regex(await readFile(join(scratch, 'both'), 'utf8'), /^cptctl: cannot open image \/nonexistent\.img: ENOENT/);
    t.is(await readFile(join(scratch, 'out'), 'utf8'), '');
    t.regex(await readFile(join(scratch, 'err'), 'utf8'), /^cptctl: cannot open image/);
    t.is(await readFile(join(scratch, 'err2'), 'utf8'), '');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
