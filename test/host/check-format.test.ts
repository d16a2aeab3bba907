import test from 'ava';

import { evaluateCheck } from '../../src/commands/check/evaluate.js';
import { checkReportJson, formatCheckJson, formatCheckText } from '../../src/commands/check/format.js';
import { factsWith, healthyFacts } from './helpers/check-facts.js';

const brokenFacts = factsWith({
  kernel: { release: '6.18.44', arch: 'x86_64' },
  module: { loaded: false, version: null },
  compat: { kind: 'refused', message: 'cpt: compat check release failed: built for 6.1.0-56-amd64, running 6.18.44' },
  device: { kind: 'missing' },
  open: { kind: 'not-attempted' },
  handshake: { kind: 'not-attempted' },
});

test('text: one aligned line per check, status first', (t) => {
  const lines = formatCheckText(evaluateCheck(healthyFacts)).split('\n');
  t.is(lines.length, 8); // seven checks and the final newline
  t.is(lines[0], 'ok    kernel     Linux 6.1.0-18-amd64 x86_64');
  t.is(lines[2], 'ok    compat     built for 6.1.0-18-amd64; passed at load: release, symbols');
  t.is(lines[6], 'ok    ioctls     all needed ioctls are supported: API, INIT, SAVE, RESTORE, FINALIZE, SET_NEXT_ID');
  t.is(lines[7], '');
});

test('text: FAIL and skip labels, then the hints after a blank line', (t) => {
  const text = formatCheckText(evaluateCheck(brokenFacts));
  const lines = text.trimEnd().split('\n');
  t.regex(lines[0] ?? '', /^FAIL {2}kernel /);
  t.regex(lines[2] ?? '', /^FAIL {2}compat +the kernel log says the last load was refused: cpt: compat check release failed: /);
  t.regex(lines[3] ?? '', /^FAIL {2}device +\/dev\/cpt does not exist/);
  t.regex(lines[4] ?? '', /^skip {2}open /);
  t.is(lines[7], '');
  t.regex(lines[8] ?? '', /^hint: .*vm\/run -- bin\/cptctl check/);
  t.true(lines.some((line) => line.startsWith('hint: ') && line.includes("dmesg | grep 'cpt: compat'")));
});

test('JSON: the documented shape, bigints as hex strings', (t) => {
  const json: unknown = JSON.parse(formatCheckJson(evaluateCheck(healthyFacts)));
  t.deepEqual(json, {
    ok: true,
    kernel: { release: '6.1.0-18-amd64', arch: 'x86_64', supported: true, target: 'Linux 6.1.x on x86_64' },
    module: {
      loaded: true,
      version: '0.1.0',
      features: ['LAZY_PAGES', 'SECCOMP'],
      featureBits: '0x21',
      ioctls: ['API', 'INIT', 'SAVE', 'RESTORE', 'FINALIZE', 'SET_NEXT_ID', 'DUMP'],
      ioctlBits: '0x23f',
    },
    compat: {
      builtFor: '6.1.0-18-amd64',
      checks: [
        { name: 'release', outcome: 'ok' },
        { name: 'symbols', outcome: 'ok' },
      ],
      refusal: null,
    },
    imageKey: null,
    tcpHolds: null,
    checks: [
      { name: 'kernel', ok: true, detail: 'Linux 6.1.0-18-amd64 x86_64' },
      { name: 'module', ok: true, detail: 'cpt is loaded, version 0.1.0' },
      { name: 'compat', ok: true, detail: 'built for 6.1.0-18-amd64; passed at load: release, symbols' },
      { name: 'device', ok: true, detail: '/dev/cpt is a character device' },
      { name: 'open', ok: true, detail: '/dev/cpt opens read-write' },
      {
        name: 'handshake',
        ok: true,
        detail:
          'module 0.1.0; API 0xabc1; features: LAZY_PAGES, SECCOMP (0x21); ioctls: API, INIT, SAVE, RESTORE, FINALIZE, SET_NEXT_ID, DUMP (0x23f)',
      },
      { name: 'ioctls', ok: true, detail: 'all needed ioctls are supported: API, INIT, SAVE, RESTORE, FINALIZE, SET_NEXT_ID' },
    ],
    hints: [],
  });
});

test('JSON: without a handshake the bit masks are null and skipped checks say so', (t) => {
  const json = checkReportJson(evaluateCheck(brokenFacts));
  t.false(json.ok);
  t.is(json.module.featureBits, null);
  t.is(json.module.ioctlBits, null);
  t.is(json.module.version, null);
  t.false(json.module.loaded);
  t.deepEqual(
    json.checks.map((check) => check.ok),
    [false, false, false, false, false, false, false],
  );
  t.regex(json.checks[4]?.detail ?? '', /^skipped: /);
  t.notRegex(json.checks[3]?.detail ?? '', /^skipped: /);
  t.deepEqual(json.compat, {
    builtFor: null,
    checks: [],
    refusal: 'cpt: compat check release failed: built for 6.1.0-56-amd64, running 6.18.44',
  });
});

test('JSON: the output is one document ending in a newline', (t) => {
  const text = formatCheckJson(evaluateCheck(brokenFacts));
  t.true(text.endsWith('}\n'));
  t.notThrows(() => {
    JSON.parse(text);
  });
});
