// `cptctl encode`: an image from its JSON (inspect --json's `recordList`), the
// inverse of inspect, as CRIU's `crit encode` is of `crit decode`. The bytes
// are checked the way inspect checks an image before anything is written,
// so that what encode writes is a valid image.
import { readFile } from 'node:fs/promises';

import { CptError, ImageError } from '../../errors.js';
import { imageAbi } from '../../image/abi.js';
import { openImageForWriting, removeImage } from '../../image/files.js';
import type { EncodedImage } from '../../image/image-json.js';
import { encodeImageJson } from '../../image/image-json.js';
import { BufferSource, FdSink } from '../../image/io.js';
import { describeSystemError } from '../../system-error.js';
import { inspectSource } from '../inspect/inspect.js';

export interface EncodeRequest {
  /** The JSON file, or '-' for stdin. */
  readonly input: string;
  /** The image to write, or '-' for stdout. */
  readonly output: string;
}

export interface EncodeResult {
  readonly output: string;
  readonly records: number;
  readonly bytes: number;
}

async function readInput(input: string): Promise<string> {
  try {
    if (input !== '-') return await readFile(input, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error: unknown) {
    throw new ImageError(`cannot read ${input === '-' ? 'stdin' : input}: ${describeSystemError(error)}`, { cause: error });
  }
}

/** Parses `text` (named `name` in errors) and encodes it; the image is checked as inspect checks one. */
export async function encodeJsonText(text: string, name: string): Promise<EncodedImage> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error: unknown) {
    throw new ImageError(`${name} is not JSON: ${(error as Error).message}`, {
      cause: error,
      hint: 'give encode what `cptctl inspect IMAGE --json` writes',
    });
  }
  let encoded: EncodedImage;
  try {
    encoded = encodeImageJson(imageAbi(), document);
  } catch (error: unknown) {
    if (error instanceof CptError) {
      throw new ImageError(`${name}: ${error.message}`, error.hint === undefined ? { cause: error } : { cause: error, hint: error.hint });
    }
    throw error;
  }
  try {
    await inspectSource(new BufferSource(encoded.bytes), name);
  } catch (error: unknown) {
    if (!(error instanceof ImageError)) throw error;
    throw new ImageError(`${name} does not make a valid image: ${error.message}`, {
      cause: error,
      hint: 'record N of the message is recordList[N] of the JSON',
    });
  }
  return encoded;
}

export async function encode(request: EncodeRequest): Promise<EncodeResult> {
  const encoded = await encodeJsonText(await readInput(request.input), request.input === '-' ? 'stdin' : request.input);
  const image = await openImageForWriting(request.output, (message, cause) => new ImageError(message, { cause }));
  try {
    await new FdSink(image.fd).write(encoded.bytes);
  } catch (error: unknown) {
    await removeImage(image);
    throw new ImageError(`cannot write image ${request.output}: ${describeSystemError(error)}`, { cause: error });
  } finally {
    await image.close();
  }
  return { output: request.output, records: encoded.records, bytes: encoded.bytes.length };
}
