import { execFile, execFileSync } from 'node:child_process';
import { closeSync, open, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { ImageError } from '../../src/errors.js';
import { imageAbi } from '../../src/image/abi.js';
import { encodeRecord } from '../../src/image/framing.js';
import { BufferSink, BufferSource, FdSink, FdSource, readUpTo } from '../../src/image/io.js';
import { readManifest, writeManifest } from '../../src/image/manifest.js';
import { encodeMessage } from '../../src/image/schema.js';
import { encode, header, manifest, message } from './helpers/image-builder.js';

const abi = imageAbi();

test('a manifest round-trips through writeManifest and readManifest', async (t) => {
  const sink = new BufferSink();
  const bytes = await writeManifest(abi, sink, manifest);
  t.is(bytes, sink.bytes().length);
  t.deepEqual(await readManifest(abi, new BufferSource(sink.bytes())), {
    tool: 'cptctl 0.1.0',
    rootPid: 1234,
    argv: ['sleep', '1000'],
    hostname: 'guest',
    shellJob: true,
  });
});

test('absent fields read back as proto3 defaults', async (t) => {
  const sink = new BufferSink();
  await writeManifest(abi, sink, { rootPid: 7 });
  t.deepEqual(await readManifest(abi, new BufferSource(sink.bytes())), {
    tool: '',
    rootPid: 7,
    argv: [],
    hostname: '',
    shellJob: false,
  });
});

test('a manifest without a root pid is refused', async (t) => {
  const sink = new BufferSink();
  await writeManifest(abi, sink, { tool: 'x' });
  await t.throwsAsync(readManifest(abi, new BufferSource(sink.bytes())), {
    instanceOf: ImageError,
    message: /manifest record .*: no root pid/,
  });
});

test('a corrupt manifest is an ImageError naming the manifest record', async (t) => {
  const sink = new BufferSink();
  await writeManifest(abi, sink, manifest);
  const bad = sink.bytes();
  bad.writeUInt8(bad.readUInt8(20) ^ 0xff, 20);
  await t.throwsAsync(readManifest(abi, new BufferSource(bad)), {
    instanceOf: ImageError,
    message: /^the manifest record \(after the image header\): CRC mismatch/,
  });
});

test('a manifest whose payload is not protobuf is an ImageError', async (t) => {
  const record = encodeRecord(abi, abi.types.MANIFEST, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
  await t.throwsAsync(readManifest(abi, new BufferSource(record)), {
    instanceOf: ImageError,
    message: /: undecodable Manifest payload \(/,
  });
});

test('an oversized argv makes the manifest corrupt (over 1 MiB)', async (t) => {
  const payload = encodeMessage('Manifest', { rootPid: 1, argv: [String('x').repeat(1024 * 1024)] });
  await t.throwsAsync(readManifest(abi, new BufferSource(encodeRecord(abi, abi.types.MANIFEST, payload))), {
    instanceOf: ImageError,
    message: /more than a MANIFEST record may have \(1 MiB\)/,
  });
});

// The fd is shared with the module: the manifest must go exactly where the
// file position is, and reading it must leave the position right after it.
test('on a real file: written at the file position, read back without reading past it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-manifest-'));
  try {
    const path = join(dir, 'image');
    const headerRecord = encode(message('HEADER', 'ImageHeader', header));
    const fd = openSync(path, 'w+');
    writeSync(fd, headerRecord); // "the module's" header
    const bytes = await writeManifest(abi, new FdSink(fd), manifest);
    writeSync(fd, 'TAIL');
    closeSync(fd);
    const image = readFileSync(path);
    t.is(image.length, headerRecord.length + bytes + 4);

    const readFd = openSync(path, 'r');
    try {
      const skip = Buffer.alloc(headerRecord.length);
      t.is(readFdSync(readFd, skip), headerRecord.length);
      t.is((await readManifest(abi, new FdSource(readFd))).rootPid, 1234);
      const rest = Buffer.alloc(16);
      t.is(readFdSync(readFd, rest), 4);
      t.is(rest.subarray(0, 4).toString(), 'TAIL');
    } finally {
      closeSync(readFd);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** read(2) at the file position, as the module reads. */
function readFdSync(fd: number, buffer: Buffer): number {
  return readSync(fd, buffer, 0, buffer.length, null);
}

test('on a pipe: readManifest leaves the rest of the stream to the next reader', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-manifest-'));
  try {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sink = new BufferSink();
    await writeManifest(abi, sink, manifest);
    const stream = Buffer.concat([sink.bytes(), Buffer.from('the TASK record follows')]);
    // The writer in a child, so that opening the FIFO does not block this thread.
    const writer = execFile('sh', ['-c', `cat > ${fifo}`]);
    writer.stdin?.end(stream);
    const fd = await new Promise<number>((resolve, reject) => {
      open(fifo, 'r', (error, opened) => (error === null ? resolve(opened) : reject(error)));
    });
    try {
      t.is((await readManifest(abi, new FdSource(fd))).hostname, 'guest');
      const rest = await readUpTo(new FdSource(fd), 1000);
      t.is(rest.toString(), 'the TASK record follows');
    } finally {
      closeSync(fd);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
