// What a restart re-creates, as an image holds it (issue 13): a deleted
// file's owner, times, data extents and other opens, a listener's socket
// file (renamed since its bind, too) and a pty slave's owner. inspect shows them, and they come back
// byte for byte through inspect --json and encode.
import test from 'ava';

import { roundTripBytes } from '../../src/commands/encode/round-trip.js';
import { formatInspectText } from '../../src/commands/inspect/format.js';
import { inspectSource } from '../../src/commands/inspect/inspect.js';
import { BufferSource } from '../../src/image/io.js';
import type { MessageInit } from '../../src/image/schema.js';
import { bodyRecords, buildImage, files, message } from './helpers/image-builder.js';

const MIB = 1024n * 1024n;

const reCreated: MessageInit<'Files'> = {
  files: [
    ...(files.files ?? []),
    {
      id: 4,
      kind: 'DELETED',
      path: '/tmp/sparse (deleted)',
      flags: 2,
      mode: 0o100640,
      size: 3n * MIB,
      content: Buffer.from('firstsecond'),
      contentExtents: [0n, 5n, 2n * MIB, 6n],
      nodeUid: 1234,
      nodeGid: 2345,
      nodeAtimeNs: 1_000_000_000_123_456_789n,
      nodeMtimeNs: 1_200_000_000_987_654_321n,
    },
    { id: 5, kind: 'DELETED', path: '/tmp/sparse (deleted)', flags: 1, mode: 0o100640, sameInodeAs: 4 },
    {
      id: 6,
      kind: 'UNIX_LISTENER',
      path: 'socket:[77]',
      flags: 2,
      mode: 0o140777,
      unixType: 1,
      unixAddr: Buffer.concat([Buffer.from([1, 0]), Buffer.from('/run/svc.sock\0')]),
      unixBacklog: 4,
      nodeUid: 65534,
      nodeGid: 65534,
      nodeMode: 0o140700,
    },
    {
      id: 7,
      kind: 'UNIX_LISTENER',
      path: 'socket:[78]',
      flags: 2,
      mode: 0o140777,
      unixType: 1,
      unixAddr: Buffer.concat([Buffer.from([1, 0]), Buffer.from('/run/old.sock\0')]),
      unixBacklog: 4,
      nodeUid: 0,
      nodeGid: 0,
      nodeMode: 0o140755,
      unixFilePath: '/run/new/moved.sock',
    },
  ],
  fds: [...(files.fds ?? []), { fd: 6, fileId: 4 }, { fd: 7, fileId: 5 }, { fd: 8, fileId: 6 }, { fd: 9, fileId: 7 }],
};

function image(): Buffer {
  return buildImage(bodyRecords().map((record) => (record.type === 'FILES' ? message('FILES', 'Files', reCreated) : record)));
}

test('inspect shows the owner, mode and data extents of a deleted file, and its other open', async (t) => {
  const text = formatInspectText(await inspectSource(new BufferSource(image()), 'x'), 'x.img');
  t.regex(text, /\/tmp\/sparse \(deleted\), 3145728 bytes, 11 of data in 2 extents, owner 1234:2345 0640/);
  t.regex(text, /\/tmp\/sparse \(deleted\), the same file as file 4/);
  t.regex(text, /listening on \/run\/svc\.sock, backlog 4, socket file 65534:65534 0700/);
  t.regex(text, /listening on \/run\/old\.sock, backlog 4, socket file 0:0 0755 renamed to \/run\/new\/moved\.sock/);
});

test('the round trip keeps the times, extents and owners of re-created files', async (t) => {
  const bytes = image();
  const result = await roundTripBytes(bytes, 'x.img');
  t.is(result.bytes, bytes.length);
});
