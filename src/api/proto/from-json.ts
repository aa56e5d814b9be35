// Kubernetes JSON → protobuf message (Go-faithful: every non-pointer field is written)

import type protobuf from 'protobufjs';
import { ProtobufEncodeError } from './errors.js';
import { EXTRA_VALUES, FIELDS_V1, type FieldInfo, type Json, MICRO_TIME, type Schema, TIME, fieldsOf, hasOwn } from './schema.js';

function encodeError(path: string, message: string): ProtobufEncodeError {
  return new ProtobufEncodeError(`${path}: ${message}`);
}

function parseTime(path: string, v: unknown, micro: boolean): Json {
  if (typeof v !== 'string') throw encodeError(path, 'expected an RFC 3339 time string');
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(v);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw encodeError(path, `invalid RFC 3339 time "${v}"`);
  const seconds = Math.floor(ms / 1000);
  const nanos = micro && m[2] ? Number(m[2].padEnd(9, '0')) : 0;
  if (seconds === 0 && nanos === 0) return {}; // indistinguishable from unset, as in Go
  return { seconds, nanos };
}

function scalarToProto(path: string, field: FieldInfo, v: unknown): unknown {
  switch (field.scalar) {
    case 'string':
      if (typeof v !== 'string') throw encodeError(path, 'expected a string');
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw encodeError(path, 'expected a boolean');
      return v;
    case 'bytes':
      if (typeof v !== 'string') throw encodeError(path, 'expected a base64 string');
      return Buffer.from(v, 'base64');
    default:
      if (typeof v !== 'number' || !Number.isInteger(v)) throw encodeError(path, 'expected an integer');
      return v;
  }
}

function zeroScalar(field: FieldInfo): unknown {
  switch (field.scalar) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function messageValueToProto(s: Schema, path: string, type: protobuf.Type, v: unknown): Json {
  const fullName = type.fullName;
  if (fullName === TIME || fullName === MICRO_TIME) return parseTime(path, v, fullName === MICRO_TIME);
  if (fullName === FIELDS_V1) return { Raw: Buffer.from(JSON.stringify(v), 'utf8') };
  if (EXTRA_VALUES.has(fullName)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw encodeError(path, 'expected an array of strings');
    return { items: [...(v as string[])] };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw encodeError(path, 'expected an object');
  return jsonToMessage(s, path, type, v as Json);
}

/** Go's sort.Strings order: byte-wise on UTF-8. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Converts Kubernetes JSON to the plain object protobufjs encodes. `path` prefixes error
 * messages (the kind at the top level, then `.field`, `[i]` and `["key"]` segments).
 */
export function jsonToMessage(s: Schema, path: string, type: protobuf.Type, json: Json): Json {
  const out: Json = {};
  for (const field of fieldsOf(s, type)) {
    const fieldPath = `${path}.${field.json}`;
    const v = hasOwn(json, field.json) ? json[field.json] : undefined;
    if (field.map) {
      if (v === undefined || v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw encodeError(fieldPath, 'expected an object');
      const valueField = field.mapValue as FieldInfo;
      out[field.name] = Object.keys(v)
        .sort(compareUtf8)
        .map((key) => {
          const value = (v as Json)[key];
          const entryPath = `${fieldPath}[${JSON.stringify(key)}]`;
          return {
            key,
            [valueField.name]: valueField.message
              ? messageValueToProto(s, entryPath, valueField.message, value)
              : scalarToProto(entryPath, valueField, value),
          };
        });
      continue;
    }
    if (field.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw encodeError(fieldPath, 'expected an array');
      out[field.name] = v.map((item, i) =>
        field.message
          ? messageValueToProto(s, `${fieldPath}[${i}]`, field.message, item)
          : scalarToProto(`${fieldPath}[${i}]`, field, item),
      );
      continue;
    }
    if (v === undefined || v === null) {
      if (field.pointer) continue; // nil pointer: not on the wire
      // Go value: written even when empty. A zero Time is an empty message; a nested struct is
      // written with all of its own zero fields.
      if (!field.message) out[field.name] = zeroScalar(field);
      else if (field.message.fullName === TIME || field.message.fullName === MICRO_TIME) out[field.name] = {};
      else out[field.name] = jsonToMessage(s, fieldPath, field.message, {});
      continue;
    }
    out[field.name] = field.message ? messageValueToProto(s, fieldPath, field.message, v) : scalarToProto(fieldPath, field, v);
  }
  return out;
}
