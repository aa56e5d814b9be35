// Request-body decoding for create and update: JSON, YAML or Kubernetes protobuf into the v1 JSON
// object, kind/apiVersion checks, and server-side field validation (Strict / Warn / Ignore). Unknown
// fields are dropped, as decoding into kube's Go types drops them; errors carry kube's wording,
// including the short body summary transformDecodeError appends.

import { parseDocument } from 'yaml';
import { errors } from '../api/errors.js';
import { notSupported } from '../api/field-errors.js';
import { goJsonSyntaxError } from '../api/go-json.js';
import { decodeProtobufObject, ProtobufDecodeError, PROTOBUF_MAGIC } from '../api/proto/index.js';
import { dropUnknownFields, findTypeErrors } from '../api/schema/index.js';
import { zeroNulls } from '../api/schema/zero-nulls.js';
import type { KObject } from '../api/types.js';
import type { ResourceInfo } from '../registry/types.js';
import { bodyFormat } from './negotiation.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** optionsKind: CreateOptions, UpdateOptions or PatchOptions (for the 422 kube returns). */
export function parseFieldValidation(v: string | null, optionsKind: string): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.invalid(optionsKind, 'meta.k8s.io', '', [notSupported('fieldValidation', v, ['', 'Ignore', 'Strict', 'Warn'])]);
}

const ACCEPTED_BODIES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const SUMMARY_BYTES = 30;

/** apiserver's summarizeData: JSON objects as text, anything else as hex, 30 bytes at most. */
export function summarize(body: Uint8Array): string {
  if (body.length === 0) return '<empty>';
  const head = body.subarray(0, SUMMARY_BYTES);
  const text = body[0] === 0x7b ? Buffer.from(head).toString('utf8') : Buffer.from(head).toString('hex');
  return body.length > SUMMARY_BYTES ? `${text} ...` : text;
}

function unrecognized(info: ResourceInfo, why: string, body: Uint8Array): never {
  const message = `the object provided is unrecognized (must be of type ${info.kind}): ${why}`;
  const err = errors.badRequest(`${message} (${summarize(body)})`);
  // The summary quotes the body, which for a Secret is its data: the audit log keeps the rest.
  err.auditMessage = message;
  throw err;
}

/** Parses JSON or YAML text into a plain value; syntax errors become kube's 400 text. */
export function parseText(body: Buffer, format: 'json' | 'yaml', info: Pick<ResourceInfo, 'kind'>): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      unrecognized(info as ResourceInfo, `couldn't get version/kind; json parse error: ${goJsonSyntaxError(body) ?? 'unexpected end of JSON input'}`, body);
    }
  }
  const doc = parseDocument(body.toString('utf8'), { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    unrecognized(info as ResourceInfo, `error converting YAML to JSON: yaml: ${doc.errors[0]!.message.split('\n')[0]}`, body);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias bomb (billion laughs) stops at maxAliasCount.
    unrecognized(info as ResourceInfo, `error converting YAML to JSON: yaml: ${(err as Error).message}`, body);
  }
}

export interface Decoded {
  object: KObject;
  /** Unknown-field findings to report as warnings (Warn) — Strict has already thrown. */
  warnings: string[];
}

export function decodeBody(body: Buffer | undefined, contentType: string | undefined, info: ResourceInfo, validation: FieldValidation): Decoded {
  const format = bodyFormat(contentType);
  if (!format) throw errors.unsupportedMediaType(ACCEPTED_BODIES);
  const bytes = body ?? Buffer.alloc(0);
  if (bytes.length === 0) unrecognized(info, "couldn't get version/kind; json parse error: unexpected end of JSON input", bytes);
  let value: unknown;
  if (format === 'protobuf') {
    if (!PROTOBUF_MAGIC.every((b, i) => bytes[i] === b)) {
      unrecognized(info, `provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`, bytes);
    }
    try {
      value = decodeProtobufObject(bytes).object;
    } catch (err) {
      if (err instanceof ProtobufDecodeError) unrecognized(info, err.message, bytes);
      throw err;
    }
  } else {
    value = parseText(bytes, format, info);
  }
  return checkObject(value, info, validation, bytes);
}

/** Kind checks and field validation on an already parsed value (also used for patch results). */
export function checkObject(value: unknown, info: ResourceInfo, validation: FieldValidation, body?: Uint8Array): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const why = `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonType(value)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`;
    if (body) unrecognized(info, why, body);
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): ${why}`);
  }
  const obj = value as KObject;
  // kube reads apiVersion and kind into a struct of two strings first (json/meta.go Interpret):
  // any other JSON type is that decode's error, null is the empty string.
  for (const f of Object.keys(obj)) {
    const v = (obj as Record<string, unknown>)[f];
    if ((f !== 'apiVersion' && f !== 'kind') || v === null || typeof v === 'string') continue;
    const why = `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonType(v)} into Go struct field .${f} of type string`;
    if (body) unrecognized(info, why, body);
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): ${why}`);
  }
  const apiVersion = (obj.apiVersion ?? '') as string, kind = (obj.kind ?? '') as string;
  const gv = info.group ? `${info.group}/${info.version}` : info.version;
  if (apiVersion !== '' && apiVersion !== gv) {
    throw errors.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${gv})`);
  }
  if (kind !== '' && kind !== info.kind) {
    throw errors.badRequest(`${kind} in version "${info.version}" cannot be handled as a ${info.kind}: the object provided is of kind ${kind}, not ${info.kind}`);
  }
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const typeErrs = findTypeErrors(gvk, obj);
  if (typeErrs.length) {
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeErrs[0]}`);
  }
  const unknown = dropUnknownFields(gvk, obj);
  if (unknown.length && validation === 'Strict') {
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.join(', ')}`);
  }
  const warnings = validation === 'Warn' ? unknown : [];
  zeroNulls(gvk, obj);
  // kind/apiVersion/metadata lead, as kube encodes objects (clients such as client-node omit them).
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  const meta = metadata && typeof metadata === 'object' ? metadata : {};
  for (const k of Object.keys(meta) as (keyof typeof meta)[]) {
    if (meta[k] === null) delete meta[k];
  }
  return { object: { apiVersion: gv, kind: info.kind, metadata: meta, ...rest }, warnings };
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'string' : 'object';
}
