import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  findTypeErrors, findUnknownFields, goBase64Error, goTimeParseError, openapiV3Document, openapiV3DocumentJSON,
  openapiV3GroupVersions, openapiV3Root, registerKindSchema,
} from '../../src/api/schema/index.js';

type J = any; // documents are plain JSON; tests index into them freely

const SECRET = { group: '', version: 'v1', kind: 'Secret' };
const NAMESPACE = { group: '', version: 'v1', kind: 'Namespace' };
const SCHEMAS = '#/components/schemas/';

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref') out.push(x as string);
      else refs(x, out);
    }
  }
  return out;
}

const names = (params: J[] | undefined) => (params ?? []).map((p) => p.name);
const doc = () => openapiV3Document('api/v1') as J;

describe('openapi v3 root index', () => {
  it('lists api/v1 with the uppercase hex SHA-512 of the served bytes', () => {
    const root = openapiV3Root();
    const url = root.paths['api/v1']!.serverRelativeURL;
    const m = /^\/openapi\/v3\/api\/v1\?hash=([0-9A-F]{128})$/.exec(url);
    assert.ok(m, url);
    const served = openapiV3DocumentJSON('api/v1')!;
    assert.equal(m[1], served.hash);
    assert.equal(served.hash, createHash('sha512').update(served.json).digest('hex').toUpperCase());
    assert.deepEqual(JSON.parse(served.json), doc());
  });

  it('only lists group-versions that exist, and can be restricted by the caller', () => {
    assert.deepEqual(openapiV3GroupVersions().map((g) => g.path), ['api/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/rbac.authorization.k8s.io/v1']);
    assert.deepEqual(Object.keys(openapiV3Root([{ group: 'nope.example.com', version: 'v1' }]).paths), []);
    assert.equal(openapiV3Document('apis/nope.example.com/v1'), undefined);
    assert.equal(openapiV3Document('not a path'), undefined);
    assert.equal(openapiV3Document({ group: '', version: 'v1' }), doc());
  });
});

