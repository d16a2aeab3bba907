// The fuzzer's mutants: real images (seeds) changed where the format has
// meaning, so that restart's decoders and checks see values a corrupt or
// hostile image could hold, not only broken framing (test/workloads/mutate.c
// does that). Pure: mutant(seeds, seed, index) is a function of its
// arguments alone, so a run is reproducible from its seed, resumable at any
// index, and a mutant that crashed the guest can be made again on the host.
// Every mutant is framed correctly (CRCs included): it reaches the decoders.
import type protobufjs from 'protobufjs';

import type { ImageAbi } from '../../src/image/abi.js';
import { encodePagesHeader, encodeRecord } from '../../src/image/framing.js';
import { BufferSource } from '../../src/image/io.js';
import { readRecords } from '../../src/image/reader.js';
import type { MessageName } from '../../src/image/schema.js';
import { messageType, RECORD_MESSAGES } from '../../src/image/schema.js';
import type { FieldAt, WireField, WireMessage } from './wire.js';
import { allFields, allMessages, parseMessage, WIRE_LENGTH, WIRE_VARINT, writeMessage } from './wire.js';

/** One record of a seed: its type and payload (a PAGES record's header and pages). */
export interface SeedRecord {
  readonly type: number;
  readonly payload: Buffer;
}

/**
 * The fields a seed image was made for (its TCP connections, its hugetlb
 * mappings), by the name of their record's type and their place in it.
 */
export type Focus = (record: string, at: FieldAt) => boolean;

export interface SeedImage {
  readonly name: string;
  readonly records: readonly SeedRecord[];
  /**
   * Half of the seed's field mutations pick among these fields (when it
   * has any), so that they reach the decoders the seed is there for rather
   * than its every process's registers and signal state.
   */
  readonly focus?: Focus;
}

export const MUTATION_KINDS = ['varint', 'length', 'content', 'repeated', 'records', 'path'] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutant {
  readonly index: number;
  readonly seed: string;
  readonly kind: MutationKind;
  /** What changed: "TASK record 5: creds.uid 0 -> 4294967295". */
  readonly detail: string;
  /** The record changed (its index in the mutant) and the field's path in it, for a field's mutation. */
  readonly record?: number;
  readonly path?: string;
  readonly bytes: Buffer;
}

interface Applied {
  readonly detail: string;
  readonly record?: number;
  readonly path?: string;
}

/** Reads an image's records (framing and CRCs checked) into a seed. */
export async function seedFromImage(abi: ImageAbi, name: string, bytes: Buffer): Promise<SeedImage> {
  const records: SeedRecord[] = [];
  for await (const record of readRecords(abi, new BufferSource(bytes), { keepData: true })) {
    if (record.kind === 'pages')
      records.push({ type: record.type, payload: Buffer.concat([encodePagesHeader(record.pages), record.data!]) });
    else records.push({ type: record.type, payload: record.payload! });
  }
  return { name, records };
}

export function encodeSeed(abi: ImageAbi, records: readonly SeedRecord[]): Buffer {
  return Buffer.concat(records.map((record) => encodeRecord(abi, record.type, record.payload)));
}

const U32_MAX = 0xffff_ffffn;
const U64_MAX = (1n << 64n) - 1n;
const MiB = 1n << 20n;

/**
 * The bounds the module checks (kmod/: CPT_MAX_TASKS, PID_MAX_LIMIT, the
 * record and content sizes, CPT_MAX_EPOLL_TARGETS, NCCS...) and the
 * kernel's own (_NSIG, RLIM_NLIMITS, TASK_SIZE_MAX, PATH_MAX): each is tried
 * as it is and one off on each side.
 */
