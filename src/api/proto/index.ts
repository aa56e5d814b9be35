// Kubernetes protobuf request and response bodies (`application/vnd.kubernetes.protobuf`) <-> the
// JSON object shape the JSON API uses.
//
// kubectl ≥ 1.32 sends protobuf for `create secret|serviceaccount|role|rolebinding|clusterrole|
// clusterrolebinding|namespace|token`, `auth can-i [--list]` and `auth whoami`. Wire format:
//   6b 38 73 00 ("k8s\0") || runtime.Unknown{ typeMeta{apiVersion, kind}, raw, contentEncoding, contentType }
// where `raw` is the typed object's protobuf (meta/v1, core/v1, rbac/v1, authentication/v1 and
// authorization/v1 messages; see the .proto files and README.md in this folder).
//
// Schemas: our own .proto files in this folder, parsed by protobufjs. protobufjs decodes and
// encodes. This folder adds a wire-type check (wire.ts), the lookup by (apiVersion, kind)
// (schema.ts, which also loads the .proto files) and the conversion to and from Kubernetes JSON
// (to-json.ts, from-json.ts). This module is the public entry point: the errors, the constants
// and decodeProtobufObject / encodeProtobufObject / isProtobufKindRegistered.

import protobuf from 'protobufjs';
import { ProtobufDecodeError, ProtobufEncodeError } from './errors.js';
import { jsonToMessage } from './from-json.js';
import { type Json, kindKey, loadSchema } from './schema.js';
import { messageToJson } from './to-json.js';
import { checkWire } from './wire.js';

export { ProtobufDecodeError, ProtobufEncodeError };

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: "k8s\0". */
export const PROTOBUF_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface DecodedProtobufObject {
  apiVersion: string;
  kind: string;
  /** The object in its Kubernetes JSON shape, `apiVersion` and `kind` included. */
  object: Record<string, unknown>;
}

function startsWithMagic(body: Uint8Array): boolean {
  return body.length >= 4 && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

/**
 * Decodes a Kubernetes protobuf body into `{apiVersion, kind, object}`, where `object` is the
 * Kubernetes JSON shape (apiVersion and kind included). Throws ProtobufDecodeError for anything
 * that is not a well-formed body of a registered kind; never throws anything else for bad input.
 */
export function decodeProtobufObject(body: Uint8Array): DecodedProtobufObject {
  const s = loadSchema(); // outside the try: a missing schema is a server fault, not a bad request
  if (!(body instanceof Uint8Array)) throw new ProtobufDecodeError('protobuf body must be bytes');
  if (!startsWithMagic(body)) {
    throw new ProtobufDecodeError('body is not a Kubernetes protobuf object: missing the "k8s\\x00" prefix');
  }
  try {
    const envelopeBytes = body.subarray(4);
    checkWire(s, s.unknown, protobuf.Reader.create(envelopeBytes), envelopeBytes.length, 0);
    const envelope = s.unknown.decode(envelopeBytes) as unknown as Json;
    const typeMeta = (envelope['typeMeta'] ?? {}) as Json;
    const apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
    const kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
    const contentEncoding = envelope['contentEncoding'];
    if (typeof contentEncoding === 'string' && contentEncoding !== '') {
      throw new ProtobufDecodeError(`unsupported protobuf contentEncoding "${contentEncoding}"`);
    }
    const type = s.kinds.get(kindKey(apiVersion, kind));
    if (!type) throw new ProtobufDecodeError(`no kind "${kind}" is registered for version "${apiVersion}"`);
    const raw = envelope['raw'] instanceof Uint8Array ? envelope['raw'] : new Uint8Array(0);
    checkWire(s, type, protobuf.Reader.create(raw), raw.length, 0);
    const msg = type.decode(raw) as unknown as Json;
    const object: Json = { apiVersion, kind, ...messageToJson(s, type, msg, true) };
    return { apiVersion, kind, object };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ProtobufDecodeError(`malformed protobuf body: ${detail}`, { cause: err });
  }
}

/**
 * Encodes a Kubernetes JSON object (with apiVersion and kind) into the protobuf body Go would
 * send: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding: "", contentType: ""}, with every
 * non-pointer field written even when empty, fields in field-number order and map keys sorted.
 */
export function encodeProtobufObject(obj: { apiVersion: string; kind: string; [key: string]: unknown }): Uint8Array {
  const s = loadSchema();
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ProtobufEncodeError('only an object can be encoded');
  const { apiVersion, kind } = obj;
  const type = typeof apiVersion === 'string' && typeof kind === 'string' ? s.kinds.get(kindKey(apiVersion, kind)) : undefined;
  // typeof, not String(): a non-string kind may be an object whose toString is not callable.
  const show = (v: unknown) => (typeof v === 'string' ? v : `<${typeof v}>`);
  if (!type) throw new ProtobufEncodeError(`no kind "${show(kind)}" is registered for version "${show(apiVersion)}"`);
  const message = jsonToMessage(s, kind, type, obj);
  const raw = type.encode(message).finish();
  const envelope = s.unknown
    .encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })
    .finish();
  const body = new Uint8Array(PROTOBUF_MAGIC.length + envelope.length);
  body.set(PROTOBUF_MAGIC, 0);
  body.set(envelope, PROTOBUF_MAGIC.length);
  return body;
}

/** Whether (apiVersion, kind) can be decoded and encoded. */
export function isProtobufKindRegistered(apiVersion: string, kind: string): boolean {
  return loadSchema().kinds.has(kindKey(apiVersion, kind));
}
