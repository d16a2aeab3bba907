// Restart from a stream (stdin, a FIFO) first copies the whole image into
// an unlinked temporary file. In `cptctl checkpoint PID -o - --kill |
// cptctl restart -` the restored task cannot be created with its pid before
// the checkpoint has finished and killed the original, and the checkpoint
// cannot finish while nobody drains the pipe: the copy breaks that cycle.
import { fstat, write } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { ImageFile } from './files.js';
import { FdSource } from './io.js';

const fstatAsync = promisify(fstat);
const writeAsync = promisify(write);

const CHUNK = 1024 * 1024;

/** Whether the image is a regular file, which the module can read as it is. */
export async function isRegularFile(image: ImageFile): Promise<boolean> {
  return (await fstatAsync(image.fd)).isFile();
}

/**
 * Copies what is left of `image` to a temporary file, and returns that file
 * open for reading at its start. The file has no name by then: closing it
 * frees it. `dir` defaults to os.tmpdir().
 */
export async function spoolImage(image: ImageFile, dir = tmpdir()): Promise<ImageFile & { readonly bytes: number }> {
  const parent = await mkdtemp(join(dir, 'cptctl-restart-'));
  const path = join(parent, 'image');
  // Two opens: Node cannot seek, so the reader gets its own offset at 0.
  const writer = await open(path, 'wx', 0o600);
  let reader;
  try {
    reader = await open(path, 'r');
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
  let bytes = 0;
  try {
    const source = new FdSource(image.fd);
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const n = await source.read(buffer, 0, CHUNK);
      if (n === 0) break;
      let done = 0;
      while (done < n) done += (await writeAsync(writer.fd, buffer, done, n - done, null)).bytesWritten;
      bytes += n;
    }
  } catch (error: unknown) {
    await reader.close();
    throw error;
  } finally {
    await writer.close();
  }
  const handle = reader;
  return { name: image.name, fd: handle.fd, isPath: false, bytes, close: () => handle.close() };
}
