// Wire-type check (Go's unmarshaller rejects a known field with the wrong wire type; the code
// protobufjs generates does not look at the wire type of known fields)

import type protobuf from 'protobufjs';
import { ProtobufDecodeError } from './errors.js';
import { type FieldInfo, type Schema, fieldsByIdOf } from './schema.js';

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool', 'enum']);
const MAX_DEPTH = 64;

function expectedWireType(field: FieldInfo): number {
  if (field.message) return 2;
  const t = field.scalar ?? '';
  if (VARINT_TYPES.has(t)) return 0;
  if (t === 'fixed64' || t === 'sfixed64' || t === 'double') return 1;
  if (t === 'fixed32' || t === 'sfixed32' || t === 'float') return 5;
  return 2;
}

export function checkWire(s: Schema, type: protobuf.Type, r: protobuf.Reader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError('protobuf message nested too deeply');
  const byId = fieldsByIdOf(s, type);
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (id === 0) throw new ProtobufDecodeError(`${type.name}: illegal field number 0`);
    const field = byId.get(id);
    if (!field) {
      if (wireType === 4) throw new ProtobufDecodeError(`${type.name}: unexpected end-group tag`);
      r.skipType(wireType); // unknown field (throws on wire types 6 and 7)
      continue;
    }
    const expected = expectedWireType(field);
    const packed = field.repeated && expected !== 2 && wireType === 2;
    if (wireType !== expected && !packed) {
      throw new ProtobufDecodeError(`${type.name}: wrong wire type ${wireType} for field ${field.name} (${id})`);
    }
    if (field.message) {
      const length = r.uint32();
      const subEnd = r.pos + length;
      if (subEnd > end) throw new ProtobufDecodeError(`${type.name}.${field.name}: length ${length} runs past the end`);
      checkWire(s, field.message, r, subEnd, depth + 1);
    } else {
      r.skipType(wireType);
    }
  }
  if (r.pos !== end) throw new ProtobufDecodeError(`${type.name}: field runs past the end of the message`);
}
