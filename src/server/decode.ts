// Request-body decoding for create and update: JSON, YAML or Kubernetes protobuf into the v1 JSON
// object, kind/apiVersion checks, and server-side field validation (Strict / Warn / Ignore).

import { parseDocument } from 'yaml';
import { errors } from '../api/errors.js';
import { goJsonSyntaxError } from '../api/go-json.js';
import { decodeProtobufObject, ProtobufDecodeError } from '../api/proto/index.js';
import { findTypeErrors, findUnknownFields } from '../api/schema/index.js';
import type { KObject } from '../api/types.js';
import type { ResourceInfo } from '../registry/types.js';
import { bodyFormat } from './negotiation.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function parseFieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

const ACCEPTED_BODIES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function summarize(body: Buffer): string {
  const text = body.subarray(0, 30).toString('utf8');
  return body.length > 30 ? `${text} ...` : text;
}

/** Parses JSON or YAML text into a plain value; syntax errors become kube's 400 text. */
export function parseText(body: Buffer, format: 'json' | 'yaml', info: ResourceInfo): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw errors.badRequest(
        `the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: ${goJsonSyntaxError(body) ?? 'unexpected end of JSON input'} (${summarize(body)})`,
      );
    }
  }
  const doc = parseDocument(body.toString('utf8'), { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; yaml parse error: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

export interface Decoded {
  object: KObject;
  /** Unknown-field findings to report as warnings (Warn) — Strict has already thrown. */
  warnings: string[];
}

export function decodeBody(body: Buffer | undefined, contentType: string | undefined, info: ResourceInfo, validation: FieldValidation): Decoded {
  const format = bodyFormat(contentType);
  if (!format) throw errors.unsupportedMediaType(ACCEPTED_BODIES);
  if (!body || body.length === 0) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: unexpected end of JSON input ()`);
  }
  let value: unknown;
  if (format === 'protobuf') {
    try {
      value = decodeProtobufObject(body).object;
    } catch (err) {
      if (err instanceof ProtobufDecodeError) {
        throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): ${err.message}`);
      }
      throw err;
    }
  } else {
    value = parseText(body, format, info);
  }
  return checkObject(value, info, validation);
}

/** Kind checks and field validation on an already parsed value (also used for patch results). */
export function checkObject(value: unknown, info: ResourceInfo, validation: FieldValidation): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonType(value)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const obj = value as KObject;
  const gv = info.group ? `${info.group}/${info.version}` : info.version;
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== gv) {
    throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
  }
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== info.kind) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): kind "${String(obj.kind)}" does not match the expected kind "${info.kind}"`);
  }
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const typeErrs = findTypeErrors(gvk, obj);
  if (typeErrs.length) {
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeErrs[0]}`);
  }
  const warnings: string[] = [];
  if (validation !== 'Ignore') {
    const unknown = findUnknownFields(gvk, obj);
    if (unknown.length && validation === 'Strict') {
      throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.join(', ')}`);
    }
    warnings.push(...unknown);
  }
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
