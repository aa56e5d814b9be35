// protobuf message → Kubernetes JSON

import type protobuf from 'protobufjs';
import { ProtobufDecodeError } from './errors.js';
import { EXTRA_VALUES, FIELDS_V1, type FieldInfo, type Json, MICRO_TIME, type Schema, TIME, fieldsOf, hasOwn } from './schema.js';

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what Go's RFC 3339 JSON can represent. */
const MIN_SECONDS = -62167219200;
const MAX_SECONDS = 253402300799;

/** Assigns without tripping over `__proto__` (a valid Secret data key). */
function defineOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof v.toNumber === 'function') {
    return Number(v.toNumber());
  }
  throw new ProtobufDecodeError('invalid int64 value');
}

function toBase64(v: unknown): string {
  if (!(v instanceof Uint8Array)) throw new ProtobufDecodeError('invalid bytes value');
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function formatSeconds(seconds: number, fraction = ''): string {
  if (!Number.isFinite(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new ProtobufDecodeError(`timestamp ${seconds} is outside the years 0000-9999`);
  }
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, `${fraction}Z`);
}

function scalarToJson(field: FieldInfo, v: unknown): unknown {
  switch (field.scalar) {
    case 'bytes':
      return toBase64(v);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int64ToNumber(v);
    default:
      return v;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

/** JSON value of a message-typed field, or undefined when it is unset (an empty Time). */
function messageValueToJson(s: Schema, type: protobuf.Type, msg: Json): unknown {
  const fullName = type.fullName;
  if (fullName === TIME || fullName === MICRO_TIME) {
    const seconds = hasOwn(msg, 'seconds') ? int64ToNumber(msg['seconds']) : 0;
    const nanos = hasOwn(msg, 'nanos') ? Number(msg['nanos']) : 0;
    if (fullName === TIME) return seconds === 0 ? undefined : formatSeconds(seconds); // Go drops nanos
    if (seconds === 0 && nanos === 0) return undefined;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) throw new ProtobufDecodeError(`invalid nanos ${nanos}`);
    return formatSeconds(seconds, `.${String(Math.floor(nanos / 1000)).padStart(6, '0')}`);
  }
  if (fullName === FIELDS_V1) {
    const raw = msg['Raw'];
    if (!(raw instanceof Uint8Array) || raw.length === 0) return undefined;
    try {
      return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')) as unknown;
    } catch (err) {
      throw new ProtobufDecodeError('managedFields fieldsV1 is not valid JSON', { cause: err });
    }
  }
  if (EXTRA_VALUES.has(fullName)) {
    const items = msg['items'];
    return Array.isArray(items) ? [...(items as unknown[])] : [];
  }
  return messageToJson(s, type, msg, false);
}

/**
 * Converts a decoded protobufjs message to its Kubernetes JSON shape. `top` marks the object
 * itself (not a nested message): its `metadata` is always present, `{}` when empty.
 */
export function messageToJson(s: Schema, type: protobuf.Type, msg: Json, top: boolean): Json {
  const out: Json = {};
  for (const field of fieldsOf(s, type)) {
    const v = msg[field.name];
    if (field.map) {
      const entries = v as Json[] | undefined;
      if (!entries || entries.length === 0) continue;
      const valueField = field.mapValue as FieldInfo;
      const obj: Json = {};
      for (const entry of entries) {
        const key = typeof entry['key'] === 'string' ? entry['key'] : '';
        const value = entry[valueField.name];
        // Map values are always kept: an empty Secret value is "".
        const json = valueField.message
          ? messageValueToJson(s, valueField.message, (value ?? {}) as Json)
          : scalarToJson(valueField, value);
        defineOwn(obj, key, json ?? null);
      }
      out[field.json] = obj;
      continue;
    }
    if (field.repeated) {
      const items = v as unknown[] | undefined;
      if (!items || items.length === 0) continue;
      // Elements are kept even when empty: `apiGroups: [""]` is the core group.
      out[field.json] = items.map((item) =>
        field.message ? messageValueToJson(s, field.message, item as Json) ?? null : scalarToJson(field, item),
      );
      continue;
    }
    if (field.message) {
      if (!hasOwn(msg, field.name) || v === null || v === undefined) {
        if (top && field.name === 'metadata') out[field.json] = {};
        continue;
      }
      const json = messageValueToJson(s, field.message, v as Json);
      if (json === undefined) continue;
      if (field.pointer || (top && field.name === 'metadata') || !isEmptyObject(json)) out[field.json] = json;
      continue;
    }
    if (!hasOwn(msg, field.name)) continue; // proto2 presence: not on the wire
    const json = scalarToJson(field, v);
    if (field.pointer || field.jsonAlways || !isZero(json)) out[field.json] = json;
  }
  return out;
}