export const BOUNDS: readonly bigint[] = [
  4096n, // CPT_MAX_TASKS, PATH_MAX, PAGE_SIZE
  4n * MiB, // PID_MAX_LIMIT, CPT_MAX_QUEUED
  16n * MiB, // CPT_RECORD_MAX_MESSAGE, HARD_MSGSIZEMAX
  8n * MiB, // CPT_MAX_CONTENT, CPT_MQ_MAX_BYTES
  65536n, // CPT_MAX_EPOLL_TARGETS, CPT_MAX_GROUPS, HARD_MSGMAX
  32768n, // CPT_IPC_MAX_OBJECTS, MQ_PRIO_MAX
  1n << 20n, // CPT_MAX_FILES, CPT_NR_OPEN_MAX
  256n * 1024n, // CPT_MM_MAX_VMAS, CPT_EPOLL_INFO_MAX
  128n * 1024n, // CPT_PTY_MAX_INPUT
  1024n, // CPT_RECORD_MAX_PAGES
  19n, // NCCS
  16n, // RLIM_NLIMITS, TASK_COMM_LEN
  64n, // _NSIG
  256n, // CPT_MESSAGE_MAX
  0x7fff_ffffn, // INT_MAX
  0x7fff_ffff_f000n, // TASK_SIZE_MAX
];

/** What a varint field may be set to: 0, 1, -1 (as 64 bits), its type's maximum and one past, each bound and one off. */
export function varintValues(field: protobufjs.Field | undefined): bigint[] {
  const max = field?.type === 'uint64' ? U64_MAX : field?.type === 'bool' ? 1n : U32_MAX;
  const values = [0n, 1n, U64_MAX, max, max - 1n, max + 1n];
  for (const bound of BOUNDS) values.push(bound - 1n, bound, bound + 1n);
  return values.map((value) => BigInt.asUintN(64, value));
}

/** Where a path is expected: things that are not the file it was, or that are dangerous to open. */
export const HOSTILE_PATHS: readonly string[] = [
  '/dev/null',
  '/dev/zero',
  '/dev/cpt',
  '/dev/tty',
  '/dev/ptmx',
  '/dev/mem',
  '/dev/kmsg',
  '/proc/self/mem',
  '/proc/1/environ',
  '/proc/sys/kernel/ns_last_pid',
  '/proc/kcore',
  '/sys/kernel/notes',
  '/',
  '/proc',
  '/etc',
  '/etc/shadow',
  '/tmp/cpt-fuzz/fifo', // a FIFO nobody writes to: an open that blocks
  '/tmp/cpt-fuzz/link-shadow', // a symlink to /etc/shadow
  '/tmp/cpt-fuzz/link-loop', // a symlink to itself
  '/tmp/cpt-fuzz/socket', // a unix socket nobody listens on
  '/tmp/cpt-fuzz/missing/../../../etc/passwd',
  '',
  'relative/path',
  `/${'x'.repeat(4095)}`, // PATH_MAX with its NUL
  `/${'x'.repeat(4094)}`,
  '/a\u0000b',
];

/** A small deterministic generator (mulberry32) per mutant: seed and index hashed together. */
export class Random {
  private state: number;
  constructor(seed: number, index: number) {
    this.state = (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) ^ Math.imul(index + 1, 0xc2b2_ae35)) >>> 0;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    this.state = (this.state + 0x6d2b_79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.below(items.length)]!;
  }
}

interface Parsed {
  readonly original: SeedRecord;
  readonly type: number;
  readonly name: string;
  /** The seed's record parsed once (cached), never changed: where mutations find their fields. */
  readonly pristine: WireMessage | undefined;
  /** This mutant's own copy of it, parsed only when a mutation changes the record. */
  copy?: WireMessage;
}

/** Parsed seed records (null: PAGES, or a payload that does not parse), and their fields and messages: made once per seed. */
const pristineOf = new WeakMap<SeedRecord, WireMessage | null>();
const fieldsCache = new WeakMap<WireMessage, FieldAt[]>();
const messagesCache = new WeakMap<WireMessage, { message: WireMessage; path: string }[]>();

