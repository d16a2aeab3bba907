// The one loader of proto/cpt.proto (protobufjs, at run time) and the typed
// view of its messages. The message types are generated from the schema
// (schema.generated.ts, by scripts/gen-pb-fields.mjs); what is written here
// is what the schema does not say: which messages are record payloads, and
// how they are decoded and encoded.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type protobufjs from 'protobufjs';

import type { RecordTypeName } from '../native.js';
import { packageRoot } from '../package.js';
import type { Cpu, Files, ImageHeader, Manifest, Mm, Seccomp, Signals, SysvIpc, Task, Trailer, Tree } from './schema.generated.js';

export type * from './schema.generated.js';

export const PROTO_PATH: string = join(packageRoot, 'proto', 'cpt.proto');

/**
 * The schema as protobufjs's JSON descriptor, which `npm run build`
 * (scripts/bundle-cli.mjs) writes from PROTO_PATH: loaded with protobufjs's
 * light build, it spares each cptctl call parsing the .proto (a good part
 * of a short call under emulation).
 */
export const PROTO_JSON_PATH: string = join(packageRoot, 'dist', 'cpt.proto.json');

/** The JSON descriptor, unless it is missing or older than the .proto it was made from. */
function prebuiltSchema(): unknown {
  try {
    if (statSync(PROTO_JSON_PATH).mtimeMs < statSync(PROTO_PATH).mtimeMs) return undefined;
    return JSON.parse(readFileSync(PROTO_JSON_PATH, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every message of cpt.proto that is a record payload, by its name there. */
export interface Messages {
  ImageHeader: ImageHeader;
  Manifest: Manifest;
  Tree: Tree;
  SysvIpc: SysvIpc;
  Seccomp: Seccomp;
  Task: Task;
  Signals: Signals;
  Files: Files;
  Cpu: Cpu;
  Mm: Mm;
  Trailer: Trailer;
}

export type MessageName = keyof Messages;

/** The message of each record type that has one (PAGES holds raw pages): docs/image-format.md's table. */
export const RECORD_MESSAGES: Readonly<Partial<Record<RecordTypeName, MessageName>>> = {
  HEADER: 'ImageHeader',
  MANIFEST: 'Manifest',
  TREE: 'Tree',
  IPC: 'SysvIpc',
  SECCOMP: 'Seccomp',
  TASK: 'Task',
  SIGNALS: 'Signals',
  FILES: 'Files',
  CPU: 'Cpu',
  MM: 'Mm',
  TRAILER: 'Trailer',
};

type DeepPartial<T> = T extends bigint | string | number | boolean | Buffer
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepPartial<E>[]
    : { readonly [K in keyof T]?: DeepPartial<T[K]> };

/** What encodeMessage() takes: any subset of the fields, absent ones being proto3 defaults. */
export type MessageInit<N extends MessageName> = DeepPartial<Messages[N]>;

let root: protobufjs.Root | undefined;

/**
 * The schema, loaded on first use: protobufjs itself is required only then,
 * so that commands without images (check, --help) start faster.
 */
function schemaRoot(): protobufjs.Root {
  if (root === undefined) {
    const prebuilt = prebuiltSchema();
    // A missing or unparsable schema is a broken installation, not a bad
    // image: it surfaces as an unexpected error.
    root =
      prebuilt === undefined
        ? (createRequire(import.meta.url)('protobufjs') as typeof protobufjs).loadSync(PROTO_PATH)
        : protobufjsLight().Root.fromJSON(prebuilt as protobufjs.INamespace);
  }
  return root;
}

/**
 * protobufjs's light build. In cptctl's bundle (CommonJS, where `require`
 * exists), the plain require() below is what esbuild follows: protobufjs is
 * then part of the bundle, compiled with its code cache and evaluated only
 * here, instead of some 20 files found, read and compiled from node_modules
 * on each call. Run from dist/ as ES modules (the guest driver, the tests),
 * it is required from node_modules as before.
 */
function protobufjsLight(): typeof protobufjs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: esbuild bundles only a plain require()
  if (typeof require === 'function') return require('protobufjs/light') as typeof protobufjs;
  return createRequire(import.meta.url)('protobufjs/light') as typeof protobufjs;
}

/** The protobufjs type of a record message. */
export function messageType(name: MessageName): protobufjs.Type {
  return schemaRoot().lookupType(`cpt.${name}`);
}

/** How a decoded message becomes the plain object of Messages: every field there, 64-bit ones as bigints, enums by name. */
export const TO_OBJECT: protobufjs.IConversionOptions = {
  longs: BigInt,
  enums: String,
  defaults: true,
  arrays: true,
};

/** Decodes a payload; throws protobufjs's own Error (e.g. RangeError) when it is malformed. */
export function decodeMessage<N extends MessageName>(name: N, payload: Uint8Array): Messages[N] {
  const type = messageType(name);
  return plainObjectOf(type)(type.decode(payload)) as unknown as Messages[N];
}

type Plain = Record<string, unknown>;
type ToPlain = (message: protobufjs.Message) => Plain;

const plainConverters = new Map<protobufjs.Type, ToPlain>();

/**
 * What type.toObject(message, TO_OBJECT) gives, the same keys in the same
 * order and the same values, made faster. protobufjs's converter makes each
 * absent field's default anew (a Long and a bigint per uint64, a Buffer per
 * bytes field): for a File, some 130 fields of which a few are set, so that
 * an image of 21,000 files took seconds under emulation, most of it the
 * garbage collector's. Here the defaults are copied from one object made
 * once per type (a bigint is a value; the empty Buffers are shared, and
 * nothing writes into an empty Buffer), each repeated field gets its own
 * array, and only the fields the payload has are converted.
 */
function plainObjectOf(type: protobufjs.Type): ToPlain {
  let convert = plainConverters.get(type);
  if (convert !== undefined) return convert;
  const defaults = type.toObject(type.create(), TO_OBJECT);
  const repeated = type.fieldsArray.filter((field) => field.repeated).map((field) => field.name);
  const valueOf = new Map<string, (value: unknown) => unknown>();
  for (const field of type.fieldsArray) {
    const one = plainValueOf(field);
    valueOf.set(field.name, field.repeated ? (values) => (values as unknown[]).map(one) : one);
  }
  convert = (message) => {
    const plain: Plain = { ...defaults };
    for (const name of repeated) plain[name] = [];
    for (const name of Object.keys(message)) {
      const value = (message as unknown as Plain)[name];
      const to = valueOf.get(name);
      if (to !== undefined && value !== null && value !== undefined) plain[name] = to(value);
    }
    return plain;
  };
  plainConverters.set(type, convert);
  return convert;
}

const LONG_TYPES = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);

/** How one value of `field` is converted, as protobufjs's toObject with TO_OBJECT does it. */
function plainValueOf(field: protobufjs.Field): (value: unknown) => unknown {
  field.resolve();
  const resolved = field.resolvedType;
  if (resolved !== null && 'valuesById' in resolved) {
    const names = resolved.valuesById;
    return (value) => names[value as number] ?? value;
  }
  if (resolved !== null) {
    const type = resolved;
    return (value) => plainObjectOf(type)(value as protobufjs.Message);
  }
  if (LONG_TYPES.has(field.type)) {
    const signed = field.type !== 'uint64' && field.type !== 'fixed64';
    return (value) => {
      if (typeof value === 'number') return BigInt(value);
      const { low, high } = value as { low: number; high: number };
      const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
      return signed ? BigInt.asIntN(64, bits) : bits;
    };
  }
  return (value) => value;
}

export function encodeMessage<N extends MessageName>(name: N, value: MessageInit<N>): Uint8Array {
  const type = messageType(name);
  return type.encode(type.fromObject(value)).finish();
}
