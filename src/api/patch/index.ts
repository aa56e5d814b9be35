// PATCH bodies by Content-Type, as kube-apiserver's handlers/patch.go dispatches them: the four
// patch types (parameters after ';' ignored, nothing else normalised), their body decoding errors
// (400) and the server-side apply entry point used for both create and update.

import { LineCounter, isScalar, parseDocument, visit } from 'yaml';
import { errors } from '../errors.js';
import type { KObject } from '../types.js';
import { goJsonSyntaxError } from '../go-json.js';
import { applyPatch, type ApplyResult } from './fieldmanager.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { genericPatchHints, hintsFor, isObject, type PatchHints } from './schema.js';
import { applyStrategicMergePatch } from './strategic-merge.js';

export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge.js';
export { applyPatch, updateManagedFields, LAST_APPLIED, type ApplyOptions, type ApplyResult, type ManagedFieldsOptions } from './fieldmanager.js';
export {
  genericPatchHints, hintsFor, namespacePatchHints, rbacPatchHints, secretPatchHints, serviceAccountPatchHints,
  type PatchHints, type TypeHint,
} from './schema.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

/** The patch type named by a Content-Type header; 415 for anything else. */
export function parsePatchType(contentType: string | undefined): PatchType {
  let ct = contentType ?? '';
  const i = ct.indexOf(';');
  if (i > 0) ct = ct.slice(0, i);
  if (!(PATCH_TYPES as readonly string[]).includes(ct)) throw errors.unsupportedMediaType([...PATCH_TYPES]);
  return ct as PatchType;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface PatchOptions {
  hints?: PatchHints;
  /** With Warn/Strict, body decoding errors read "error decoding patch: …" as kube's strict decoders do. */
  fieldValidation?: FieldValidation | string;
  /** Apply only: the field manager (required), force and clock. */
  manager?: string;
  force?: boolean;
  now?: Date;
  /** Apply only: the resource's group/version ("v1") and kind. */
  apiVersion?: string;
  kind?: string;
}

const goType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;

function parseJson(body: Buffer): { value?: unknown; error?: string } {
  const text = body.toString('utf8');
  try { return { value: JSON.parse(text) as unknown }; } catch { return { error: goJsonSyntaxError(body) ?? 'unexpected end of JSON input' }; }
}

/**
 * Applies a PATCH body to `live` and returns the patched object (a copy). For apply patches the
 * result carries the new managedFields; for the others the caller records managedFields.
 */
export function applyPatchByContentType(contentType: string | undefined, live: KObject, body: Buffer,
  opts: PatchHints | PatchOptions = {}): KObject {
  const o: PatchOptions = 'schema' in opts ? { hints: opts } : opts;
  const type = parsePatchType(contentType);
  const strict = o.fieldValidation === 'Strict' || o.fieldValidation === 'Warn';
  const hints = o.hints ?? hintsFor(live.apiVersion, live.kind);
  switch (type) {
    case 'application/json-patch+json': {
      const p = parseJson(body);
      if (p.error !== undefined) throw errors.badRequest(strict ? `error decoding patch: ${p.error}` : p.error);
      if (strict && p.value !== null && !Array.isArray(p.value)) {
        throw errors.badRequest(`error decoding patch: json: cannot unmarshal ${goType(p.value)} into Go value of type []handlers.jsonPatchOp`);
      }
      return applyJsonPatch(live, p.value);
    }
    case 'application/merge-patch+json': {
      const p = parseJson(body);
      if (strict && (p.error !== undefined || (p.value !== null && !isObject(p.value)))) {
        throw errors.badRequest(`error decoding patch: ${p.error ?? `json: cannot unmarshal ${goType(p.value)} into Go value of type map[string]interface {}`}`);
      }
      // evanphx MergePatch: only an object or array is a patch.
      if (p.error !== undefined || (!isObject(p.value) && !Array.isArray(p.value))) throw errors.badRequest('Invalid JSON Patch');
      return applyMergePatch(live, p.value);
    }
    case 'application/strategic-merge-patch+json': {
      const p = parseJson(body);
      if (p.error !== undefined) throw errors.badRequest(p.error);
      return applyStrategicMergePatch(live, p.value, hints);
    }
    case 'application/apply-patch+yaml': {
      if (!o.manager) throw errors.badRequest('fieldManager is required for apply patch');
      const gv = (o.apiVersion ?? (typeof live.apiVersion === 'string' ? live.apiVersion : 'v1')).split('/');
      return serverSideApply(live, body, o.manager, {
        force: o.force, now: o.now, fieldValidation: o.fieldValidation,
        info: { group: gv.length > 1 ? gv[0]! : '', version: gv[gv.length - 1]!, kind: o.kind ?? live.kind ?? hints.kind },
      }).object;
    }
  }
}

/** Decodes an apply body (YAML, of which JSON is a subset) the way sigs.k8s.io/yaml does. */
export function decodeApplyBody(body: Buffer, fieldValidation?: string): { config: Record<string, unknown>; warnings: string[] } {
  const lineCounter = new LineCounter();
  // YAML 1.1 like go-yaml v2 (yes/no/on/off are booleans), but timestamps and base-60 stay strings.
  const doc = parseDocument(body.toString('utf8'), {
    version: '1.1', uniqueKeys: false, lineCounter,
    customTags: (tags) => tags.filter((t) => (typeof t === 'string'
      ? !['timestamp', 'intTime', 'floatTime'].includes(t)
      : t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME')),
  });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? 1;
    throw errors.badRequest(`error decoding YAML: error converting YAML to JSON: yaml: line ${line}: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // Unresolved aliases and alias bombs surface only when the document is converted.
    throw errors.badRequest(`error decoding YAML: error converting YAML to JSON: yaml: ${(e as Error).message}`);
  }
  if (!isObject(value)) {
    throw errors.badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goType(value)} into Go value of type map[string]interface {}`);
  }
  const warnings: string[] = [];
  if (fieldValidation === 'Strict' || fieldValidation === 'Warn') {
    const dups: string[] = [];
    visit(doc, {
      Map(_k, map) {
        const seen = new Set<string>();
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
          if (key === undefined) continue;
          if (seen.has(key)) {
            const line = pair.key && isScalar(pair.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]).line : 1;
            dups.push(`line ${line}: key ${JSON.stringify(key)} already set in map`);
          }
          seen.add(key);
        }
      },
    });
    if (dups.length) {
      const msg = `error converting YAML to JSON: yaml: unmarshal errors:\n  ${dups.join('\n  ')}`;
      if (fieldValidation === 'Strict') throw errors.badRequest(`error strict decoding YAML: ${msg}`);
      warnings.push(msg);
    }
  }
  return { config: value, warnings };
}