function cachedFields(message: WireMessage): FieldAt[] {
  let fields = fieldsCache.get(message);
  if (fields === undefined) {
    fields = allFields(message);
    fieldsCache.set(message, fields);
  }
  return fields;
}

function cachedMessages(message: WireMessage): { message: WireMessage; path: string }[] {
  let messages = messagesCache.get(message);
  if (messages === undefined) {
    messages = allMessages(message);
    messagesCache.set(message, messages);
  }
  return messages;
}

function parseRecords(abi: ImageAbi, records: readonly SeedRecord[]): Parsed[] {
  return records.map((record) => {
    const typeName = abi.typeName(record.type);
    let pristine = pristineOf.get(record);
    if (pristine === undefined) {
      const messageName: MessageName | undefined = typeName === undefined ? undefined : RECORD_MESSAGES[typeName];
      pristine = null;
      if (messageName !== undefined) {
        try {
          pristine = parseMessage(messageType(messageName), record.payload);
        } catch {
          pristine = null;
        }
      }
      pristineOf.set(record, pristine);
    }
    return { original: record, type: record.type, name: typeName ?? `type ${record.type}`, pristine: pristine ?? undefined };
  });
}

/** The mutant's own copy of a record's message, to change. */
function mutable(record: Parsed): WireMessage {
  record.copy ??= parseMessage(record.pristine!.type, record.original.payload);
  return record.copy;
}

