import test from 'ava';

import { lastCompatRefusal } from '../../src/commands/check/kernel-log.js';

test('the refusal of an unknown compat_fail name counts', (t) => {
  t.is(lastCompatRefusal('[ 3.0] cpt: compat_fail=nope names no compat check\n'), 'cpt: compat_fail=nope names no compat check');
});

test('a log without timestamps (dmesg -t) works too', (t) => {
  t.is(
    lastCompatRefusal('cpt: compat check symbols failed: this kernel lacks alloc_uid, which cpt needs'),
    'cpt: compat check symbols failed: this kernel lacks alloc_uid, which cpt needs',
  );
});

test('an untested check and other cpt lines are no refusal', (t) => {
  t.is(
    lastCompatRefusal(
      [
        '[ 1.0] cpt: compat check pts_fs_info untested: cannot open /dev/ptmx (-2)',
        '[ 1.1] cpt: module verification failed: signature and/or required key missing',
        '',
      ].join('\n'),
    ),
    null,
  );
});
