import test from 'ava';

import type { CptError, ExitCode as ExitCodeValue } from '../../src/errors.js';
import {
  CheckpointError,
  EnvironmentError,
  ExitCode,
  exitCodeFor,
  formatError,
  ImageError,
  RestartError,
  UsageError,
} from '../../src/errors.js';
import { AddonUnavailableError } from '../../src/native.js';

const cases: readonly [string, CptError, ExitCodeValue][] = [
  ['UsageError', new UsageError('u'), 2],
  ['EnvironmentError', new EnvironmentError('e'), 3],
  ['CheckpointError', new CheckpointError('c'), 4],
  ['RestartError', new RestartError('r'), 5],
  ['ImageError', new ImageError('i'), 6],
  ['AddonUnavailableError', new AddonUnavailableError('a'), 3],
];

for (const [name, error, code] of cases) {
  test(`${name} exits with ${code}`, (t) => {
    t.is(exitCodeFor(error), code);
    t.is(error.exitCode, code);
    t.is(error.name, name);
    t.true(error instanceof Error);
  });
}

test('anything else exits with 1', (t) => {
  t.is(exitCodeFor(new TypeError('bug')), ExitCode.Unexpected);
  t.is(exitCodeFor('a string'), 1);
  t.is(exitCodeFor(undefined), 1);
});

test('exit codes are distinct', (t) => {
  const codes = Object.values(ExitCode);
  t.is(new Set(codes).size, codes.length);
});

test('a CptError prints as "cptctl: message", without a stack', (t) => {
  t.is(formatError(new EnvironmentError('no /dev/cpt')), 'cptctl: no /dev/cpt\n');
});

test('a CptError with a hint prints the hint on its own line', (t) => {
  t.is(
    formatError(new UsageError('Unknown argument: x', { hint: 'run `cptctl --help` for usage' })),
    'cptctl: Unknown argument: x\nhint: run `cptctl --help` for usage\n',
  );
});

test('a CptError keeps its cause', (t) => {
  const cause = new Error('root');
  t.is(new ImageError('bad image', { cause }).cause, cause);
  t.false('cause' in new ImageError('bad image'));
});

test('an unexpected error prints its stack', (t) => {
  const error = new TypeError('oops');
  const text = formatError(error);
  t.true(text.startsWith('cptctl: unexpected error'));
  t.true(text.includes(error.stack ?? '<no stack>'));
});

test('a thrown non-Error is printed as a string', (t) => {
  t.regex(formatError(42), /42/);
});
