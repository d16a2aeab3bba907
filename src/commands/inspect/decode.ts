// The judgement of `cptctl inspect`: from the records of an image (as
// src/image/reader.ts yields them) to an ImageSummary. Integrity problems
// (order, counts the trailer contradicts, pages that do not fit) are
// ImageErrors; oddities that do not make the image unreadable (an unknown
// record type, a missing section) are notes.
import { ImageError } from '../../errors.js';
import type { RecordTypeName } from '../../native.js';
import type { ImageAbi } from '../../image/abi.js';
import { CRC_SIZE, describeType, RECORD_HEADER_SIZE } from '../../image/framing.js';
import type { ImageRecord } from '../../image/reader.js';
import { decodePayload } from '../../image/record-io.js';
import type {
  Cpu, Files, ImageHeader, Manifest, MessageName, Messages, Mm, Signals, SysvIpc, Task, Trailer, Tree,
} from '../../image/schema.js';

export interface PagesSummary {
  /** PAGES records. */
  readonly records: number;
  readonly pages: bigint;
  /** Bytes of page data (without the pages headers). */
  readonly bytes: bigint;
  /** Pages saved within each VMA of mm.vmas, in the same order. */
  readonly perVma: readonly bigint[];
  /** Pages in no VMA of the MM record. */
  readonly outsideVmas: bigint;
}

export interface UnknownRecord {
  readonly index: number;
  readonly offset: number;
  readonly type: number;
  readonly length: number;
}

export interface ImageSummary {
  /** Image bytes. */
  readonly size: number;
  /** Records, the trailer included. */
  readonly records: number;
  readonly header: ImageHeader;
  readonly manifest: Manifest | null;
  /** Every task of the image; the sections below are its first task's (the root's). */
  readonly tree: Tree | null;
  /** The SysV objects of the tree's IPC namespace. */
  readonly ipc: SysvIpc | null;
  readonly task: Task | null;
  readonly signals: Signals | null;
  readonly files: Files | null;
  /** Every process's FILES record, in tree order (its processes, zombies left out). */
  readonly processFiles: readonly Files[];
  readonly cpu: Cpu | null;
  readonly mm: Mm | null;
  readonly pages: PagesSummary;
  /** Checked: its counts match the image. */
  readonly trailer: Trailer;
  readonly unknownRecords: readonly UnknownRecord[];
  /** What is odd but not corrupt, one sentence each. */
  readonly notes: readonly string[];
}

/** The message of each record type that has one. */
const MESSAGE_OF: Readonly<Partial<Record<RecordTypeName, MessageName>>> = {
  HEADER: 'ImageHeader',
  MANIFEST: 'Manifest',
  TREE: 'Tree',
  IPC: 'SysvIpc',
  TASK: 'Task',
  SIGNALS: 'Signals',
  FILES: 'Files',
  CPU: 'Cpu',
  MM: 'Mm',
  TRAILER: 'Trailer',
};

/** The sections a (single-process) image holds once each. */
interface Sections {
  manifest: Manifest | null;
  tree: Tree | null;
  ipc: SysvIpc | null;
  task: Task | null;
  signals: Signals | null;
  files: Files | null;
  cpu: Cpu | null;
  mm: Mm | null;
}

const SECTION_OF: Readonly<Partial<Record<RecordTypeName, keyof Sections>>> = {
  MANIFEST: 'manifest',
  TREE: 'tree',
  IPC: 'ipc',
  TASK: 'task',
  SIGNALS: 'signals',
  FILES: 'files',
  CPU: 'cpu',
  MM: 'mm',
};

