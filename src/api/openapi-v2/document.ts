// GET /openapi/v2: the Swagger 2.0 document kube-apiserver still serves next to /openapi/v3, built
// from our v3 documents (one per group-version) so both always describe the same API. kubectl reads
// it where v3 is not enough: minors before 1.29 for apply/edit/explain, and every minor to check
// fieldValidation support of kinds that have no PATCH endpoint (the create-only reviews).
// Conversion, as kube-openapi's v3 builder relates the two: `#/components/schemas/X` →
// `#/definitions/X`; a property `allOf: [{$ref}]` (v3's way to give a reference a default) → `$ref`;
// a request body → an `in: body` parameter with the operation's `consumes`; response content →
// `schema` with the operation's `produces`; parameter `schema.type` → `type`.

import { createHash } from 'node:crypto';
import { groupVersionPath, schemaRevision, type GroupVersion } from '../schema/model.js';
import { canonical, openapiV3Document } from '../schema/openapi.js';
import type { JsonObject, JsonValue } from '../types.js';

const V3_REF = '#/components/schemas/';
const OPERATIONS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export const isObj = (v: unknown): v is JsonObject => !!v && typeof v === 'object' && !Array.isArray(v);
const ref = (r: string) => (r.startsWith(V3_REF) ? `#/definitions/${r.slice(V3_REF.length)}` : r);

export function schemaV2(s: JsonObject): JsonObject {
  const out: JsonObject = {};
  const wrapped = Array.isArray(s.allOf) && s.allOf.length === 1 && isObj(s.allOf[0]) && typeof s.allOf[0].$ref === 'string';
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') out.$ref = ref(v as string);
    else if (k === 'allOf') {
      if (wrapped) out.$ref = ref((v as JsonObject[])[0]!.$ref as string);
      else out.allOf = (v as JsonObject[]).map(schemaV2);
    } else if (k === 'default' && wrapped) continue; // v2 has no way to default a reference
    else if (k === 'properties' && isObj(v)) out.properties = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, schemaV2(p as JsonObject)]));
    else if ((k === 'items' || k === 'additionalProperties') && isObj(v)) out[k] = schemaV2(v);
    else out[k] = v;
  }
  return out;
}

function parameterV2(p: JsonObject): JsonObject {
  const { schema, ...rest } = p;
  return { ...rest, ...(isObj(schema) ? schema : {}) };
}

function firstSchema(content: unknown): JsonObject | undefined {
  if (!isObj(content)) return undefined;
  const first = Object.values(content)[0];
  return isObj(first) && isObj(first.schema) ? schemaV2(first.schema) : undefined;
}

function operationV2(op: JsonObject): JsonObject {
  const { requestBody, responses, parameters, ...rest } = op;
  const out: JsonObject = { ...rest, schemes: ['https'] };
  const params: JsonValue[] = Array.isArray(parameters) ? parameters.map((p) => parameterV2(p as JsonObject)) : [];
  if (isObj(requestBody)) {
    out.consumes = Object.keys(isObj(requestBody.content) ? requestBody.content : {});
    const schema = firstSchema(requestBody.content);
    params.unshift({ name: 'body', in: 'body', required: requestBody.required === true, ...(schema ? { schema } : {}) });
  }
  if (params.length) out.parameters = params;
  const produces = new Set<string>();
  const res: JsonObject = {};
  for (const [code, r] of Object.entries(isObj(responses) ? responses : {})) {
    if (!isObj(r)) continue;
    if (isObj(r.content)) for (const t of Object.keys(r.content)) produces.add(t);
    const schema = firstSchema(r.content);
    res[code] = { description: r.description ?? '', ...(schema ? { schema } : {}) };
  }
  if (produces.size) out.produces = [...produces];
  out.responses = res;
  return out;
}

function pathItemV2(item: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'parameters' && Array.isArray(v)) out.parameters = v.map((p) => parameterV2(p as JsonObject));
    else if ((OPERATIONS as readonly string[]).includes(k) && isObj(v)) out[k] = operationV2(v);
    else out[k] = v;
  }
  return out;
}

function build(gvs: GroupVersion[]): JsonObject {
  const paths: JsonObject = {};
  const definitions: JsonObject = {};
  for (const gv of gvs) {
    const v3 = openapiV3Document(gv);
    if (!v3) continue;
    for (const [p, item] of Object.entries(v3.paths as JsonObject)) paths[p] = pathItemV2(item as JsonObject);
    const schemas = (v3.components as JsonObject).schemas as JsonObject;
    for (const [name, s] of Object.entries(schemas)) definitions[name] ??= schemaV2(s as JsonObject);
  }
  return canonical({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } },
    security: [{ BearerToken: [] }],
  }) as JsonObject;
}

export interface OpenAPIV2 {
  doc: JsonObject;
  json: string;
  /** Of the JSON bytes: the ETag of both encodings. */
  hash: string;
}

let cached: { key: string; v2: OpenAPIV2 } | undefined;

/** The document for the served group-versions, rebuilt only when the schemas change. */
export function openapiV2(gvs: GroupVersion[]): OpenAPIV2 {
  const key = `${schemaRevision()} ${gvs.map(groupVersionPath).join(',')}`;
  if (cached?.key === key) return cached.v2;
  const doc = build(gvs);
  const json = JSON.stringify(doc);
  const v2 = { doc, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  cached = { key, v2 };
  return v2;
}
