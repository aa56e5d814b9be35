// Stored values are the bytes kube-apiserver writes with --storage-media-type=application/json:
// Go struct field order, sorted map keys, Go's HTML escapes, and json.Encoder's trailing newline.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goEncodeObject } from '../../src/storage/go-encoding.js';
import { ObjectStore } from '../../src/storage/store.js';
import { identityTransformer } from '../../src/storage/transformer.js';
import type { Backend } from '../../src/storage/backend.js';

test('a Secret is written in Go field order with sorted maps and escaped <, >, &', () => {
  const text = goEncodeObject({
    type: 'Opaque',
    data: { z: 'eg==', a: 'YQ==' },
    metadata: {
      managedFields: [{ fieldsV1: { 'f:data': {} }, time: '2024-01-01T00:00:00Z', manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }],
      annotations: { note: 'a<b & c>d' },
      labels: { b: '2', a: '1' },
      creationTimestamp: '2024-01-01T00:00:00Z',
      uid: 'u-1',
      namespace: 'default',
      name: 's',
    },
    apiVersion: 'v1',
    kind: 'Secret',
  } as never);
  assert.equal(text,
    '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"default","uid":"u-1",' +
    '"creationTimestamp":"2024-01-01T00:00:00Z","labels":{"a":"1","b":"2"},"annotations":{"note":"a\\u003cb \\u0026 c\\u003ed"},' +
    '"managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}}]},' +
    '"data":{"a":"YQ==","z":"eg=="},"type":"Opaque"}\n');
});

test('a Namespace is written as kube writes it; its conditions in NamespaceCondition order', () => {
  const text = goEncodeObject({
    status: { conditions: [{ message: 'm', reason: 'r', lastTransitionTime: 't', status: 'False', type: 'NamespaceDeletionDiscoveryFailure' }], phase: 'Terminating' },
    spec: { finalizers: ['kubernetes'] },
    metadata: { name: 'n' },
    kind: 'Namespace',
    apiVersion: 'v1',
  } as never);
  assert.equal(text,
    '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n"},"spec":{"finalizers":["kubernetes"]},' +
    '"status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionDiscoveryFailure","status":"False","lastTransitionTime":"t","reason":"r","message":"m"}]}}\n');
});

test('the object store writes that encoding without resourceVersion and reads it back', async () => {
  const store = new ObjectStore({} as Backend, identityTransformer);
  const bytes = store.encode({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '7' }, data: { k: 'dg==' } });
  const text = new TextDecoder().decode(bytes);
  assert.equal(text, '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"k":"dg=="}}\n');
  const { object } = await store.decode({ key: '/registry/secrets/default/s', value: bytes, modRev: 9, createRev: 9 });
  assert.deepEqual(object, { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', resourceVersion: '9' }, data: { k: 'dg==' } });
});

test('RBAC objects and ServiceAccounts are written in k8s.io/api field order', async () => {
  await import('../../src/registry/index.js'); // the resource modules register their shapes
  const binding = goEncodeObject({
    roleRef: { name: 'edit', kind: 'ClusterRole', apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ namespace: 'apps', name: 'builder', kind: 'ServiceAccount' }],
    metadata: { namespace: 'apps', name: 'b' }, apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
  } as never);
  assert.equal(binding, '{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"b","namespace":"apps"},'
    + '"subjects":[{"kind":"ServiceAccount","name":"builder","namespace":"apps"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}}\n');
  const role = goEncodeObject({
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { z: 'true', a: 'true' } }] },
    rules: [{ resources: ['secrets'], apiGroups: [''], verbs: ['get'] }],
    metadata: { name: 'r' }, apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
  } as never);
  assert.equal(role, '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"},'
    + '"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}],"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"true","z":"true"}}]}}\n');
  const sa = goEncodeObject({ automountServiceAccountToken: false, secrets: [{ name: 't', kind: 'Secret' }], metadata: { name: 'default' }, apiVersion: 'v1', kind: 'ServiceAccount' } as never);
  assert.equal(sa, '{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"default"},"secrets":[{"kind":"Secret","name":"t"}],"automountServiceAccountToken":false}\n');
});