function formatValue(value: bigint | Buffer): string {
  if (typeof value === 'bigint') return value.toString();
  const text = value.toString('utf8');
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...(${text.length})` : text);
}

type Match = (at: FieldAt, record: string) => boolean;

/** The candidates of each kind of field per seed, found once: a mutant's records are its seed's until one is mutated. */
const candidatesCache = new WeakMap<SeedRecord, Map<Match, { record: number; k: number }[]>>();

/** The fields of every record that match (found in the seed's records), with where they are. */
function fieldsOf(records: readonly Parsed[], match: Match): { record: number; k: number }[] {
  const key = records[0]!.original;
  let byMatch = candidatesCache.get(key);
  if (byMatch === undefined) {
    byMatch = new Map();
    candidatesCache.set(key, byMatch);
  }
  let found = byMatch.get(match);
  if (found === undefined) {
    found = records.flatMap((record, i) =>
      record.pristine === undefined
        ? []
        : cachedFields(record.pristine).flatMap((at, k) => (match(at, record.name) ? [{ record: i, k }] : [])),
    );
    byMatch.set(match, found);
  }
  return found;
}

/** Each match narrowed to a focus, made once: the candidates' cache knows it by its identity. */
const focusedMatches = new WeakMap<Focus, Map<Match, Match>>();

function focused(match: Match, focus: Focus): Match {
  let byMatch = focusedMatches.get(focus);
  if (byMatch === undefined) {
    byMatch = new Map();
    focusedMatches.set(focus, byMatch);
  }
  let narrowed = byMatch.get(match);
  if (narrowed === undefined) {
    narrowed = (at, record) => match(at, record) && focus(record, at);
    byMatch.set(match, narrowed);
  }
  return narrowed;
}

/**
 * A random field among those that match, in the mutant's own copy of its
 * record; one in the seed's focus every other time, when it has one;
 * undefined when none matches.
 */
function pickField(records: readonly Parsed[], match: Match, random: Random, focus?: Focus): { record: number; at: FieldAt } | undefined {
  let candidates = fieldsOf(records, match);
  if (focus !== undefined && random.below(2) === 0) {
    const inFocus = fieldsOf(records, focused(match, focus));
    if (inFocus.length > 0) candidates = inFocus;
  }
  if (candidates.length === 0) return undefined;
  const { record, k } = random.pick(candidates);
  return { record, at: allFields(mutable(records[record]!))[k]! };
}

function where(records: readonly Parsed[], i: number, path: string): string {
  return `${records[i]!.name} record ${i}: ${path}`;
}

const isVarint = (at: FieldAt): boolean => at.field.wire === WIRE_VARINT;
const isLength = (at: FieldAt): boolean => at.field.wire === WIRE_LENGTH;
const isContent = (at: FieldAt): boolean => at.field.wire === WIRE_LENGTH && at.field.message === undefined;
const isString = (at: FieldAt): boolean => isContent(at) && at.field.field?.type === 'string';

/** Applies one mutation of `kind` to the records; says what it did, or null when the seed has nothing to mutate that way. */
function applyMutation(kind: MutationKind, records: Parsed[], random: Random, focus?: Focus): Applied | null {
  switch (kind) {
    case 'varint': {
      const picked = pickField(records, isVarint, random, focus);
      if (picked === undefined) return null;
      const { record, at } = picked;
      const before = at.field.value as bigint;
      const value = random.pick(varintValues(at.field.field).filter((v) => v !== before));
      at.field.value = value;
      return { detail: `${where(records, record, at.path)} ${before} -> ${value}`, record, path: at.path };
    }
    case 'length': {
      const picked = pickField(records, isLength, random, focus);
      if (picked === undefined) return null;
      const { record, at } = picked;
      at.field.lengthDelta = random.pick([-1, 1]);
      return { detail: `${where(records, record, at.path)} length ${at.field.lengthDelta > 0 ? '+1' : '-1'}`, record, path: at.path };
    }
    case 'content': {
      // A well-framed field one byte short or long: a register area, a
      // buffer's content, a name.
      const picked = pickField(records, isContent, random, focus);
      if (picked === undefined) return null;
      const { record, at } = picked;
      const bytes = at.field.value as Buffer;
      const longer = bytes.length === 0 || random.below(2) === 0;
      at.field.value = longer ? Buffer.concat([bytes, Buffer.from([random.below(256)])]) : bytes.subarray(0, bytes.length - 1);
      return {
        detail: `${where(records, record, at.path)} ${bytes.length} -> ${at.field.value.length} bytes`,
        record,
        path: at.path,
      };
    }
    case 'repeated':
      return mutateRepeated(records, random);
    case 'records':
      return { detail: mutateRecordList(records, random) };
    case 'path': {
      const picked = pickField(records, isString, random, focus);
      if (picked === undefined) return null;
      const { record, at } = picked;
      const before = at.field.value as Buffer;
      at.field.value = Buffer.from(random.pick(HOSTILE_PATHS.filter((path) => !before.equals(Buffer.from(path)))));
      return {
        detail: `${where(records, record, at.path)} ${formatValue(before)} -> ${formatValue(at.field.value)}`,
        record,
        path: at.path,
      };
    }
  }
}

/** A repeated field (of any message of any record) emptied, one element duplicated, or two swapped. */
function mutateRepeated(records: Parsed[], random: Random): Applied | null {
  const groups: { record: number; m: number; number: number; path: string }[] = [];
  records.forEach((record, i) => {
    if (record.pristine === undefined) return;
    cachedMessages(record.pristine).forEach(({ message, path }, m) => {
      const numbers = new Set(message.fields.filter((f) => f.field?.repeated === true).map((f) => f.number));
      for (const number of numbers) {
        const name = message.type.fieldsById[number]?.name ?? `#${number}`;
        groups.push({ record: i, m, number, path: path === '' ? name : `${path}.${name}` });
      }
    });
  });
  if (groups.length === 0) return null;
  const { record, m, number, path } = random.pick(groups);
  const owner = allMessages(mutable(records[record]!))[m]!.message;
  const positions = owner.fields.flatMap((f, i) => (f.number === number ? [i] : []));
  const action = random.pick(['emptied', 'duplicated', 'swapped'] as const);
  if (action === 'emptied' || (action === 'swapped' && positions.length < 2)) {
    owner.fields = owner.fields.filter((f) => f.number !== number);
    return { detail: `${where(records, record, path)} emptied (${positions.length} elements)`, record, path };
  }
  if (action === 'duplicated') {
    const at = random.pick(positions);
    owner.fields.splice(at + 1, 0, cloneField(owner.fields[at]!));
    return { detail: `${where(records, record, path)}[${positions.indexOf(at)}] duplicated`, record, path };
  }
  const a = random.below(positions.length);
  const bytesOf = (i: number): Buffer => writeMessage({ type: owner.type, fields: [owner.fields[positions[i]!]!] });
  const others = positions.flatMap((_, i) => (i !== a && !bytesOf(i).equals(bytesOf(a)) ? [i] : []));
  if (others.length === 0) {
    owner.fields = owner.fields.filter((f) => f.number !== number);
    return { detail: `${where(records, record, path)} emptied (${positions.length} equal elements)`, record, path };
  }
  const b = random.pick(others);
  const fields = owner.fields;
  [fields[positions[a]!], fields[positions[b]!]] = [fields[positions[b]!]!, fields[positions[a]!]!];
  return { detail: `${where(records, record, path)}[${a}] and [${b}] swapped`, record, path };
}

