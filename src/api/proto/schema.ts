// Schema loading, the (apiVersion, kind) registry and the per-field facts the converters use.
//
// The .proto text is read from <repo>/src/api/proto/ (see files.ts: tsc does not copy it to dist/,
// so the compiled server needs src/ beside dist/; both are in the repo and in the npm package, which
// has no "files" allow-list). The files are parsed once, on first use, into one cached protobufjs
// Root shared by every request.

import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { protoFile } from './files.js';

const PROTO_FILES = [
  'runtime.proto',
  'meta_v1.proto',
  'core_v1.proto',
  'rbac_v1.proto',
  'authentication_v1.proto',
  'authorization_v1.proto',
] as const;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const CORE = 'k8s.io.api.core.v1';
const RBAC = 'k8s.io.api.rbac.v1';
const AUTHN = 'k8s.io.api.authentication.v1';
const AUTHZ = 'k8s.io.api.authorization.v1';

const RBAC_GV = 'rbac.authorization.k8s.io/v1';
const AUTHN_GV = 'authentication.k8s.io/v1';
const AUTHZ_GV = 'authorization.k8s.io/v1';

/** (apiVersion, kind) → fully qualified message name. */
const KINDS: ReadonlyArray<readonly [string, string, string]> = [
  ['v1', 'Secret', `${CORE}.Secret`],
  ['v1', 'ServiceAccount', `${CORE}.ServiceAccount`],
  ['v1', 'Namespace', `${CORE}.Namespace`],
  ['v1', 'Status', `${META}.Status`],
  ['meta.k8s.io/v1', 'Status', `${META}.Status`],
  [RBAC_GV, 'Role', `${RBAC}.Role`],
  [RBAC_GV, 'ClusterRole', `${RBAC}.ClusterRole`],
  [RBAC_GV, 'RoleBinding', `${RBAC}.RoleBinding`],
  [RBAC_GV, 'ClusterRoleBinding', `${RBAC}.ClusterRoleBinding`],
  [AUTHN_GV, 'TokenRequest', `${AUTHN}.TokenRequest`],
  [AUTHN_GV, 'TokenReview', `${AUTHN}.TokenReview`],
  [AUTHN_GV, 'SelfSubjectReview', `${AUTHN}.SelfSubjectReview`],
  [AUTHZ_GV, 'SelfSubjectAccessReview', `${AUTHZ}.SelfSubjectAccessReview`],
  [AUTHZ_GV, 'SubjectAccessReview', `${AUTHZ}.SubjectAccessReview`],
  [AUTHZ_GV, 'LocalSubjectAccessReview', `${AUTHZ}.LocalSubjectAccessReview`],
  [AUTHZ_GV, 'SelfSubjectRulesReview', `${AUTHZ}.SelfSubjectRulesReview`],
  // DeleteOptions is registered in every group version (metav1.AddToGroupVersion).
  ...['v1', 'meta.k8s.io/v1', RBAC_GV, AUTHN_GV, AUTHZ_GV].map(
    (gv) => [gv, 'DeleteOptions', `${META}.DeleteOptions`] as const,
  ),
];

/** Message types whose JSON form is not an object; both converters special-case them. */
export const TIME = `.${META}.Time`;
export const MICRO_TIME = `.${META}.MicroTime`;
export const FIELDS_V1 = `.${META}.FieldsV1`;
export const EXTRA_VALUES: ReadonlySet<string> = new Set([`.${AUTHN}.ExtraValue`, `.${AUTHZ}.ExtraValue`]);

/** A message or object in its JSON-like shape (protobufjs plain object or Kubernetes JSON). */
export type Json = Record<string, unknown>;

export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Per-field facts the converters need, computed once per message type. */
export interface FieldInfo {
  /** protobufjs property name (the .proto field name, keepCase). */
  name: string;
  /** Kubernetes JSON name. */
  json: string;
  id: number;
  repeated: boolean;
  /** `map<K, V>` spelled as `repeated XEntry` (see README.md). */
  map: boolean;
  /** Go pointer: on the wire only when non-nil, kept in JSON when present even if zero. */
  pointer: boolean;
  /** Go value whose JSON tag lacks omitempty: zero values are kept. */
  jsonAlways: boolean;
  /** Scalar proto type (`string`, `bytes`, `int64`, ...) or the message type. */
  scalar: string | undefined;
  message: protobuf.Type | undefined;
  /** For maps: the entry's value field. */
  mapValue: FieldInfo | undefined;
}

export interface Schema {
  unknown: protobuf.Type;
  kinds: Map<string, protobuf.Type>;
  fields: WeakMap<protobuf.Type, FieldInfo[]>;
  fieldsById: WeakMap<protobuf.Type, Map<number, FieldInfo>>;
}

let schema: Schema | undefined;

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}\u0000${kind}`;
}

/** Parses the .proto files once; later calls return the cached schema. */
export function loadSchema(): Schema {
  if (schema) return schema;
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) {
    // Every file is parsed into the same Root; cross-file references use fully qualified names,
    // so the `import` lines are documentation only.
    protobuf.parse(readFileSync(protoFile('api/proto', file), 'utf8'), root, { keepCase: true });
  }
  root.resolveAll();
  const kinds = new Map<string, protobuf.Type>();
  for (const [apiVersion, kind, typeName] of KINDS) kinds.set(kindKey(apiVersion, kind), root.lookupType(typeName));
  schema = {
    unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'),
    kinds,
    fields: new WeakMap(),
    fieldsById: new WeakMap(),
  };
  return schema;
}

function fieldOption(field: protobuf.Field, name: string): unknown {
  return field.options?.[name];
}

function describeField(field: protobuf.Field): FieldInfo {
  field.resolve();
  const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  const map = fieldOption(field, '(opaque.map)') === true;
  let mapValue: FieldInfo | undefined;
  if (map) {
    const valueField = message?.fields['value'];
    if (!message || !message.fields['key'] || !valueField) {
      throw new Error(`${field.fullName}: (opaque.map) needs an entry message with key and value`);
    }
    mapValue = describeField(valueField);
  }
  const jsonName = fieldOption(field, 'json_name');
  return {
    name: field.name,
    json: typeof jsonName === 'string' ? jsonName : field.name,
    id: field.id,
    repeated: field.repeated,
    map,
    pointer: fieldOption(field, '(opaque.go_pointer)') === true,
    jsonAlways: fieldOption(field, '(opaque.json_always)') === true,
    scalar: message ? undefined : field.type,
    message,
    mapValue,
  };
}

export function fieldsOf(s: Schema, type: protobuf.Type): FieldInfo[] {
  let fields = s.fields.get(type);
  if (!fields) {
    fields = type.fieldsArray.map(describeField);
    s.fields.set(type, fields);
  }
  return fields;
}

export function fieldsByIdOf(s: Schema, type: protobuf.Type): Map<number, FieldInfo> {
  let byId = s.fieldsById.get(type);
  if (!byId) {
    byId = new Map(fieldsOf(s, type).map((f) => [f.id, f]));
    s.fieldsById.set(type, byId);
  }
  return byId;
}