export interface ServerSideApplyOptions {
  force?: boolean;
  now?: Date;
  fieldValidation?: string;
  /** The resource: its group, version and kind (resource for error details). */
  info: { group: string; version: string; kind: string; resource?: string };
  /** Name from the URL; the applied object must carry the same one. */
  name?: string;
  namespace?: string;
}

/**
 * Server-side apply of a request body: `live` is null when the object does not exist (the apply
 * then creates it). Returns the object to store (managedFields included) and any warnings.
 */
export function serverSideApply(live: KObject | null, body: Buffer, manager: string, opts: ServerSideApplyOptions):
  ApplyResult & { warnings: string[] } {
  const { group, version, kind, resource } = opts.info;
  const apiVersion = group ? `${group}/${version}` : version;
  // Strictness is checked after the apply itself, as kube does; decoding leniently first.
  const { config } = decodeApplyBody(body);
  if (!live && resource && isObject(config.metadata) && typeof config.metadata.uid === 'string' && config.metadata.uid) {
    throw errors.conflict({ group, resource }, opts.name ?? '', `uid mismatch: the provided object specified uid ${config.metadata.uid}, and no existing object was found`);
  }
  const hints = hintsFor(apiVersion, kind);
  const res = applyPatch(live, config, manager, {
    force: opts.force, apiVersion, kind, hints: hints === genericPatchHints ? { ...hints, kind } : hints,
  }, opts.now ?? new Date());
  const { warnings } = decodeApplyBody(body, opts.fieldValidation);
  if (opts.name !== undefined) {
    const objName = typeof res.object.metadata?.name === 'string' ? res.object.metadata.name : '';
    if (objName !== opts.name) {
      throw errors.badRequest(`the name of the object (${objName}) does not match the name on the URL (${opts.name})`);
    }
  }
  return { ...res, warnings };
}