export async function decodeImage(
  abi: ImageAbi,
  records: AsyncGenerator<ImageRecord, number, void>,
): Promise<ImageSummary> {
  let header: ImageHeader | null = null;
  let trailer: Trailer | null = null;
  const sections: Sections = { manifest: null, tree: null, ipc: null, task: null, signals: null, files: null, cpu: null, mm: null };
  const unknownRecords: UnknownRecord[] = [];
  const processFiles: Files[] = [];
  const notes: string[] = [];
  let pageRecords = 0;
  let pageCount = 0n;
  let pageBytes = 0n;
  let perVma: bigint[] = [];
  let outsideVmas = 0n;
  let count = 0;
  let size: number;
  // cptctl's own records, which the module's trailer may leave out of its counts.
  let userRecords = 0;
  let userBytes = 0;

  for (;;) {
    const step = await records.next();
    if (step.done) {
      size = step.value;
      break;
    }
    const record = step.value;
    count++;
    const { where, typeName } = record;

    if (trailer !== null) throw new ImageError(`${where}: a ${describeType(abi, record.type)} record after the trailer`);
    if (record.index === 0 && typeName !== 'HEADER') {
      throw new ImageError(`${where}: the image starts with a ${describeType(abi, record.type)} record, not the image header`);
    }

    if (record.kind === 'unknown') {
      unknownRecords.push({ index: record.index, offset: record.offset, type: record.type, length: record.length });
      notes.push(`${where}: skipped a record of unknown type ${record.type} (${record.length} bytes), `
        + 'written by a newer module?');
      continue;
    }

    if (record.kind === 'pages') {
      if (sections.mm === null || header === null) {
        throw new ImageError(`${where}: a PAGES record before the MM record that describes its memory`);
      }
      const { start, nrPages } = record.pages;
      const pageSize = BigInt(header.pageSize);
      if (BigInt(record.dataBytes) !== nrPages * pageSize) {
        throw new ImageError(`${where}: the PAGES record holds ${record.dataBytes} bytes for ${nrPages} pages `
          + `of ${pageSize} bytes`);
      }
      if (start % pageSize !== 0n) notes.push(`${where}: pages start at 0x${start.toString(16)}, not on a page boundary`);
      pageRecords++;
      pageCount += nrPages;
      pageBytes += BigInt(record.dataBytes);
      const end = start + nrPages * pageSize;
      let inside = 0n;
      sections.mm.vmas.forEach((vma, i) => {
        const from = start > vma.start ? start : vma.start;
        const to = end < vma.end ? end : vma.end;
        if (to > from) {
          const pages = (to - from) / pageSize;
          perVma[i] = (perVma[i] ?? 0n) + pages;
          inside += pages;
        }
      });
      if (inside < nrPages) {
        outsideVmas += nrPages - inside;
        notes.push(`${where}: ${nrPages - inside} of its pages (from 0x${start.toString(16)}) lie in no VMA of the MM record`);
      }
      continue;
    }

    // A message record: typeName is known and has a message.
    const messageName = typeName === undefined ? undefined : MESSAGE_OF[typeName];
    if (typeName === undefined || messageName === undefined) {
      throw new Error(`no message for record type ${record.type}`); // reader.ts and MESSAGE_OF disagree: a bug
    }
    const message = decodePayload(messageName, record.payload, where);
    if (typeName === 'MANIFEST') {
      userRecords++;
      userBytes += RECORD_HEADER_SIZE + record.length + CRC_SIZE;
    }

    if (typeName === 'HEADER') {
      if (record.index !== 0) throw new ImageError(`${where}: a second image header`);
      header = checkHeader(abi, message as ImageHeader, where);
    } else if (typeName === 'TRAILER') {
      trailer = message as Trailer;
      // The trailer counts either every record before it, or (as the module
      // writes it) only the module's own: both are exact.
      const all = trailer.records === BigInt(record.index) && trailer.bytes === BigInt(record.offset);
      const moduleOnly = trailer.records === BigInt(record.index - userRecords)
        && trailer.bytes === BigInt(record.offset - userBytes);
      if (!all && !moduleOnly) {
        throw new ImageError(`${where}: the trailer counts ${trailer.records} records and ${trailer.bytes} bytes `
          + `before it, but the image has ${record.index} records and ${record.offset} bytes `
          + `(${record.index - userRecords} and ${record.offset - userBytes} without cptctl's manifest): `
          + 'records are missing or extra');
      }
    } else {
      const section = SECTION_OF[typeName];
      if (section === undefined) throw new Error(`no section for record type ${typeName}`);
      if (section === 'files') processFiles.push(message as Files);
      if (sections[section] !== null) {
        // A tree's other tasks have their own records; one task's image has one of each.
        if ((sections.tree?.tasks.length ?? 1) <= 1) notes.push(`${where}: a second ${typeName} record, ignored`);
      } else {
        // MESSAGE_OF and SECTION_OF pair each type with its own message.
        (sections as Record<keyof Sections, Messages[MessageName] | null>)[section] = message;
        if (section === 'mm') perVma = (message as Mm).vmas.map(() => 0n);
      }
    }
  }

  if (header === null) throw new ImageError('the image is empty');
  if (trailer === null) {
    throw new ImageError(`the image ends after ${count} records (${size} bytes) without a trailer: it is truncated`);
  }
  for (const [typeName, section] of Object.entries(SECTION_OF) as [RecordTypeName, keyof Sections][]) {
    if (sections[section] === null) notes.push(`the image has no ${typeName} record`);
  }
  const { mm } = sections;
  if (mm !== null && mm.nrPages !== pageCount) {
    notes.push(`the MM record announces ${mm.nrPages} pages, the PAGES records hold ${pageCount}`);
  }

  return {
    size,
    records: count,
    header,
    ...sections,
    processFiles,
    pages: { records: pageRecords, pages: pageCount, bytes: pageBytes, perVma, outsideVmas },
    trailer,
    unknownRecords,
    notes,
  };
}

function checkHeader(abi: ImageAbi, header: ImageHeader, where: string): ImageHeader {
  if (header.formatVersion !== abi.version) {
    throw new ImageError(`${where}: image format version ${header.formatVersion}, `
      + `this cptctl reads version ${abi.version}`);
  }
  const { pageSize } = header;
  if (pageSize < 1024 || (pageSize & (pageSize - 1)) !== 0) {
    throw new ImageError(`${where}: the image header gives an impossible page size, ${pageSize}`);
  }
  return header;
}
