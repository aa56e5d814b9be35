// The /openapi/v2 document in gnostic's protobuf (openapi.v2.Document), the encoding client-go asks
// for (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf). Vendor extensions, enums
// and defaults travel as YAML text in `Any.yaml`, which is what kube-openapi reads back.

import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { stringify } from 'yaml';
import { protoFile } from '../proto/files.js';
import { isObj } from './document.js';
import type { JsonObject, JsonValue } from '../types.js';

/** The media type the document is labelled with (clients may ask with '@' for the second '.'). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

let documentType: protobuf.Type | undefined;

function type(): protobuf.Type {
  // keepCase: the fields keep their .proto names (_ref, vendor_extension), which this module uses.
  documentType ??= protobuf.parse(readFileSync(protoFile('api/openapi-v2', 'openapi_v2.proto'), 'utf8'), { keepCase: true })
    .root.lookupType('openapi.v2.Document');
  return documentType;
}

type Msg = Record<string, unknown>;
const any = (v: JsonValue): Msg => ({ yaml: stringify(v) });

function extensions(o: JsonObject): Msg[] {
  return Object.entries(o).filter(([k]) => k.startsWith('x-')).map(([name, v]) => ({ name, value: any(v) }));
}

function schema(s: JsonObject): Msg {
  const m: Msg = { vendor_extension: extensions(s) };
  if (typeof s.$ref === 'string') m._ref = s.$ref;
  for (const k of ['format', 'title', 'description', 'pattern'] as const) if (typeof s[k] === 'string') m[k] = s[k];
  if (s.default !== undefined) m.default = any(s.default);
  if (Array.isArray(s.required)) m.required = s.required;
  if (Array.isArray(s.enum)) m.enum = s.enum.map(any);
  if (typeof s.type === 'string') m.type = { value: [s.type] };
  if (typeof s.additionalProperties === 'boolean') m.additional_properties = { boolean: s.additionalProperties };
  else if (isObj(s.additionalProperties)) m.additional_properties = { schema: schema(s.additionalProperties) };
  if (isObj(s.items)) m.items = { schema: [schema(s.items)] };
  if (Array.isArray(s.allOf)) m.all_of = s.allOf.map((x) => schema(x as JsonObject));
  if (isObj(s.properties)) m.properties = { additional_properties: Object.entries(s.properties).map(([name, v]) => ({ name, value: schema(v as JsonObject) })) };
  if (s.readOnly === true) m.read_only = true;
  return m;
}

function parameter(p: JsonObject): Msg {
  if (p.in === 'body') {
    return { parameter: { body_parameter: { name: p.name, in: 'body', description: p.description ?? '', required: p.required === true, ...(isObj(p.schema) ? { schema: schema(p.schema) } : {}) } } };
  }
  const sub = { name: p.name, in: p.in, description: p.description ?? '', required: p.required === true, type: p.type ?? '', unique_items: p.uniqueItems === true, vendor_extension: extensions(p) };
  return { parameter: { non_body_parameter: p.in === 'path' ? { path_parameter_sub_schema: sub } : { query_parameter_sub_schema: sub } } };
}

function operation(op: JsonObject): Msg {
  const responses = Object.entries(isObj(op.responses) ? op.responses : {}).map(([name, r]) => {
    const res = r as JsonObject;
    return { name, value: { response: { description: res.description ?? '', ...(isObj(res.schema) ? { schema: { schema: schema(res.schema) } } : {}) } } };
  });
  return {
    tags: op.tags ?? [], description: op.description ?? '', operation_id: op.operationId ?? '',
    produces: op.produces ?? [], consumes: op.consumes ?? [], schemes: op.schemes ?? [],
    parameters: Array.isArray(op.parameters) ? op.parameters.map((p) => parameter(p as JsonObject)) : [],
    responses: { response_code: responses },
    vendor_extension: extensions(op),
  };
}

function pathItem(item: JsonObject): Msg {
  const m: Msg = { vendor_extension: extensions(item) };
  for (const k of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch']) if (isObj(item[k])) m[k] = operation(item[k]);
  if (Array.isArray(item.parameters)) m.parameters = item.parameters.map((p) => parameter(p as JsonObject));
  return m;
}

/** The Swagger 2.0 JSON document (as openapiV2 builds it) as gnostic protobuf bytes. */
export function encodeOpenAPIV2(doc: JsonObject): Uint8Array {
  const t = type();
  const info = doc.info as JsonObject;
  const msg = {
    swagger: doc.swagger,
    info: { title: info.title, version: info.version },
    paths: { path: Object.entries(doc.paths as JsonObject).map(([name, v]) => ({ name, value: pathItem(v as JsonObject) })) },
    definitions: { additional_properties: Object.entries(doc.definitions as JsonObject).map(([name, v]) => ({ name, value: schema(v as JsonObject) })) },
  };
  return t.encode(t.fromObject(msg)).finish();
}
