// `cptctl inspect`: read a whole image, check its framing and decode every
// record into an ImageSummary; for --json, also every record as JSON
// (src/image/image-json.ts), which `cptctl encode` turns back into the image.
import { ImageError } from '../../errors.js';
import { imageAbi } from '../../image/abi.js';
import { openImageForReading } from '../../image/files.js';
import type { RecordJson } from '../../image/image-json.js';
import { recordToJson } from '../../image/image-json.js';
import type { ByteSource } from '../../image/io.js';
import { BufferedSource, FdSource } from '../../image/io.js';
import type { ImageRecord } from '../../image/reader.js';
import { readRecords } from '../../image/reader.js';
import { describeSystemError } from '../../system-error.js';
import type { ImageSummary } from './decode.js';
import { decodeImage } from './decode.js';

export interface InspectOptions {
  /** Keep every record as JSON (page data included, so as much memory as the image). */
  readonly records?: boolean;
}

export interface Inspection {
  readonly summary: ImageSummary;
  /** Every record, in order, when asked for. */
  readonly records: readonly RecordJson[] | undefined;
}

/** Passes the records on, each also turned into JSON into `out`. */
async function* keepingJson(
  records: AsyncGenerator<ImageRecord, number, void>,
  out: RecordJson[],
): AsyncGenerator<ImageRecord, number, void> {
  for (;;) {
    const step = await records.next();
    if (step.done) return step.value;
    out.push(recordToJson(step.value));
    yield step.value;
  }
}

/** Decodes the image `source` reads; read failures become ImageErrors naming `name`. */
export async function inspectSource(source: ByteSource, name: string): Promise<ImageSummary> {
  return (await inspectSourceWith(source, name, {})).summary;
}

export async function inspectSourceWith(source: ByteSource, name: string, options: InspectOptions): Promise<Inspection> {
  const abi = imageAbi();
  const reading: ByteSource = {
    read: (buffer, offset, length) =>
      source.read(buffer, offset, length).catch((error: unknown) => {
        throw new ImageError(`cannot read image ${name}: ${describeSystemError(error)}`, { cause: error });
      }),
  };
  const keep = options.records === true;
  const records = readRecords(abi, new BufferedSource(reading), { keepData: keep });
  if (!keep) return { summary: await decodeImage(abi, records), records: undefined };
  const json: RecordJson[] = [];
  return { summary: await decodeImage(abi, keepingJson(records, json)), records: json };
}

/** Inspects the image at `name` (a path, or '-' for stdin). */
export async function inspect(name: string, options: InspectOptions = {}): Promise<Inspection> {
  const image = await openImageForReading(name, (message, cause) => new ImageError(message, { cause }));
  try {
    return await inspectSourceWith(new FdSource(image.fd), name, options);
  } finally {
    await image.close();
  }
}
