// `cptctl inspect`: read a whole image, check its framing and decode every
// record into an ImageSummary.
import { ImageError } from '../../errors.js';
import { imageAbi } from '../../image/abi.js';
import { openImageForReading } from '../../image/files.js';
import type { ByteSource } from '../../image/io.js';
import { BufferedSource, FdSource } from '../../image/io.js';
import { readRecords } from '../../image/reader.js';
import { describeSystemError } from '../../system-error.js';
import type { ImageSummary } from './decode.js';
import { decodeImage } from './decode.js';

/** Decodes the image `source` reads; read failures become ImageErrors naming `name`. */
export async function inspectSource(source: ByteSource, name: string): Promise<ImageSummary> {
  const abi = imageAbi();
  const reading: ByteSource = {
    read: (buffer, offset, length) => source.read(buffer, offset, length).catch((error: unknown) => {
      throw new ImageError(`cannot read image ${name}: ${describeSystemError(error)}`, { cause: error });
    }),
  };
  return decodeImage(abi, readRecords(abi, new BufferedSource(reading)));
}

/** Inspects the image at `name` (a path, or '-' for stdin). */
export async function inspect(name: string): Promise<ImageSummary> {
  const image = await openImageForReading(name, (message, cause) => new ImageError(message, { cause }));
  try {
    return await inspectSource(new FdSource(image.fd), name);
  } finally {
    await image.close();
  }
}
