// A small, hand-written description of the API types we serve. One model feeds three consumers:
// the OpenAPI v3 documents (kubectl's validation probe and `kubectl explain`), strict unknown-field
// detection, and Go-style type-mismatch errors. Adding a kind = registering its types and resource.

import type { JsonValue } from '../types.js';

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** Field types. `map` has string keys and `values`; `byte-map` is Go's map[string][]byte (base64 strings). */
export type FieldType = 'string' | 'integer' | 'boolean' | 'object' | 'array' | 'map' | 'byte-map' | 'ref';

/** Element type of an array or value type of a map. */
export type ValueType =
  | { type: 'string'; goType?: string }
  | { type: 'boolean' }
  | { type: 'integer'; format: 'int32' | 'int64' }
  | { type: 'ref'; ref: string };

export interface FieldSpec {
  /** JSON name, matched case-sensitively (kube's decoder is case-sensitive). */
  name: string;
  type: FieldType;
  description: string;
  required?: boolean;
  /** integer fields: Go width (int64 when omitted). */
  format?: 'int32' | 'int64';
  /** string fields whose Go type is a named string (v1.SecretType); it appears in type-error text. */
  goType?: string;
  /** ref fields: component schema name. */
  ref?: string;
  /** array fields. */
  items?: ValueType;
  /** map fields. */
  values?: ValueType;
  /** Published default (kube marks non-pointer structs with {}); documentation only. */
  default?: JsonValue;
  /** x-kubernetes-* list/map/patch hints, copied into the schema as-is. */
  extensions?: Record<string, JsonValue>;
}

/**
 * A named type, published as components.schemas[name]. `struct` has fields; `time` is metav1.Time
 * (an RFC 3339 string with its own decoder); `raw` keeps any JSON verbatim (FieldsV1, RawExtension).
 */
export interface TypeDef {
  /** Component name: the Go package path in dotted form plus the type, e.g. io.k8s.api.core.v1.Secret. */
  name: string;
  description: string;
  shape?: 'struct' | 'time' | 'raw';
  fields?: FieldSpec[];
  /** GVKs for x-kubernetes-group-version-kind; 'every' = core v1 plus each served group-version. */
  gvk?: GVK[] | 'every';
  extensions?: Record<string, JsonValue>;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface SubresourceSchema {
  name: string;
  verbs: ('get' | 'create' | 'update' | 'patch')[];
  /** Request/response kind when it is not the parent's (serviceaccounts/token takes a TokenRequest). */
  kind?: GVK;
  schema?: string;
}

export interface ResourceSchema {
  /** Lower-case plural, the URL segment. */
  plural: string;
  namespaced: boolean;
  verbs: Verb[];
  /** Component name of the list type; required when verbs include list. */
  listSchema?: string;
  subresources?: SubresourceSchema[];
}

export interface KindSchema extends GVK {
  /** Component name of the object schema. */
  schema: string;
  /** Other group-versions this kind also decodes as (DeleteOptions arrives as v1 or meta.k8s.io/v1). */
  aliases?: GroupVersion[];
  /** Present when the kind is served as a REST resource; drives the OpenAPI paths. */
  resource?: ResourceSchema;
}

const types = new Map<string, TypeDef>();
const kinds = new Map<string, KindSchema>();
let revision = 0;

const gvkKey = (g: string, v: string, k: string) => `${g}/${v}/${k}`;

/** Adds or replaces named types. */
export function registerTypes(...defs: TypeDef[]): void {
  for (const d of defs) types.set(d.name, d);
  revision++;
}

/** Registers a kind (and, for convenience, the types it introduces). Re-registering replaces. */
export function registerKindSchema(k: KindSchema & { types?: TypeDef[] }): void {
  const { types: defs, ...kind } = k;
  if (defs?.length) registerTypes(...defs);
  kinds.set(gvkKey(kind.group, kind.version, kind.kind), kind);
  for (const a of kind.aliases ?? []) kinds.set(gvkKey(a.group, a.version, kind.kind), kind);
  revision++;
}

export function typeDef(name: string): TypeDef | undefined {
  return types.get(name);
}

export function kindSchema(gvk: GVK): KindSchema | undefined {
  return kinds.get(gvkKey(gvk.group, gvk.version, gvk.kind));
}

/** Each registered kind once (aliases folded), in registration order. */
export function kindSchemas(): KindSchema[] {
  return [...new Set(kinds.values())];
}

/** Changes whenever the registry does; cached documents compare it. */
export function schemaRevision(): number {
  return revision;
}

/** "v1.Secret" for io.k8s.api.core.v1.Secret: reflect's Type.String(), as Go errors print it. */
export function goTypeName(schemaName: string): string {
  const parts = schemaName.split('.');
  return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : schemaName;
}

/** The bare struct name (Secret), as Go's UnmarshalTypeError prints the enclosing struct. */
export function goStructName(schemaName: string): string {
  return schemaName.slice(schemaName.lastIndexOf('.') + 1);
}

export function valueGoType(v: ValueType): string {
  switch (v.type) {
    case 'string': return v.goType ?? 'string';
    case 'boolean': return 'bool';
    case 'integer': return v.format;
    case 'ref': return goTypeName(v.ref);
  }
}

/** The Go type of a field, as reflect prints it in "of type …". */
export function fieldGoType(f: FieldSpec): string {
  switch (f.type) {
    case 'string': return f.goType ?? 'string';
    case 'integer': return f.format ?? 'int64';
    case 'boolean': return 'bool';
    case 'object': return 'map[string]interface {}';
    case 'map': return `map[string]${f.values ? valueGoType(f.values) : 'string'}`;
    case 'byte-map': return 'map[string][]uint8';
    case 'array': return `[]${f.items ? valueGoType(f.items) : 'interface {}'}`;
    case 'ref': return goTypeName(f.ref ?? '');
  }
}

/** URL path segment of a group-version: "api/v1" for core, "apis/<group>/<version>" otherwise. */
export function groupVersionPath(gv: GroupVersion): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

/** Inverse of groupVersionPath; undefined for anything else. */
export function parseGroupVersionPath(path: string): GroupVersion | undefined {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  let m = /^api\/([^/]+)$/.exec(p);
  if (m) return { group: '', version: m[1]! };
  m = /^apis\/([^/]+)\/([^/]+)$/.exec(p);
  return m ? { group: m[1]!, version: m[2]! } : undefined;
}
