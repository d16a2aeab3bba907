#!/usr/bin/env node
// Writes kmod/cpt_pb_fields.h from proto/cpt.proto: the module's field
// numbers and enum values, so the schema stays the single source of truth.
// Usage: scripts/gen-pb-fields.mjs [--check]  (--check: fail if out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoPath = join(root, 'proto', 'cpt.proto');
const headerPath = join(root, 'kmod', 'cpt_pb_fields.h');

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function render() {
  const pkg = protobuf.loadSync(protoPath).lookup('cpt');
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

const text = render();
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(headerPath, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== text) {
    console.error('kmod/cpt_pb_fields.h is out of date with proto/cpt.proto: run scripts/gen-pb-fields.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(headerPath, text);
}
