#!/usr/bin/env node
// Writes, from proto/cpt.proto, what can be generated from it, so that the
// schema stays the single source of truth and one change updates both sides:
//   kmod/cpt_pb_fields.h          the module's field numbers and enum values;
//   src/image/schema.generated.ts cptctl's types of the decoded messages.
// Usage: scripts/gen-pb-fields.mjs [--check]  (--check: fail if either is out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoPath = join(root, 'proto', 'cpt.proto');
const headerPath = join(root, 'kmod', 'cpt_pb_fields.h');
const typesPath = join(root, 'src', 'image', 'schema.generated.ts');

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The schema with its comments (any `//` comment, the trailing one preferred), every type resolved. */
function loadSchema() {
  const schema = new protobuf.Root().loadSync(protoPath, { alternateCommentMode: true, preferTrailingComment: true });
  schema.resolveAll();
  return schema.lookup('cpt');
}

function renderHeader(pkg) {
  const lines = [
    '/* SPDX-License-Identifier: GPL-2.0 */',
    '/* Generated from proto/cpt.proto by scripts/gen-pb-fields.mjs: do not edit. */',
    '#ifndef CPT_PB_FIELDS_H',
    '#define CPT_PB_FIELDS_H',
    '',
  ];
  const emitEnum = (prefix, e) => {
    for (const [name, value] of Object.entries(e.values)) lines.push(`#define ${prefix}_${snake(name)} ${value}`);
  };
  for (const type of pkg.nestedArray) {
    const prefix = `CPT_PB_${snake(type.name)}`;
    if (type instanceof protobuf.Type) {
      for (const field of type.fieldsArray) lines.push(`#define ${prefix}_${snake(field.name)} ${field.id}`);
      for (const nested of type.nestedArray) {
        if (nested instanceof protobuf.Enum) emitEnum(`${prefix}_${snake(nested.name)}`, nested);
      }
    } else if (type instanceof protobuf.Enum) {
      emitEnum(prefix, type);
    }
    lines.push('');
  }
  lines.push('#endif /* CPT_PB_FIELDS_H */', '');
  return lines.join('\n');
}

/** File.Kind is FileKind: the enclosing message's name, then the enum's. */
function enumTypeName(e) {
  return e.parent instanceof protobuf.Type ? `${e.parent.name}${e.name}` : e.name;
}

/** The TypeScript of a decoded scalar, as schema.ts's decoder (toObject) gives it. */
const SCALAR_TYPES = {
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'bigint',
  uint64: 'bigint',
  sint64: 'bigint',
  fixed64: 'bigint',
  sfixed64: 'bigint',
  bool: 'boolean',
  string: 'string',
  bytes: 'Buffer',
};

function fieldType(field) {
  const resolved = field.resolvedType;
  // An enum value the schema does not know stays a number.
  const element =
    resolved instanceof protobuf.Enum
      ? `${enumTypeName(resolved)} | number`
      : resolved instanceof protobuf.Type
        ? resolved.name
        : SCALAR_TYPES[field.type];
  if (element === undefined) throw new Error(`${field.fullName}: no TypeScript type for ${field.type}`);
  if (field.repeated) return element.includes('|') ? `(${element})[]` : `${element}[]`;
  // An absent message field decodes as null.
  return resolved instanceof protobuf.Type ? `${element} | null` : element;
}

function docComment(comment, indent) {
  if (!comment) return [];
  const lines = comment.split('\n');
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((line) => `${indent} * ${line}`.trimEnd()), `${indent} */`];
}

function renderTypes(pkg) {
  const lines = [
    '// Generated from proto/cpt.proto by scripts/gen-pb-fields.mjs: do not edit.',
    '// The decoded messages as schema.ts gives them: every field present (proto3',
    '// defaults filled in, null for an absent message), uint64 as bigint, enums as',
    '// their names (a number for a value the schema does not know), bytes as Buffers.',
    '/* eslint-disable */',
    '',
  ];
  const emitEnum = (e) => {
    lines.push(...docComment(e.comment, ''));
    lines.push(
      `export type ${enumTypeName(e)} = ${Object.keys(e.values)
        .map((name) => `'${name}'`)
        .join(' | ')};`,
      '',
    );
  };
  const emitType = (type) => {
    for (const nested of type.nestedArray) {
      if (nested instanceof protobuf.Enum) emitEnum(nested);
    }
    lines.push(...docComment(type.comment, ''));
    lines.push(`export interface ${type.name} {`);
    for (const field of type.fieldsArray) {
      lines.push(...docComment(field.comment, '  '));
      lines.push(`  ${field.name}: ${fieldType(field)};`);
    }
    lines.push('}', '');
    for (const nested of type.nestedArray) {
      if (nested instanceof protobuf.Type) emitType(nested);
    }
  };
  for (const type of pkg.nestedArray) {
    if (type instanceof protobuf.Type) emitType(type);
    else if (type instanceof protobuf.Enum) emitEnum(type);
  }
  lines.pop();
  lines.push('');
  return lines.join('\n');
}

const pkg = loadSchema();
const outputs = [
  { path: headerPath, name: 'kmod/cpt_pb_fields.h', text: renderHeader(pkg) },
  { path: typesPath, name: 'src/image/schema.generated.ts', text: renderTypes(pkg) },
];
if (process.argv.includes('--check')) {
  let stale = false;
  for (const output of outputs) {
    let current = '';
    try {
      current = readFileSync(output.path, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== output.text) {
      console.error(`${output.name} is out of date with proto/cpt.proto: run scripts/gen-pb-fields.mjs`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
} else {
  for (const output of outputs) writeFileSync(output.path, output.text);
}
