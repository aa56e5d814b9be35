// OpenAPI v3 as kube-apiserver publishes it: GET /openapi/v3 lists one document per group-version
// with a content hash (uppercase hex SHA-512 of the document bytes, as kube-openapi's handler3
// computes it), and each document has the paths served for that group-version plus every schema
// they reference. kubectl needs a PATCH operation carrying the kind's GVK and a fieldValidation
// parameter to trust server-side validation (else it falls back to /openapi/v2), and
// `kubectl explain` reads the component schema that carries x-kubernetes-group-version-kind.

import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../types.js';
import {
  groupVersionPath, kindSchemas, parseGroupVersionPath, schemaRevision, typeDef,
  type FieldSpec, type GroupVersion, type GVK, type KindSchema, type SubresourceSchema, type TypeDef, type ValueType,
} from './model.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const REF = (name: string) => `#/components/schemas/${name}`;

// What the server actually produces (negotiation answers JSON or YAML, never protobuf).
const OBJECT_TYPES = ['application/json', 'application/yaml'];
const LIST_TYPES = ['application/json', 'application/json;stream=watch', 'application/yaml'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

type Param = JsonObject;
const query = (name: string, type: 'string' | 'integer' | 'boolean', description: string): Param => ({ name, in: 'query', description, schema: { type } });

const P = {
  pretty: query('pretty', 'string', 'If "true", the response is indented for reading.'),
  dryRun: query('dryRun', 'string', 'If "All", the request goes through every stage but nothing is saved. Other values are rejected.'),
  fieldManager: query('fieldManager', 'string', 'Name of the actor that makes the change, recorded in managedFields. At most 128 printable characters.'),
  fieldManagerPatch: query('fieldManager', 'string', 'Name of the actor that makes the change, recorded in managedFields. At most 128 printable characters. Apply patches must set it; other patch types may omit it.'),
  fieldValidation: query('fieldValidation', 'string', 'What to do with unknown or duplicate fields in the body. "Ignore" drops them silently. "Warn", the default, drops them and returns one Warning header for each. "Strict" rejects the request with 400 BadRequest and lists them all.'),
  force: query('force', 'boolean', 'Apply patches only: take over fields that other managers own instead of failing with a conflict. Must be unset for other patch types.'),
  allowWatchBookmarks: query('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events on a watch. Ignored when not watching.'),
  continue: query('continue', 'string', 'Continue token from a previous paginated response. It fetches the next page of the same list.'),
  fieldSelector: query('fieldSelector', 'string', 'Return only objects whose fields match, for example metadata.name=foo. By default, all objects match.'),
  labelSelector: query('labelSelector', 'string', 'Return only objects whose labels match. By default, all objects match.'),
  limit: query('limit', 'integer', 'Maximum number of items to return. If more remain, the response has a continue token.'),
  resourceVersion: query('resourceVersion', 'string', 'Limits which version of the data can serve the request. Unset means the most recent data.'),
  resourceVersionMatch: query('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: "NotOlderThan" or "Exact". Requires resourceVersion.'),
  sendInitialEvents: query('sendInitialEvents', 'boolean', 'With watch=true, start the stream with ADDED events for the current objects, then a BOOKMARK annotated "k8s.io/initial-events-end". Requires resourceVersionMatch=NotOlderThan.'),
  timeoutSeconds: query('timeoutSeconds', 'integer', 'Ends the list or watch call after this many seconds.'),
  watch: query('watch', 'boolean', 'Stream changes to the selected objects instead of returning a list. Start from the resourceVersion of a list.'),
  gracePeriodSeconds: query('gracePeriodSeconds', 'integer', "Seconds before the object is deleted. 0 deletes it at once. Unset uses the resource's default."),
  orphanDependents: query('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy instead. Whether dependents are orphaned.'),
  propagationPolicy: query('propagationPolicy', 'string', 'What happens to dependents: "Orphan", "Background" or "Foreground".'),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const DELETE_COLLECTION_PARAMS = [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.labelSelector, P.limit, P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds];

const pathParam = (name: string, description: string): Param => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const NAMESPACE = pathParam('namespace', 'Namespace of the objects.');

const content = (types: string[], schema: string): JsonObject => Object.fromEntries(types.map((t) => [t, { schema: { $ref: REF(schema) } }]));
const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
function responses(codes: string[], types: string[], schema: string): JsonObject {
  const out: JsonObject = {};
  for (const c of codes) out[c] = { description: STATUS_TEXT[c]!, content: content(types, schema) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/** "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core": kube's operationId/tag prefix. */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface OpSpec {
  action: string;
  verb: string;
  subject: string;
  description: string;
  gvk: GVK;
  params?: Param[];
  body?: JsonObject;
  responses: JsonObject;
}

function buildOp(o: OpSpec, gv: GroupVersion): JsonObject {
  const op: JsonObject = {
    description: o.description,
    operationId: `${o.verb}${groupWord(gv.group)}${cap(gv.version)}${o.subject}`,
    responses: o.responses,
    tags: [`${groupWord(gv.group).charAt(0).toLowerCase()}${groupWord(gv.group).slice(1)}_${gv.version}`],
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version },
  };
  if (o.params?.length) op['parameters'] = o.params;
  if (o.body) op['requestBody'] = o.body;
  return op;
}

const objectBody = (schema: string): JsonObject => ({ content: content(['*/*'], schema), required: true });
const patchBody: JsonObject = { content: content(PATCH_TYPES, `${META}.Patch`), required: true };
const deleteBody: JsonObject = { content: content(['*/*'], `${META}.DeleteOptions`) };
const STATUS = `${META}.Status`;
const WATCH_EVENT = `${META}.WatchEvent`;

/** All paths one kind contributes, following kube's URL layout and operation naming. */
function resourcePaths(k: KindSchema): Record<string, JsonObject> {
  const r = k.resource!;
  const gv = { group: k.group, version: k.version };
  const gvk: GVK = { group: k.group, version: k.version, kind: k.kind };
  const base = `/${groupVersionPath(gv)}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const nsPath = r.namespaced ? '/namespaces/{namespace}' : '';
  const nsParams = r.namespaced ? [NAMESPACE] : [];
  const has = (v: string) => (r.verbs as string[]).includes(v);
  const K = k.kind;
  const name = pathParam('name', `Name of the ${K}.`);
  const out: Record<string, JsonObject> = {};
  const op = (o: Omit<OpSpec, 'gvk'> & { gvk?: GVK }) => buildOp({ gvk, ...o }, gv);
  const listResponses = r.listSchema ? responses(['200'], LIST_TYPES, r.listSchema) : {};

  const collection: JsonObject = {};
  if (has('list')) collection['get'] = op({ action: 'list', verb: 'list', subject: `${scope}${K}`, description: `List or watch ${K} objects.`, params: LIST_PARAMS, responses: listResponses });
  if (has('create')) collection['post'] = op({ action: 'post', verb: 'create', subject: `${scope}${K}`, description: `Create a ${K}.`, params: WRITE_PARAMS, body: objectBody(k.schema), responses: responses(['200', '201', '202'], OBJECT_TYPES, k.schema) });
  if (has('deletecollection')) collection['delete'] = op({ action: 'deletecollection', verb: 'delete', subject: `Collection${scope}${K}`, description: `Delete a collection of ${K} objects.`, params: DELETE_COLLECTION_PARAMS, body: deleteBody, responses: responses(['200'], OBJECT_TYPES, STATUS) });
  if (Object.keys(collection).length) out[`${base}${nsPath}/${r.plural}`] = { ...collection, parameters: [...nsParams, P.pretty] };

  const item: JsonObject = {};
  if (has('get')) item['get'] = op({ action: 'get', verb: 'read', subject: `${scope}${K}`, description: `Read the named ${K}.`, responses: responses(['200'], OBJECT_TYPES, k.schema) });
  if (has('update')) item['put'] = op({ action: 'put', verb: 'replace', subject: `${scope}${K}`, description: `Replace the named ${K}.`, params: WRITE_PARAMS, body: objectBody(k.schema), responses: responses(['200', '201'], OBJECT_TYPES, k.schema) });
  if (has('patch')) item['patch'] = op({ action: 'patch', verb: 'patch', subject: `${scope}${K}`, description: `Partially update the named ${K}.`, params: PATCH_PARAMS, body: patchBody, responses: responses(['200', '201'], OBJECT_TYPES, k.schema) });
  if (has('delete')) item['delete'] = op({ action: 'delete', verb: 'delete', subject: `${scope}${K}`, description: `Delete the named ${K}.`, params: DELETE_PARAMS, body: deleteBody, responses: responses(['200', '202'], OBJECT_TYPES, STATUS) });
  if (Object.keys(item).length) out[`${base}${nsPath}/${r.plural}/{name}`] = { ...item, parameters: [name, ...nsParams, P.pretty] };

  for (const s of r.subresources ?? []) out[`${base}${nsPath}/${r.plural}/{name}/${s.name}`] = subresourceItem(k, s, gv, [name, ...nsParams, P.pretty]);

  // Read-only paths put their query parameters on the path item, as kube does.
  if (r.namespaced && has('list')) {
    out[`${base}/${r.plural}`] = {
      get: op({ action: 'list', verb: 'list', subject: `${K}ForAllNamespaces`, description: `List or watch ${K} objects in all namespaces.`, responses: listResponses }),
      parameters: [...LIST_PARAMS, P.pretty],
    };
  }
  if (has('watch')) {
    const watchResponses = responses(['200'], LIST_TYPES, WATCH_EVENT);
    const listDesc = `Watch changes to a list of ${K} objects. Deprecated: use watch=true on the list operation.`;
    out[`${base}/watch${nsPath}/${r.plural}`] = {
      get: op({ action: 'watchlist', verb: 'watch', subject: `${scope}${K}List`, description: listDesc, responses: watchResponses }),
      parameters: [...LIST_PARAMS, ...nsParams, P.pretty],
    };
    out[`${base}/watch${nsPath}/${r.plural}/{name}`] = {
      get: op({ action: 'watch', verb: 'watch', subject: `${scope}${K}`, description: `Watch changes to the named ${K}. Deprecated: use watch=true on the list operation with a metadata.name field selector.`, responses: watchResponses }),
      parameters: [...LIST_PARAMS, name, ...nsParams, P.pretty],
    };
    if (r.namespaced) {
      out[`${base}/watch/${r.plural}`] = {
        get: op({ action: 'watchlist', verb: 'watch', subject: `${K}ListForAllNamespaces`, description: `Watch changes to ${K} objects in all namespaces. Deprecated: use watch=true on the list operation.`, responses: watchResponses }),
        parameters: [...LIST_PARAMS, P.pretty],
      };
    }
  }
  return out;
}

function subresourceItem(k: KindSchema, s: SubresourceSchema, gv: GroupVersion, parameters: Param[]): JsonObject {
  const gvk = s.kind ?? { group: k.group, version: k.version, kind: k.kind };
  const schema = s.schema ?? k.schema;
  const subject = `${k.resource!.namespaced ? 'Namespaced' : ''}${k.kind}${cap(s.name)}`;
  const what = `the ${s.name} of the named ${k.kind}`;
  const item: JsonObject = { parameters };
  const op = (o: Omit<OpSpec, 'gvk' | 'subject'>) => buildOp({ ...o, gvk, subject }, gv);
  if (s.verbs.includes('get')) item['get'] = op({ action: 'get', verb: 'read', description: `Read ${what}.`, responses: responses(['200'], OBJECT_TYPES, schema) });
  if (s.verbs.includes('create')) item['post'] = op({ action: 'post', verb: 'create', description: `Create a ${gvk.kind} for the named ${k.kind}.`, params: WRITE_PARAMS, body: objectBody(schema), responses: responses(['200', '201', '202'], OBJECT_TYPES, schema) });
  if (s.verbs.includes('update')) item['put'] = op({ action: 'put', verb: 'replace', description: `Replace ${what}.`, params: WRITE_PARAMS, body: objectBody(schema), responses: responses(['200', '201'], OBJECT_TYPES, schema) });
  if (s.verbs.includes('patch')) item['patch'] = op({ action: 'patch', verb: 'patch', description: `Partially update ${what}.`, params: PATCH_PARAMS, body: patchBody, responses: responses(['200', '201'], OBJECT_TYPES, schema) });
  return item;
}

function valueSchema(v: ValueType): JsonObject {
  switch (v.type) {
    case 'string': return { type: 'string', default: '' };
    case 'boolean': return { type: 'boolean' };
    case 'integer': return { type: 'integer', format: v.format };
    case 'ref': return refSchema(v.ref, { default: {} });
  }
}

/** A described or defaulted $ref is wrapped in allOf: OpenAPI 3.0 ignores siblings of a bare $ref. */
function refSchema(name: string, extra: JsonObject): JsonObject {
  return { allOf: [{ $ref: REF(name) }], ...extra };
}

function fieldSchema(f: FieldSpec): JsonObject {
  const d: JsonObject = { description: f.description };
  if (f.default !== undefined) d['default'] = f.default;
  let s: JsonObject;
  switch (f.type) {
    case 'string': s = { type: 'string' }; break;
    case 'integer': s = { type: 'integer', format: f.format ?? 'int64' }; break;
    case 'boolean': s = { type: 'boolean' }; break;
    case 'object': s = { type: 'object' }; break;
    case 'map': s = { type: 'object', additionalProperties: valueSchema(f.values ?? { type: 'string' }) }; break;
    case 'byte-map': s = { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }; break;
    case 'array': s = { type: 'array', items: valueSchema(f.items ?? { type: 'string' }) }; break;
    case 'ref': return { ...refSchema(f.ref!, d), ...(f.extensions ?? {}) };
  }
  return { ...s, ...d, ...(f.extensions ?? {}) };
}

function typeSchema(def: TypeDef, every: GVK[]): JsonObject {
  if (def.shape === 'time') return { description: def.description, type: 'string', format: 'date-time' };
  if (def.shape === 'raw') return { description: def.description, type: 'object' };
  const s: JsonObject = { description: def.description, type: 'object', properties: {} };
  for (const f of def.fields ?? []) (s['properties'] as JsonObject)[f.name] = fieldSchema(f);
  const required = (def.fields ?? []).filter((f) => f.required).map((f) => f.name);
  if (required.length) s['required'] = required;
  const gvks = def.gvk === 'every' ? every : def.gvk;
  if (gvks?.length) s['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return { ...s, ...(def.extensions ?? {}) };
}

function refsIn(v: JsonValue, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) refsIn(x, into);
  else if (v && typeof v === 'object') {
    for (const [key, x] of Object.entries(v)) {
      if (key === '$ref' && typeof x === 'string') into.add(x.replace('#/components/schemas/', ''));
      else refsIn(x, into);
    }
  }
}

/** Go's encoding/json sorts map keys; sorting every object makes the bytes (and the hash) stable. */
export function canonical(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k]!)]));
  return v;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Served group-versions (those with at least one REST resource): core first, then by name. */
export function openapiV3GroupVersions(): { group: string; version: string; path: string }[] {
  const seen = new Map<string, { group: string; version: string; path: string }>();
  for (const k of kindSchemas()) {
    if (!k.resource) continue;
    const path = groupVersionPath(k);
    if (!seen.has(path)) seen.set(path, { group: k.group, version: k.version, path });
  }
  return [...seen.values()].sort((a, b) => (a.group === '') !== (b.group === '') ? (a.group === '' ? -1 : 1) : a.path.localeCompare(b.path));
}

function buildDocument(gv: GroupVersion): JsonObject | undefined {
  const served = kindSchemas().filter((k) => k.resource && k.group === gv.group && k.version === gv.version);
  if (!served.length) return undefined;
  const paths: JsonObject = {};
  for (const k of [...served].sort((a, b) => a.resource!.plural.localeCompare(b.resource!.plural))) Object.assign(paths, resourcePaths(k));

  const every: GVK[] = [];
  for (const g of [{ group: '', version: 'v1' }, ...openapiV3GroupVersions()]) {
    if (!every.some((e) => e.group === g.group && e.version === g.version)) every.push({ group: g.group, version: g.version, kind: '' });
  }
  const schemas: JsonObject = {};
  const pending = new Set<string>();
  refsIn(paths, pending);
  for (const name of pending) {
    const def = typeDef(name);
    if (!def) throw new Error(`openapi: schema ${name} is referenced but not registered`);
    const kind = name.slice(name.lastIndexOf('.') + 1);
    const s = typeSchema(def, every.map((g) => ({ ...g, kind })));
    schemas[name] = s;
    refsIn(s, pending); // a Set iterates entries added during iteration, giving the closure
  }
  return canonical({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token authentication.' } },
    },
  }) as JsonObject;
}

interface Built { revision: number; doc: JsonObject; json: string; hash: string }
const cache = new Map<string, Built>();

function built(gv: string | GroupVersion): Built | undefined {
  const parsed = typeof gv === 'string' ? parseGroupVersionPath(gv) : gv;
  if (!parsed) return undefined;
  const key = groupVersionPath(parsed);
  const hit = cache.get(key);
  if (hit && hit.revision === schemaRevision()) return hit;
  const doc = buildDocument(parsed);
  if (!doc) {
    cache.delete(key);
    return undefined;
  }
  const json = JSON.stringify(doc);
  const b: Built = { revision: schemaRevision(), doc: deepFreeze(doc), json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  cache.set(key, b);
  return b;
}

/** The document for "api/v1" / "apis/<group>/<version>" (or a {group, version}); undefined if not served. Frozen. */
export function openapiV3Document(gv: string | GroupVersion): JsonObject | undefined {
  return built(gv)?.doc;
}

/** The exact bytes to serve and their hash; serve these so the ?hash= in the root index matches. */
export function openapiV3DocumentJSON(gv: string | GroupVersion): { json: string; hash: string } | undefined {
  const b = built(gv);
  return b && { json: b.json, hash: b.hash };
}

/**
 * GET /openapi/v3: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=<HEX>"}, …}}.
 * `groupVersions` restricts the index to what the caller serves; by default every registered one.
 */
export function openapiV3Root(groupVersions?: Iterable<GroupVersion>): { paths: Record<string, { serverRelativeURL: string }> } {
  const list = groupVersions ? [...groupVersions] : openapiV3GroupVersions();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of [...list].sort((a, b) => groupVersionPath(a).localeCompare(groupVersionPath(b)))) {
    const b = built(gv);
    if (b) paths[groupVersionPath(gv)] = { serverRelativeURL: `/openapi/v3/${groupVersionPath(gv)}?hash=${b.hash}` };
  }
  return { paths };
}
