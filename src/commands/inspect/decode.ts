// The judgement of `cptctl inspect`: from the records of an image (as
// src/image/reader.ts yields them) to an ImageSummary with one entry per
// process of the tree. Integrity problems (order, counts the trailer
// contradicts, pages that do not fit) are ImageErrors; oddities that do not
// make the image unreadable (an unknown record type, a missing section) are
// notes.
import type { ImageAuthentication } from '../../image/auth.js';
import { imageAuthentication } from '../../image/auth.js';
import { ImageError } from '../../errors.js';
import type { ImageAbi } from '../../image/abi.js';
import { CRC_SIZE, describeType, RECORD_HEADER_SIZE } from '../../image/framing.js';
import type { ImageRecord } from '../../image/reader.js';
import { decodePayload } from '../../image/record-io.js';
import type { Cpu, Files, ImageHeader, Manifest, Mm, Seccomp, Signals, SysvIpc, Task, Trailer, Tree } from '../../image/schema.js';
import { RECORD_MESSAGES } from '../../image/schema.js';

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

/** One task's own records: a thread has these and nothing else. */
export interface ThreadSummary {
  /** Its pid in the tree (that of its TASK record when the image has no tree). */
  readonly pid: number;
  readonly task: Task | null;
  readonly signals: Signals | null;
  readonly cpu: Cpu | null;
}

/** A process: its main thread's records, its other threads', its fd table and its memory. */
export interface ProcessSummary extends ThreadSummary {
  /** Its threads but the main one, in tree order. */
  readonly threads: readonly ThreadSummary[];
  /** Its own fd table; null for a process sharing an earlier one's (see fdTableOf). */
  readonly files: Files | null;
  /** The pid of the process whose fd table it shares (CLONE_FILES), else 0. */
  readonly fdTableOf: number;
  readonly mm: Mm | null;
  /** The PAGES records after its MM record. */
  readonly pages: PagesSummary;
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
  /** Every task of the image, zombies included. */
  readonly tree: Tree | null;
  /** The SysV objects of the tree's IPC namespace. */
  readonly ipc: SysvIpc | null;
  /** The seccomp filters of the tree's tasks, each once. */
  readonly seccomp: Seccomp | null;
  /** Every process but zombies, in tree order, the root first, each with its own records. */
  readonly processes: readonly ProcessSummary[];
  /** The root's (processes[0]'s) sections, as single-process images always had them. */
  readonly task: Task | null;
  readonly signals: Signals | null;
  readonly files: Files | null;
  /** Every process's FILES record, in tree order (its processes, zombies left out). */
  readonly processFiles: readonly Files[];
  readonly cpu: Cpu | null;
  readonly mm: Mm | null;
  /** The whole image's pages; perVma is the root's. */
  readonly pages: PagesSummary;
  /** Checked: its counts match the image. */
  readonly trailer: Trailer;
  /** What the trailer's authentication fields say (only the module can verify them). */
  readonly authentication: ImageAuthentication;
  readonly unknownRecords: readonly UnknownRecord[];
  /** What is odd but not corrupt, one sentence each. */
  readonly notes: readonly string[];
}

/** A task being filled in from its records. */
interface TaskSlot {
  pid: number;
  tgid: number;
  fdTableOf: number;
  task: Task | null;
  signals: Signals | null;
  cpu: Cpu | null;
}

/** A process being filled in: its main thread's slot, and what only processes have. */
interface ProcessSlot {
  main: TaskSlot;
  threads: TaskSlot[];
  files: Files | null;
  mm: Mm | null;
  pageRecords: number;
  pageCount: bigint;
  pageBytes: bigint;
  perVma: bigint[];
  outsideVmas: bigint;
}

/**
 * Who each record belongs to. The module writes the subsystems' records in
 * tree order (docs/image-format.md): TASK, SIGNALS and CPU one per live
 * task, FILES one per process with its own fd table, MM (and its PAGES) one
 * per process; so the nth record of a type is the nth of those. Pids do not
 * tie them (a Task's pid is in the caller's namespace, the tree's in the
 * root's). An image without a tree (hand-made) gets a task per TASK record.
 */
class Owners {
  readonly tasks: TaskSlot[] = [];
  readonly processes: ProcessSlot[] = [];
  readonly #next: Record<'TASK' | 'SIGNALS' | 'CPU' | 'FILES' | 'MM', number> = { TASK: 0, SIGNALS: 0, CPU: 0, FILES: 0, MM: 0 };
  #fromTree = false;