describe('openapi v3 api/v1 document', () => {
  it('is OpenAPI 3.0.0 with info', () => {
    assert.equal(doc().openapi, '3.0.0');
    assert.equal(typeof doc().info.title, 'string');
  });

  it('has the PATCH kubectl looks for before trusting server-side validation', () => {
    const patch = doc().paths['/api/v1/namespaces/{namespace}/secrets/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Secret', version: 'v1' });
    assert.equal(patch.operationId, 'patchCoreV1NamespacedSecret');
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(names(patch.parameters), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
      'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
    ]);
    assert.equal(patch.responses['200'].content['application/json'].schema.$ref, `${SCHEMAS}io.k8s.api.core.v1.Secret`);
  });

  it('serves every Secret operation with kube operation ids, actions and parameters', () => {
    const p = doc().paths;
    const coll = p['/api/v1/namespaces/{namespace}/secrets'];
    const item = p['/api/v1/namespaces/{namespace}/secrets/{name}'];
    const ids = {
      list: coll.get, create: coll.post, deletecollection: coll.delete,
      read: item.get, replace: item.put, delete: item.delete,
    };
    assert.equal(ids.list.operationId, 'listCoreV1NamespacedSecret');
    assert.equal(ids.create.operationId, 'createCoreV1NamespacedSecret');
    assert.equal(ids.deletecollection.operationId, 'deleteCoreV1CollectionNamespacedSecret');
    assert.equal(ids.read.operationId, 'readCoreV1NamespacedSecret');
    assert.equal(ids.replace.operationId, 'replaceCoreV1NamespacedSecret');
    assert.equal(ids.delete.operationId, 'deleteCoreV1NamespacedSecret');
    assert.deepEqual(
      [ids.list, ids.create, ids.deletecollection, ids.read, ids.replace, ids.delete].map((o) => o['x-kubernetes-action']),
      ['list', 'post', 'deletecollection', 'get', 'put', 'delete'],
    );
    const listParams = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
    assert.deepEqual(names(ids.list.parameters), listParams);
    assert.deepEqual(names(ids.create.parameters), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.deepEqual(names(ids.replace.parameters), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.deepEqual(names(coll.parameters), ['namespace', 'pretty']);
    assert.deepEqual(names(item.parameters), ['name', 'namespace', 'pretty']);
    assert.ok(Object.keys(ids.list.responses['200'].content).includes('application/json;stream=watch'));
    assert.equal(ids.list.responses['200'].content['application/json'].schema.$ref, `${SCHEMAS}io.k8s.api.core.v1.SecretList`);
    assert.equal(ids.delete.requestBody.content['*/*'].schema.$ref, `${SCHEMAS}io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions`);

    const all = p['/api/v1/secrets'];
    assert.equal(all.get.operationId, 'listCoreV1SecretForAllNamespaces');
    assert.deepEqual(names(all.parameters), [...listParams, 'pretty']);
    assert.equal(p['/api/v1/watch/namespaces/{namespace}/secrets'].get['x-kubernetes-action'], 'watchlist');
  });

  it('keeps namespaces cluster-scoped, with their subresources and without deletecollection', () => {
    const p = doc().paths;
    assert.equal(p['/api/v1/namespaces'].get.operationId, 'listCoreV1Namespace');
    assert.equal(p['/api/v1/namespaces'].post.operationId, 'createCoreV1Namespace');
    assert.equal(p['/api/v1/namespaces'].delete, undefined);
    assert.equal(p['/api/v1/namespaces/{name}'].patch.operationId, 'patchCoreV1Namespace');
    assert.deepEqual(names(p['/api/v1/namespaces/{name}'].parameters), ['name', 'pretty']);
    assert.equal(p['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
    assert.equal(p['/api/v1/namespaces/{name}/status'].get.operationId, 'readCoreV1NamespaceStatus');
    assert.deepEqual(names(p['/api/v1/namespaces/{name}/status'].patch.parameters), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.equal(Object.keys(p).some((k) => k.includes('{namespace}/namespaces')), false);
  });

  it('resolves every $ref, and every schema is used', () => {
    const d = doc();
    const all = refs(d);
    assert.ok(all.length > 20);
    for (const r of all) {
      assert.ok(r.startsWith(SCHEMAS), r);
      assert.ok(d.components.schemas[r.slice(SCHEMAS.length)], `unresolved ${r}`);
    }
    const used = new Set(all.map((r) => r.slice(SCHEMAS.length)));
    assert.deepEqual(Object.keys(d.components.schemas).filter((s) => !used.has(s)), []);
    const ids = Object.values(d.paths).flatMap((item: J) => Object.values(item).filter((o: J) => o?.operationId).map((o: J) => o.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('describes Secret for explain: GVK, byte map data, allOf-wrapped metadata', () => {
    const s = doc().components.schemas['io.k8s.api.core.v1.Secret'];
    assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Secret', version: 'v1' }]);
    assert.deepEqual(Object.keys(s.properties), ['apiVersion', 'data', 'immutable', 'kind', 'metadata', 'stringData', 'type']);
    assert.deepEqual(s.properties.data.additionalProperties, { type: 'string', format: 'byte' });
    assert.equal(s.properties.stringData.additionalProperties.type, 'string');
    assert.deepEqual(s.properties.metadata.allOf, [{ $ref: `${SCHEMAS}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` }]);
    for (const [name, f] of Object.entries<J>(s.properties)) assert.ok(f.description, `${name} has a description`);
    const ns = doc().components.schemas['io.k8s.api.core.v1.Namespace'];
    assert.deepEqual(ns['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Namespace', version: 'v1' }]);
    assert.deepEqual(ns.properties.status.allOf, [{ $ref: `${SCHEMAS}io.k8s.api.core.v1.NamespaceStatus` }]);
    assert.equal(doc().components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
  });

  it('is frozen, so a caller cannot corrupt the cached bytes', () => {
    assert.throws(() => { doc().paths['/x'] = {}; });
  });
});

describe('findUnknownFields', () => {
  it('reports top-level and nested unknown fields with kube paths', () => {
    assert.deepEqual(findUnknownFields(SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' }, spec: {} }), ['unknown field "spec"']);
    assert.deepEqual(findUnknownFields(SECRET, { metadata: { name: 'a', foo: 1, Labels: {} } }), ['unknown field "metadata.foo"', 'unknown field "metadata.Labels"']);
    assert.deepEqual(
      findUnknownFields(SECRET, { metadata: { ownerReferences: [{ uid: 'u' }, { foo: true, uid: 'v' }], managedFields: [{ bar: 1 }] } }),
      ['unknown field "metadata.ownerReferences[1].foo"', 'unknown field "metadata.managedFields[0].bar"'],
    );
    assert.deepEqual(findUnknownFields(NAMESPACE, { spec: { finalizers: ['kubernetes'], x: 1 }, status: { conditions: [{ type: 'A', status: 'True', y: 2 }] } }), [
      'unknown field "spec.x"', 'unknown field "status.conditions[0].y"',
    ]);
  });

  it('never looks inside maps or free-form fields, and accepts every known field', () => {
    const ok = {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque', immutable: false,
      metadata: {
        name: 'a', namespace: 'b', labels: { 'any.key/x': 'v' }, annotations: { spec: 'x' },
        managedFields: [{ manager: 'm', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:x': {} } }, time: '2024-01-01T00:00:00Z' }],
      },
      data: { spec: 'eA==' }, stringData: { metadata: 'x' },
    };
    assert.deepEqual(findUnknownFields(SECRET, ok), []);
    assert.deepEqual(findUnknownFields(SECRET, { metadata: null, data: null }), []);
  });

  it('yields nothing for kinds without a schema', () => {
    assert.deepEqual(findUnknownFields({ group: 'example.com', version: 'v1', kind: 'Nope' }, { spec: 1 }), []);
  });
});

describe('findTypeErrors', () => {
  const first = (obj: unknown, kind = SECRET) => findTypeErrors(kind, obj)[0];
  const field = (v: string, path: string, type: string) => `json: cannot unmarshal ${v} into Go struct field ${path} of type ${type}`;

  it('words scalar mismatches like encoding/json, with named Go types', () => {
    assert.equal(first({ type: 5 }), field('number', 'Secret.type', 'v1.SecretType'));
    assert.equal(first({ immutable: 'true' }), field('string', 'Secret.immutable', 'bool'));
    assert.equal(first({ metadata: { name: 7 } }), field('number', 'ObjectMeta.metadata.name', 'string'));
    assert.equal(first({ metadata: { generation: 1.5 } }), field('number 1.5', 'ObjectMeta.metadata.generation', 'int64'));
    assert.equal(first({ metadata: { generation: '1' } }), field('string', 'ObjectMeta.metadata.generation', 'int64'));
    assert.equal(first({ metadata: { uid: false } }), field('bool', 'ObjectMeta.metadata.uid', 'types.UID'));
    assert.equal(first({ status: { phase: 1 } }, NAMESPACE), field('number', 'NamespaceStatus.status.phase', 'v1.NamespacePhase'));
  });

  it('words container mismatches: maps, slices, structs', () => {
    assert.equal(first({ data: 'x' }), field('string', 'Secret.data', 'map[string][]uint8'));
    assert.equal(first({ data: { k: 5 } }), field('number', 'Secret.data', '[]uint8'));
    assert.equal(first({ stringData: { k: 5 } }), field('number', 'Secret.stringData', 'string'));
    assert.equal(first({ metadata: 'x' }), field('string', 'Secret.metadata', 'v1.ObjectMeta'));
    assert.equal(first({ metadata: { labels: ['a'] } }), field('array', 'ObjectMeta.metadata.labels', 'map[string]string'));
    assert.equal(first({ metadata: { annotations: { a: true } } }), field('bool', 'ObjectMeta.metadata.annotations', 'string'));
    assert.equal(first({ metadata: { finalizers: 'x' } }), field('string', 'ObjectMeta.metadata.finalizers', '[]string'));
    assert.equal(first({ metadata: { ownerReferences: [{ uid: 5 }] } }), field('number', 'OwnerReference.metadata.ownerReferences.uid', 'types.UID'));
    assert.equal(first({ metadata: { ownerReferences: {} } }), field('object', 'ObjectMeta.metadata.ownerReferences', '[]v1.OwnerReference'));
    assert.equal(first({ spec: { finalizers: [1] } }, NAMESPACE), field('number', 'NamespaceSpec.spec.finalizers', 'v1.FinalizerName'));
    assert.equal(first({ spec: [] }, NAMESPACE), field('array', 'Namespace.spec', 'v1.NamespaceSpec'));
  });

  it('checks base64 in byte maps like Go, and allows byte arrays', () => {
    assert.equal(first({ data: { k: 'QUJ' } }), 'illegal base64 data at input byte 0');
    assert.equal(first({ data: { k: 'QUJD!' } }), 'illegal base64 data at input byte 4');
    assert.equal(first({ data: { k: 'QUJDRA' } }), 'illegal base64 data at input byte 4');
    assert.equal(first({ data: { k: 'a-b_' } }), 'illegal base64 data at input byte 1');
    assert.deepEqual(findTypeErrors(SECRET, { data: { a: 'QUJD', b: 'QQ==', c: 'QUI=', d: '', e: 'QU\nJD\r\n' } }), []);
    assert.deepEqual(findTypeErrors(SECRET, { data: { k: [65, 66, null] } }), []);
    assert.equal(first({ data: { k: [300] } }), field('number 300', 'Secret.data', 'uint8'));
  });

  it('checks metav1.Time like its decoder, and such errors win over earlier ones', () => {
    assert.deepEqual(findTypeErrors(SECRET, { metadata: { creationTimestamp: '2024-02-29T23:59:59.5+05:30' } }), []);
    assert.equal(first({ metadata: { creationTimestamp: 5 } }), field('number', 'ObjectMeta.metadata.creationTimestamp', 'string'));
    assert.equal(first({ metadata: { creationTimestamp: 'yesterday' } }), 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"');
    assert.equal(first({ type: 5, metadata: { creationTimestamp: 5 } }), field('number', 'ObjectMeta.metadata.creationTimestamp', 'string'));
    assert.equal(first({ type: 5, metadata: { name: 5 } }), field('number', 'Secret.type', 'v1.SecretType'));
  });

  it('accepts null anywhere and valid objects, and knows DeleteOptions under both group-versions', () => {
    assert.deepEqual(findTypeErrors(SECRET, { type: null, data: { k: null }, immutable: null, metadata: { labels: null, creationTimestamp: null } }), []);
    assert.deepEqual(findTypeErrors(NAMESPACE, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active', conditions: [{ type: 'X', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } }), []);
    for (const group of ['', 'meta.k8s.io']) {
      assert.equal(findTypeErrors({ group, version: 'v1', kind: 'DeleteOptions' }, { gracePeriodSeconds: '5' })[0], field('string', 'DeleteOptions.gracePeriodSeconds', 'int64'));
    }
  });
});

describe('Go decoder texts', () => {
  it('time.Parse(RFC3339) errors', () => {
    const p = (v: string) => goTimeParseError(v);
    assert.equal(p('2024-01-01T00:00:00Z'), null);
    assert.equal(p('2024-01-01'), 'parsing time "2024-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"');
    assert.equal(p('2024-01-01T00:00:00'), 'parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"');
    assert.equal(p('2024-13-01T00:00:00Z'), 'parsing time "2024-13-01T00:00:00Z": month out of range');
    assert.equal(p('2023-02-29T00:00:00Z'), 'parsing time "2023-02-29T00:00:00Z": day out of range');
    assert.equal(p('2024-01-01T24:00:00Z'), 'parsing time "2024-01-01T24:00:00Z": hour out of range');
    assert.equal(p('2024-01-01T00:00:00Zjunk'), 'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"');
    assert.equal(p('2024-01-01 00:00:00Z'), 'parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T"');
  });

  it('base64 errors', () => {
    assert.equal(goBase64Error('QUJD'), null);
    assert.equal(goBase64Error('Q==='), 'illegal base64 data at input byte 1');
    assert.equal(goBase64Error('QU=D'), 'illegal base64 data at input byte 2');
    assert.equal(goBase64Error('QQ==x'), 'illegal base64 data at input byte 4');
    assert.equal(goBase64Error('QQ='), 'illegal base64 data at input byte 3');
  });
});

// Runs last: it changes the registry for the rest of this process.
describe('registry', () => {
  it('adding a kind is a schema entry; documents and hashes follow', () => {
    const before = openapiV3Root().paths['api/v1']!.serverRelativeURL;
    registerKindSchema({
      group: 'widgets.example.com', version: 'v1', kind: 'Widget', schema: 'com.example.widgets.v1.Widget',
      types: [
        { name: 'com.example.widgets.v1.Widget', description: 'A widget.', fields: [{ name: 'metadata', type: 'ref', ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: 'm' }], gvk: [{ group: 'widgets.example.com', version: 'v1', kind: 'Widget' }] },
        { name: 'com.example.widgets.v1.WidgetList', description: 'Widgets.', fields: [{ name: 'items', type: 'array', items: { type: 'ref', ref: 'com.example.widgets.v1.Widget' }, description: 'i' }] },
      ],
      resource: { plural: 'widgets', namespaced: true, verbs: ['create', 'get', 'list', 'patch'], listSchema: 'com.example.widgets.v1.WidgetList' },
    });
    const root = openapiV3Root();
    assert.deepEqual(Object.keys(root.paths), ['api/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/rbac.authorization.k8s.io/v1', 'apis/widgets.example.com/v1']);
    // DeleteOptions now names the new group-version too, so api/v1 changed and so did its hash.
    assert.notEqual(root.paths['api/v1']!.serverRelativeURL, before);
    const widgets = openapiV3Document('apis/widgets.example.com/v1') as J;
    const patch = widgets.paths['/apis/widgets.example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    assert.equal(patch.operationId, 'patchWidgetsExampleComV1NamespacedWidget');
    assert.deepEqual(patch.tags, ['widgetsExampleCom_v1']);
    assert.ok(names(patch.parameters).includes('fieldValidation'));
    assert.deepEqual(findUnknownFields({ group: 'widgets.example.com', version: 'v1', kind: 'Widget' }, { spec: {} }), ['unknown field "spec"']);
  });
});