function cloneField(field: WireField): WireField {
  const copy: WireField = { ...field };
  if (field.message !== undefined) copy.message = { type: field.message.type, fields: field.message.fields.map(cloneField) };
  return copy;
}

/** A record duplicated, dropped, or swapped with another. */
function mutateRecordList(records: Parsed[], random: Random): string {
  const i = random.below(records.length);
  const action = random.pick(['duplicated', 'dropped', 'swapped'] as const);
  const name = records[i]!.name;
  if (action === 'duplicated') {
    records.splice(i + 1, 0, { ...records[i]! });
    return `${name} record ${i} duplicated`;
  }
  if (action === 'dropped' || records.length < 2) {
    records.splice(i, 1);
    return `${name} record ${i} dropped`;
  }
  let j = random.below(records.length - 1);
  if (j >= i) j++;
  [records[i], records[j]] = [records[j]!, records[i]!];
  return `${name} record ${i} and ${records[i].name} record ${j} swapped`;
}

/** Framed records of the seeds, made once: most of a mutant's records (its pages above all) are as the seed has them. */
const frames = new WeakMap<SeedRecord, Buffer>();

function frameOf(abi: ImageAbi, record: Parsed): Buffer {
  const payload = record.copy === undefined ? record.original.payload : writeMessage(record.copy);
  if (!payload.equals(record.original.payload)) return encodeRecord(abi, record.type, payload);
  let frame = frames.get(record.original);
  if (frame === undefined) {
    frame = encodeRecord(abi, record.type, payload);
    frames.set(record.original, frame);
  }
  return frame;
}

/**
 * Mutant `index` of a run with `seed`: a seed image picked by the index
 * (round robin, so that every seed gets its share in any range), a kind,
 * and one mutation of that kind. When the picked seed has nothing for the
 * kind (no string, say), the next kind is tried.
 */
export function mutant(abi: ImageAbi, seeds: readonly SeedImage[], seed: number, index: number): Mutant {
  if (seeds.length === 0) throw new Error('no seed images');
  const random = new Random(seed, index);
  const image = seeds[index % seeds.length]!;
  const first = random.below(MUTATION_KINDS.length);
  for (let k = 0; k < MUTATION_KINDS.length; k++) {
    const kind = MUTATION_KINDS[(first + k) % MUTATION_KINDS.length]!;
    const records = parseRecords(abi, image.records);
    const applied = applyMutation(kind, records, random, image.focus);
    if (applied === null) continue;
    return { index, seed: image.name, kind, ...applied, bytes: Buffer.concat(records.map((record) => frameOf(abi, record))) };
  }
  throw new Error(`seed ${image.name} has nothing to mutate`);
}
