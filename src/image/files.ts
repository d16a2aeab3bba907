// Where images come from and go to on the command line: a path, or `-` for
// stdin/stdout (never a terminal: an image is binary). The fd is handed to
// the module as is, so it is a plain fd, not a stream.
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import { isatty } from 'node:tty';

import type { CptError } from '../errors.js';
import { UsageError } from '../errors.js';
import { describeSystemError } from '../system-error.js';

export interface ImageFile {
  /** The path, or '-'. */
  readonly name: string;
  readonly fd: number;
  /** Whether `name` is a file cptctl opened (not stdin/stdout). */
  readonly isPath: boolean;
  close(): Promise<void>;
}

function stdio(fd: 0 | 1): ImageFile {
  return { name: '-', fd, isPath: false, close: () => Promise.resolve() };
}

function fromHandle(name: string, handle: FileHandle): ImageFile {
  return { name, fd: handle.fd, isPath: true, close: () => handle.close() };
}

/** Opens an image to read; `-` is stdin. Failures become `fail(message)`. */
export async function openImageForReading(name: string, fail: (message: string, cause: unknown) => CptError): Promise<ImageFile> {
  if (name === '-') {
    if (isatty(0)) throw new UsageError('refusing to read an image from a terminal', { hint: 'pipe or redirect the image into stdin' });
    return stdio(0);
  }
  try {
    return fromHandle(name, await open(name, 'r'));
  } catch (error: unknown) {
    throw fail(`cannot open image ${name}: ${describeSystemError(error)}`, error);
  }
}

/** Creates (mode 0600) or truncates an image to write; `-` is stdout. */
export async function openImageForWriting(name: string, fail: (message: string, cause: unknown) => CptError): Promise<ImageFile> {
  if (name === '-') {
    if (isatty(1)) throw new UsageError('refusing to write an image to a terminal', { hint: 'redirect stdout to a file or a pipe' });
    return stdio(1);
  }
  try {
    return fromHandle(name, await open(name, 'w', 0o600));
  } catch (error: unknown) {
    throw fail(`cannot create image ${name}: ${describeSystemError(error)}`, error);
  }
}

/** Removes a partly written image; a failure to do so is not worth another error. */
export async function removeImage(image: ImageFile): Promise<void> {
  if (image.isPath) await unlink(image.name).catch(() => undefined);
}
