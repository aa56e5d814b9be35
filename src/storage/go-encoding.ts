// The stored bytes as kube-apiserver writes them with --storage-media-type=application/json: Go's
// encoding/json over the typed struct, so fields in struct order (kind, apiVersion, metadata, then
// the kind's own fields), map keys sorted by bytes, <, >, & and U+2028/9 escaped, and the newline
// json.Encoder adds. A byte-for-byte match lets etcd data move between Opaque and kube-apiserver.

import type { KObject } from '../api/types.js';
import { compareStrings } from '../api/patch/fieldpath.js';

/** How a field's value is written: a struct (its fields in Go order), a map, a list of a shape, or as is. */
export type Shape = { [field: string]: Shape } | 'map' | 'raw' | { list: Shape };
const raw = 'raw' as const;

const OWNER_REFERENCE: Shape = { apiVersion: raw, kind: raw, name: raw, uid: raw, controller: raw, blockOwnerDeletion: raw };
const MANAGED_FIELDS_ENTRY: Shape = { manager: raw, operation: raw, apiVersion: raw, time: raw, fieldsType: raw, fieldsV1: raw, subresource: raw };
const OBJECT_META: Shape = {
  name: raw, generateName: raw, namespace: raw, selfLink: raw, uid: raw, resourceVersion: raw, generation: raw,
  creationTimestamp: raw, deletionTimestamp: raw, deletionGracePeriodSeconds: raw, labels: 'map', annotations: 'map',
  ownerReferences: { list: OWNER_REFERENCE }, finalizers: raw, managedFields: { list: MANAGED_FIELDS_ENTRY },
};
const TYPE_META = { kind: raw, apiVersion: raw, metadata: OBJECT_META };

const shapes = new Map<string, Shape>([
  ['Secret', { ...TYPE_META, immutable: raw, data: 'map', stringData: 'map', type: raw }],
  ['Namespace', {
    ...TYPE_META,
    spec: { finalizers: raw },
    status: { phase: raw, conditions: { list: { type: raw, status: raw, lastTransitionTime: raw, reason: raw, message: raw } } },
  }],
]);

/** Kinds added later register their Go field order here; others get kind, apiVersion, metadata first. */
export function registerStorageShape(kind: string, fields: Record<string, Shape>): void {
  shapes.set(kind, { ...TYPE_META, ...fields });
}

function order(v: unknown, shape: Shape): unknown {
  if (shape === 'raw' || v === null || typeof v !== 'object') return v;
  if (shape === 'map') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareStrings)) out[k] = (v as Record<string, unknown>)[k];
    return out;
  }
  if ('list' in shape && typeof shape.list !== 'undefined' && Array.isArray(v)) return v.map((x) => order(x, shape.list as Shape));
  if (Array.isArray(v)) return v;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const struct = shape as Record<string, Shape>;
  for (const [k, s] of Object.entries(struct)) if (src[k] !== undefined) out[k] = order(src[k], s);
  // Fields this table does not know keep their place after the known ones.
  for (const k of Object.keys(src)) if (!(k in struct) && src[k] !== undefined) out[k] = src[k];
  return out;
}

const GO_ESCAPES = /[<>&\u2028\u2029]/g;

export function goEncodeObject(obj: KObject): string {
  const shape = shapes.get(obj.kind ?? '') ?? TYPE_META;
  const text = JSON.stringify(order(obj, shape));
  return `${text.replace(GO_ESCAPES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
