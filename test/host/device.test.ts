// openDevice against /dev/null and missing paths, with handshake answers
// made up per test.
import { fstatSync } from 'node:fs';

import test from 'ava';

import { openDevice } from '../../src/device.js';
import { EnvironmentError } from '../../src/errors.js';
import type { ApiReply } from '../../src/native.js';
import { loadAddon } from '../../src/native.js';
import { systemError } from './helpers/fake-module.js';
import { isClosedFd } from './helpers/fds.js';

const real = loadAddon();

function addonAnswering(answer: () => ApiReply) {
  return { ...real, api: answer };
}

const everything = (): ApiReply => ({ api: real.CPT_API, features: 3n, ioctls: 0x3fn });

test('a device that answers the handshake with every feature opens', async (t) => {
  const device = await openDevice(addonAnswering(everything), ['SESSION', 'NEXT_PID'], '/dev/null');
  try {
    t.is(device.path, '/dev/null');
    t.notThrows(() => fstatSync(device.fd));
  } finally {
    await device.close();
  }
});

// Serial: the closed fd must not be reused before it is checked.
test.serial('a missing feature is named, with what the module offers, and the fd is closed', async (t) => {
  let usedFd = -1;
  const error = await t.throwsAsync(
    openDevice(
      {
        ...real,
        api: (fd) => {
          usedFd = fd;
          return { ...everything(), features: 1n };
        },
      },
      ['SESSION', 'NEXT_PID'],
      '/dev/null',
    ),
    { instanceOf: EnvironmentError },
  );
  t.is(error?.message, 'the loaded cpt module lacks NEXT_PID (it offers: SESSION)');
  t.regex(error?.hint ?? '', /rebuild kmod/);
  t.true(isClosedFd(usedFd, '/dev/null'));
});

test('a module that offers nothing says so', async (t) => {
  await t.throwsAsync(
    openDevice(
      addonAnswering(() => ({ ...everything(), features: 0n })),
      ['SESSION'],
      '/dev/null',
    ),
    {
      message: 'the loaded cpt module lacks SESSION (it offers: nothing)',
    },
  );
});

test('another API is refused', async (t) => {
  await t.throwsAsync(
    openDevice(
      addonAnswering(() => ({ ...everything(), api: 1n })),
      [],
      '/dev/null',
    ),
    {
      instanceOf: EnvironmentError,
      message: /speaks API 0x1, cptctl speaks 0xc0de0001/,
    },
  );
});

test('a device that is not cpt (ENOTTY) is an EnvironmentError', async (t) => {
  const error = await t.throwsAsync(openDevice(real, ['SESSION'], '/dev/null'), { instanceOf: EnvironmentError });
  t.is(error?.message, 'the handshake with /dev/null failed: ENOTTY (Inappropriate ioctl for device)');
  t.regex(error?.hint ?? '', /really the cpt device/);
});

test('other handshake failures ask for a matching module', async (t) => {
  const failing = addonAnswering(() => {
    throw systemError('EINVAL', 22, 'CPT_IOC_API', 'Invalid argument');
  });
  await t.throwsAsync(openDevice(failing, [], '/dev/null'), { instanceOf: EnvironmentError, message: /EINVAL \(Invalid argument\)/ });
});

test('a bug in the addon call is not mistaken for a handshake failure', async (t) => {
  await t.throwsAsync(
    openDevice(
      addonAnswering(() => {
        throw new TypeError('bug');
      }),
      [],
      '/dev/null',
    ),
    { instanceOf: TypeError },
  );
});

test('a missing device asks whether the module is loaded', async (t) => {
  const error = await t.throwsAsync(openDevice(real, [], '/dev/cptctl-test-missing'), { instanceOf: EnvironmentError });
  t.is(error?.message, '/dev/cptctl-test-missing does not exist: is the cpt module loaded?');
  t.is(error?.exitCode, 3);
});

test('a device that cannot be opened read-write says why', async (t) => {
  await t.throwsAsync(openDevice(real, [], '/proc/self'), { instanceOf: EnvironmentError, message: /^cannot open \/proc\/self: EISDIR/ });
});