  /** The tree's live tasks become the slots. */
  setTree(tree: Tree): void {
    this.#fromTree = true;
    for (const t of tree.tasks) {
      if (!t.zombie) this.#add(t.pid, t.tgid, t.fdTableOf);
    }
  }

  #add(pid: number, tgid: number, fdTableOf: number): TaskSlot {
    const slot: TaskSlot = { pid, tgid, fdTableOf, task: null, signals: null, cpu: null };
    this.tasks.push(slot);
    const process = this.processes.find((p) => p.main.tgid === tgid);
    if (process !== undefined && pid !== tgid) process.threads.push(slot);
    else {
      this.processes.push({
        main: slot,
        threads: [],
        files: null,
        mm: null,
        pageRecords: 0,
        pageCount: 0n,
        pageBytes: 0n,
        perVma: [],
        outsideVmas: 0n,
      });
    }
    return slot;
  }

  /** The task the next record of a per-task type belongs to; undefined: more records than tasks. */
  task(type: 'TASK' | 'SIGNALS' | 'CPU', message: Task | null): TaskSlot | undefined {
    const index = this.#next[type]++;
    const slot = this.tasks[index];
    if (slot === undefined && type === 'TASK' && !this.#fromTree && message !== null) {
      return this.#add(message.pid, message.tgid, 0);
    }
    return slot;
  }

  /** The process the next FILES or MM record belongs to. */
  process(type: 'FILES' | 'MM'): ProcessSlot | undefined {
    const owners = type === 'FILES' ? this.processes.filter((p) => p.main.fdTableOf === 0) : this.processes;
    return owners[this.#next[type]++];
  }

  /** How many records of `type` the tasks call for, and how many came. */
  count(type: 'TASK' | 'SIGNALS' | 'CPU' | 'FILES' | 'MM'): { expected: number; seen: number } {
    const expected =
      type === 'FILES'
        ? this.processes.filter((p) => p.main.fdTableOf === 0).length
        : type === 'MM'
          ? this.processes.length
          : this.tasks.length;
    return { expected, seen: this.#next[type] };
  }
}

function pagesOf(process: ProcessSlot | undefined): PagesSummary {
  if (process === undefined) return { records: 0, pages: 0n, bytes: 0n, perVma: [], outsideVmas: 0n };
  return {
    records: process.pageRecords,
    pages: process.pageCount,
    bytes: process.pageBytes,
    perVma: process.perVma,
    outsideVmas: process.outsideVmas,
  };
}

function threadOf(slot: TaskSlot): ThreadSummary {
  return { pid: slot.pid, task: slot.task, signals: slot.signals, cpu: slot.cpu };
}

/** What can be said of a process by its pid, for notes. */
/**
 * What is wrong with a process's in_parent runs (Vma field 26), which a
 * restart does not read yet: each inside its VMA, in order, and all of them
 * counted by the Mm's nr_in_parent_pages.
 */
function inParentNotes(mm: Mm, name: string, pageSize: bigint): string[] {
  const notes: string[] = [];
  let total = 0n;
  for (const vma of mm.vmas) {
    let prevEnd = vma.start;
    for (const run of vma.inParent) {
      const end = run.start + run.nrPages * pageSize;
      if (run.nrPages === 0n || run.start < prevEnd || end > vma.end) {
        notes.push(`the MM record of ${name}: pages in parent from 0x${run.start.toString(16)} out of order or outside their VMA`);
      }
      prevEnd = end;
      total += run.nrPages;
    }
  }
  if (total !== mm.nrInParentPages) {
    notes.push(`the MM record of ${name} announces ${mm.nrInParentPages} pages in parent, its VMAs' runs hold ${total}`);
  }
  return notes;
}

function processName(process: ProcessSlot): string {
  return `process ${process.main.pid}`;
}

export async function decodeImage(abi: ImageAbi, records: AsyncGenerator<ImageRecord, number, void>): Promise<ImageSummary> {
  let header: ImageHeader | null = null;
  let trailer: Trailer | null = null;
  let manifest: Manifest | null = null;
  let tree: Tree | null = null;
  let ipc: SysvIpc | null = null;
  let seccomp: Seccomp | null = null;
  const owners = new Owners();
  const unknownRecords: UnknownRecord[] = [];
  const processFiles: Files[] = [];
  const notes: string[] = [];
  // The process whose MM record came last: the PAGES records that follow are its.
  let memoryOf: ProcessSlot | undefined;
  let sawMm = false;
  let count = 0;
  let size: number;
  // cptctl's own records, which the module's trailer may leave out of its counts.
  let userRecords = 0;
  let recordsBeforeTrailer = 0;
  let moduleRecordsBeforeTrailer = 0;
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
      notes.push(`${where}: skipped a record of unknown type ${record.type} (${record.length} bytes), ` + 'written by a newer module?');
      continue;
    }

    if (record.kind === 'pages') {
      if (!sawMm || header === null) {
        throw new ImageError(`${where}: a PAGES record before the MM record that describes its memory`);
      }
      const { start, nrPages } = record.pages;
      const pageSize = BigInt(header.pageSize);
      if (BigInt(record.dataBytes) !== nrPages * pageSize) {
        throw new ImageError(`${where}: the PAGES record holds ${record.dataBytes} bytes for ${nrPages} pages ` + `of ${pageSize} bytes`);
      }
      if (start % pageSize !== 0n) notes.push(`${where}: pages start at 0x${start.toString(16)}, not on a page boundary`);
      if (memoryOf === undefined) continue; // an MM record of no process: noted there
      memoryOf.pageRecords++;
      memoryOf.pageCount += nrPages;
      memoryOf.pageBytes += BigInt(record.dataBytes);
      const end = start + nrPages * pageSize;
      let inside = 0n;
      const { perVma } = memoryOf;
      memoryOf.mm?.vmas.forEach((vma, i) => {
        const from = start > vma.start ? start : vma.start;
        const to = end < vma.end ? end : vma.end;
        if (to > from) {
          const pages = (to - from) / pageSize;
          perVma[i] = (perVma[i] ?? 0n) + pages;
          inside += pages;
        }
      });
      if (inside < nrPages) {
        memoryOf.outsideVmas += nrPages - inside;
        notes.push(
          `${where}: ${nrPages - inside} of its pages (from 0x${start.toString(16)}) lie in no VMA ` +
            `of the MM record of ${processName(memoryOf)}`,
        );
      }
      continue;
    }

    // A message record: typeName is known and has a message.
    const messageName = typeName === undefined ? undefined : RECORD_MESSAGES[typeName];
    if (typeName === undefined || messageName === undefined) {
      throw new Error(`no message for record type ${record.type}`); // reader.ts and RECORD_MESSAGES disagree: a bug
    }
    const message = decodePayload(messageName, record.payload, where);
    const once = (previous: unknown): void => {
      if (previous !== null) notes.push(`${where}: a second ${typeName} record, ignored`);
    };
    const beyond = (what: string): void => {
      notes.push(`${where}: a ${typeName} record beyond the ${what} of the tree, ignored`);
    };

    switch (typeName) {
      case 'HEADER':
        if (record.index !== 0) throw new ImageError(`${where}: a second image header`);
        header = checkHeader(abi, message as ImageHeader, where);
        break;
      case 'TRAILER': {
        trailer = message as Trailer;
        recordsBeforeTrailer = record.index;
        moduleRecordsBeforeTrailer = record.index - userRecords;
        // The trailer counts either every record before it, or (as the module
        // writes it) only the module's own: both are exact.
        const all = trailer.records === BigInt(record.index) && trailer.bytes === BigInt(record.offset);
        const moduleOnly = trailer.records === BigInt(record.index - userRecords) && trailer.bytes === BigInt(record.offset - userBytes);
        if (!all && !moduleOnly) {
          throw new ImageError(
            `${where}: the trailer counts ${trailer.records} records and ${trailer.bytes} bytes ` +
              `before it, but the image has ${record.index} records and ${record.offset} bytes ` +
              `(${record.index - userRecords} and ${record.offset - userBytes} without cptctl's manifest): ` +
              'records are missing or extra',
          );
        }
        break;
      }
      case 'MANIFEST':
        userRecords++;
        userBytes += RECORD_HEADER_SIZE + record.length + CRC_SIZE;
        once(manifest);
        manifest ??= message as Manifest;
        break;
      case 'TREE':
        once(tree);
        if (tree === null) {
          tree = message as Tree;
          if (owners.tasks.length === 0) owners.setTree(tree);
        }
        break;
      case 'IPC':
        once(ipc);
        ipc ??= message as SysvIpc;
        break;
      case 'SECCOMP':
        once(seccomp);
        seccomp ??= message as Seccomp;
        break;
      case 'TASK':
      case 'SIGNALS':
      case 'CPU': {
        const slot = owners.task(typeName, typeName === 'TASK' ? (message as Task) : null);
        if (slot === undefined) beyond('tasks');
        else if (typeName === 'TASK') slot.task = message as Task;
        else if (typeName === 'SIGNALS') slot.signals = message as Signals;
        else slot.cpu = message as Cpu;
        break;
      }
      case 'FILES': {
        processFiles.push(message as Files);
        const process = owners.process('FILES');
        if (process === undefined) beyond('processes with an fd table of their own');
        else process.files = message as Files;
        break;
      }
      case 'MM': {
        sawMm = true;
        memoryOf = owners.process('MM');
        if (memoryOf === undefined) beyond('processes');
        else {
          memoryOf.mm = message as Mm;
          memoryOf.perVma = memoryOf.mm.vmas.map(() => 0n);
        }
        break;
      }
      default:
        throw new Error(`no place for record type ${typeName}`); // a record type inspect does not know: a bug
    }
  }

  if (header === null) throw new ImageError('the image is empty');
  if (trailer === null) {
    throw new ImageError(`the image ends after ${count} records (${size} bytes) without a trailer: it is truncated`);
  }
  if (manifest === null) notes.push('the image has no MANIFEST record');
  if (tree === null) notes.push('the image has no TREE record');
  if (ipc === null) notes.push('the image has no IPC record');
  for (const type of ['TASK', 'SIGNALS', 'FILES', 'CPU', 'MM'] as const) {
    const { expected, seen } = owners.count(type);
    if (seen === 0) notes.push(`the image has no ${type} record`);
    else if (seen < expected)
      notes.push(`the image has ${seen} ${type} records for ${expected} ${type === 'FILES' || type === 'MM' ? 'processes' : 'tasks'}`);
  }
  for (const process of owners.processes) {
    const { mm } = process;
    if (mm !== null && mm.nrPages !== process.pageCount) {
      notes.push(
        `the MM record of ${processName(process)} announces ${mm.nrPages} pages, ` + `the PAGES records after it hold ${process.pageCount}`,
      );
    }
    if (mm !== null) notes.push(...inParentNotes(mm, processName(process), BigInt(header.pageSize)));
  }

  const processes: ProcessSummary[] = owners.processes.map((process) => ({
    ...threadOf(process.main),
    threads: process.threads.map(threadOf),
    files: process.files,
    fdTableOf: process.main.fdTableOf,
    mm: process.mm,
    pages: pagesOf(process),
  }));
  const root = processes[0];
  const all = owners.processes;
  return {
    size,
    records: count,
    header,
    manifest,
    tree,
    ipc,
    seccomp,
    processes,
    task: root?.task ?? null,
    signals: root?.signals ?? null,
    files: root?.files ?? null,
    processFiles,
    cpu: root?.cpu ?? null,
    mm: root?.mm ?? null,
    pages: {
      records: all.reduce((n, p) => n + p.pageRecords, 0),
      pages: all.reduce((n, p) => n + p.pageCount, 0n),
      bytes: all.reduce((n, p) => n + p.pageBytes, 0n),
      perVma: root?.pages.perVma ?? [],
      outsideVmas: all.reduce((n, p) => n + p.outsideVmas, 0n),
    },
    trailer,
    authentication: imageAuthentication(trailer, recordsBeforeTrailer, moduleRecordsBeforeTrailer),
    unknownRecords,
    notes,
  };
}

function checkHeader(abi: ImageAbi, header: ImageHeader, where: string): ImageHeader {
  if (header.formatVersion !== abi.version) {
    throw new ImageError(`${where}: image format version ${header.formatVersion}, ` + `this cptctl reads version ${abi.version}`);
  }
  const { pageSize } = header;
  if (pageSize < 1024 || (pageSize & (pageSize - 1)) !== 0) {
    throw new ImageError(`${where}: the image header gives an impossible page size, ${pageSize}`);
  }
  return header;
}
