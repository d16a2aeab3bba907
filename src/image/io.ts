// Byte streams under the image code. An image fd is a stream shared with
// the module (which reads or writes its own records through the same open
// file), so every read and write here goes through the fd's file position
// (read(2)/write(2), never pread/pwrite) and takes exactly what it is asked.
import { read, write } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Something to read from: like read(2), returns 0 at the end. */
export interface ByteSource {
  read(buffer: Uint8Array, offset: number, length: number): Promise<number>;
}

/** Something to write to, all of `data` or an error. */
export interface ByteSink {
  write(data: Uint8Array): Promise<void>;
}

/** A non-blocking fd (inherited that way) reports EAGAIN: wait a little and retry. */
const EAGAIN_DELAY_MS = 5;

function isEagain(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EAGAIN';
}

/** Reads an fd at its file position, on the libuv thread pool. */
export class FdSource implements ByteSource {
  constructor(readonly fd: number) {}

  async read(buffer: Uint8Array, offset: number, length: number): Promise<number> {
    for (;;) {
      try {
        return await new Promise<number>((resolve, reject) => {
          // position null: read(2) at the file position, which the module shares.
          read(this.fd, buffer, offset, length, null, (error, bytesRead) => {
            if (error === null) resolve(bytesRead);
            else reject(error);
          });
        });
      } catch (error: unknown) {
        if (!isEagain(error)) throw error;
        await sleep(EAGAIN_DELAY_MS);
      }
    }
  }
}

/**
 * Reads a regular file from `offset` on with pread(2), leaving the fd's file
 * position alone: for looking ahead in an image the module reads through
 * that position.
 */
export class PositionedSource implements ByteSource {
  constructor(
    readonly fd: number,
    private position = 0,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number): Promise<number> {
    const got = await new Promise<number>((resolve, reject) => {
      read(this.fd, buffer, offset, length, this.position, (error, bytesRead) => {
        if (error === null) resolve(bytesRead);
        else reject(error);
      });
    });
    this.position += got;
    return got;
  }
}

/** Writes an fd at its file position, looping over short writes. */
export class FdSink implements ByteSink {
  constructor(readonly fd: number) {}

  async write(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      try {
        done += await new Promise<number>((resolve, reject) => {
          write(this.fd, data, done, data.length - done, null, (error, written) => {
            if (error === null) resolve(written);
            else reject(error);
          });
        });
      } catch (error: unknown) {
        if (!isEagain(error)) throw error;
        await sleep(EAGAIN_DELAY_MS);
      }
    }
  }
}

/** An in-memory source; `chunk` caps each read, to exercise short reads. */
export class BufferSource implements ByteSource {
  #position = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly chunk = Number.MAX_SAFE_INTEGER,
  ) {}

  /** Bytes consumed so far. */
  get position(): number {
    return this.#position;
  }

  read(buffer: Uint8Array, offset: number, length: number): Promise<number> {
    const count = Math.min(length, this.chunk, this.data.length - this.#position);
    buffer.set(this.data.subarray(this.#position, this.#position + count), offset);
    this.#position += count;
    return Promise.resolve(count);
  }
}

/** An in-memory sink. */
export class BufferSink implements ByteSink {
  readonly chunks: Buffer[] = [];

  write(data: Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(data));
    return Promise.resolve();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Reads ahead in large chunks: for a reader that owns the whole stream
 * (inspect), never for one that shares it with the module.
 */
export class BufferedSource implements ByteSource {
  #buffer: Buffer;
  #start = 0;
  #end = 0;

  constructor(
    private readonly source: ByteSource,
    size = 1024 * 1024,
  ) {
    this.#buffer = Buffer.alloc(size);
  }

  async read(buffer: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.#start === this.#end) {
      // A large request bypasses the buffer.
      if (length >= this.#buffer.length) return this.source.read(buffer, offset, length);
      this.#start = 0;
      this.#end = await this.source.read(this.#buffer, 0, this.#buffer.length);
      if (this.#end === 0) return 0;
    }
    const count = Math.min(length, this.#end - this.#start);
    buffer.set(this.#buffer.subarray(this.#start, this.#start + count), offset);
    this.#start += count;
    return count;
  }
}

/**
 * Reads exactly `length` bytes, fewer only at the end of the stream (the
 * caller decides whether that is truncation). Never reads beyond `length`.
 */
export async function readUpTo(source: ByteSource, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = await source.read(buffer, got, length - got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buffer : buffer.subarray(0, got);
}
