import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../src/api/errors.js';
import { applyPatch, LAST_APPLIED, serverSideApply, updateManagedFields } from '../../src/api/patch/index.js';
import type { KObject, ManagedFieldsEntry } from '../../src/api/types.js';

const T0 = new Date('2024-01-02T03:04:05.678Z');
const T1 = new Date('2024-01-02T04:00:00Z');
const T2 = new Date('2024-01-02T05:00:00Z');

const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const opts = { apiVersion: 'v1', kind: 'Secret' };

function created(extra: Partial<KObject> = {}): KObject {
  const obj: KObject = {
    ...SECRET,
    metadata: { name: 'db', namespace: 'default', uid: 'u-1', resourceVersion: '1', creationTimestamp: '2024-01-02T03:04:05Z', labels: { app: 'x' } },
    data: { username: 'YWRtaW4=', password: 'UzNjcjN0' },
    type: 'Opaque',
    ...extra,
  };
  obj.metadata!.managedFields = updateManagedFields(null, obj, 'kubectl-create', 'Update', T0);
  return obj;
}

const entry = (o: KObject, manager: string): ManagedFieldsEntry | undefined =>
  o.metadata?.managedFields?.find((e) => e.manager === manager);

function statusOf(f: () => unknown): StatusError {
  try { f(); } catch (e) {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('managedFields for writes (Update)', () => {
  it('gives the creator every field it set, with "." for maps it created', () => {
    assert.deepEqual(created().metadata?.managedFields, [{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:data': { '.': {}, 'f:password': {}, 'f:username': {} },
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:type': {},
      },
    }]);
  });

  it('moves changed fields to the updater and merges repeated updates by the same manager', () => {
    const live = created();
    const next = structuredClone(live);
    (next.data as Record<string, string>).password = 'bmV3';
    next.metadata!.labels!.env = 'prod';
    next.metadata!.managedFields = updateManagedFields(live, next, 'kubectl-edit', 'Update', T1);
    assert.deepEqual(entry(next, 'kubectl-create')?.fieldsV1, {
      'f:data': { '.': {}, 'f:username': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:type': {},
    });
    assert.deepEqual(entry(next, 'kubectl-edit'), {
      manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T04:00:00Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:password': {} }, 'f:metadata': { 'f:labels': { 'f:env': {} } } },
    });
    const third = structuredClone(next);
    (third.data as Record<string, string>).username = 'cm9vdA==';
    third.metadata!.managedFields = updateManagedFields(next, third, 'kubectl-edit', 'Update', T2);
    assert.equal(third.metadata!.managedFields!.length, 2);
    assert.deepEqual(entry(third, 'kubectl-edit')?.fieldsV1, {
      'f:data': { 'f:password': {}, 'f:username': {} }, 'f:metadata': { 'f:labels': { 'f:env': {} } },
    });
    assert.equal(entry(third, 'kubectl-edit')?.time, '2024-01-02T05:00:00Z');
  });

  it('removes deleted fields from every manager and drops empty entries', () => {
    const live = created();
    const next = structuredClone(live);
    delete next.metadata!.labels;
    next.metadata!.managedFields = updateManagedFields(live, next, 'kubectl-label', 'Update', T1);
    assert.deepEqual(next.metadata!.managedFields!.map((e) => e.manager), ['kubectl-create']);
    assert.deepEqual(entry(next, 'kubectl-create')?.fieldsV1, { 'f:data': { '.': {}, 'f:password': {}, 'f:username': {} }, 'f:type': {} });
  });

  it('never records system metadata and keys items of merge lists', () => {
    const sa: KObject = {
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { name: 'sa', uid: 'u', resourceVersion: '3', finalizers: ['f1'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'o-1' }] },
      secrets: [{ name: 's1' }],
    };
    assert.deepEqual(updateManagedFields(null, sa, 'kubectl-create', 'Update', T0)?.[0]?.fieldsV1, {
      'f:metadata': { 'f:finalizers': { '.': {}, 'v:"f1"': {} }, 'f:ownerReferences': { '.': {}, 'k:{"uid":"o-1"}': {} } },
      'f:secrets': { '.': {}, 'k:{"name":"s1"}': {} },
    });
  });
});

describe('server-side apply', () => {
  const cfg = (data: Record<string, string>, extra: Record<string, unknown> = {}) =>
    ({ ...SECRET, metadata: { name: 'db' }, data, ...extra });

  it('creates, then removes a field the applier stopped applying', () => {
    const first = applyPatch(null, cfg({ a: 'YQ==', b: 'Yg==' }, { type: 'Opaque' }), 'kubectl', opts, T0);
    assert.deepEqual(first.object.data, { a: 'YQ==', b: 'Yg==' });
    assert.deepEqual(first.object.metadata?.managedFields, [{
      manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:type': {} },
    }]);
    const second = applyPatch(first.object, cfg({ a: 'YQ==' }), 'kubectl', opts, T1);
    assert.deepEqual(second.object.data, { a: 'YQ==' });
    assert.equal(second.object.type, undefined);
    assert.deepEqual(second.object.metadata?.managedFields?.[0]?.fieldsV1, { 'f:data': { 'f:a': {} } });
  });

  it('keeps fields another manager owns when the applier drops them', () => {
    const live = created();
    const applied = applyPatch(live, cfg({ username: 'YWRtaW4=', password: 'UzNjcjN0' }), 'kubectl', opts, T1).object;
    const again = applyPatch(applied, cfg({ username: 'YWRtaW4=' }), 'kubectl', opts, T2).object;
    assert.deepEqual(again.data, { username: 'YWRtaW4=', password: 'UzNjcjN0' });
  });

  it('rejects a changed value owned by another manager with kube\'s 409', () => {
    const live = created();
    const e = statusOf(() => applyPatch(live, cfg({ password: 'bmV3' }), 'kubectl', opts, T1));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.password');
    assert.deepEqual(e.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-create" using v1', field: '.data.password' }] });
    assert.deepEqual(e.toStatus(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: 'Conflict', details: e.details, code: 409,
    });
  });

  it('lists several conflicts per manager, members before children', () => {
    const live = created();
    live.metadata!.managedFields = updateManagedFields(null, live, 'kubectl-client-side-apply', 'Update', T0);
    const e = statusOf(() => applyPatch(live, cfg({ username: 'eA==', password: 'eQ==' }, { type: 'kubernetes.io/tls' }), 'm', opts, T1));
    assert.equal(e.message, 'Apply failed with 3 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .type\n- .data.password\n- .data.username');
    assert.deepEqual(e.details?.causes?.map((c) => c.field), ['.type', '.data.password', '.data.username']);
  });

  it('does not conflict on an unchanged value: ownership is shared', () => {
    const live = created();
    const res = applyPatch(live, cfg({ password: 'UzNjcjN0' }), 'kubectl', opts, T1);
    assert.equal(res.changed, false);
    // managedFieldsUpdater only stamps a time when the object changed.
    assert.deepEqual(entry(res.object, 'kubectl'), {
      manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:password': {} } },
    });
    assert.deepEqual(entry(res.object, 'kubectl-create')?.fieldsV1, entry(live, 'kubectl-create')?.fieldsV1);
    assert.equal(res.object.metadata!.managedFields![0]!.operation, 'Apply');
  });

  it('takes ownership with force=true', () => {
    const live = created();
    const res = applyPatch(live, cfg({ password: 'bmV3' }), 'kubectl', { ...opts, force: true }, T1);
    assert.equal((res.object.data as Record<string, string>).password, 'bmV3');
    assert.deepEqual(res.conflicts, [{ manager: '"kubectl-create" using v1', field: '.data.password' }]);
    assert.deepEqual(entry(res.object, 'kubectl-create')?.fieldsV1, {
      'f:data': { '.': {}, 'f:username': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:type': {},
    });
    assert.deepEqual(entry(res.object, 'kubectl')?.fieldsV1, { 'f:data': { 'f:password': {} } });
  });

  it('lets kubectl take over fields its last-applied annotation still describes', () => {
    const last = JSON.stringify({ ...SECRET, metadata: { name: 'db', namespace: 'default' }, data: { username: 'YWRtaW4=', password: 'UzNjcjN0' } });
    const live = created({ metadata: { name: 'db', namespace: 'default', uid: 'u-1', annotations: { [LAST_APPLIED]: last } } });
    live.metadata!.managedFields = updateManagedFields(null, live, 'kubectl-client-side-apply', 'Update', T0);
    const res = applyPatch(live, cfg({ username: 'YWRtaW4=', password: 'bmV3' }), 'kubectl', opts, T1);
    assert.equal((res.object.data as Record<string, string>).password, 'bmV3');
    // The annotation follows the applied configuration (lastAppliedUpdater).
    assert.equal(res.object.metadata?.annotations?.[LAST_APPLIED],
      '{"apiVersion":"v1","data":{"password":"bmV3","username":"YWRtaW4="},"kind":"Secret","metadata":{"name":"db"}}\n');
    // Another field manager gets no such allowance.
    assert.equal(statusOf(() => applyPatch(live, cfg({ password: 'bmV3' }), 'other', opts, T1)).code, 409);
  });

  it('owns stringData keys, not data, and never prunes data through stringData', () => {
    const first = applyPatch(null, { ...SECRET, metadata: { name: 'db' }, stringData: { password: 'p' } }, 'kubectl', opts, T0);
    assert.deepEqual(first.object.metadata?.managedFields?.[0]?.fieldsV1, { 'f:stringData': { 'f:password': {} } });
    // The store folds stringData into data afterwards.
    const stored = structuredClone(first.object);
    stored.data = { password: 'cA==' };
    delete stored.stringData;
    const second = applyPatch(stored, { ...SECRET, metadata: { name: 'db' }, stringData: { other: 'o' } }, 'kubectl', opts, T1);
    assert.deepEqual(second.object.data, { password: 'cA==' });
    assert.deepEqual(second.object.stringData, { other: 'o' });
  });

  it('checks the applied object type and refuses managedFields', () => {
    assert.equal(statusOf(() => applyPatch(null, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db' } }, 'k', opts, T0)).message,
      'invalid object type: /v1, Kind=ConfigMap');
    assert.equal(statusOf(() => applyPatch(null, { kind: 'Secret', metadata: { name: 'db' } }, 'k', opts, T0)).message,
      'invalid object type: /, Kind=Secret');
    const e = statusOf(() => applyPatch(null, { ...SECRET, metadata: { name: 'db', managedFields: [] } }, 'k', opts, T0));
    assert.equal(e.code, 400);
    assert.equal(e.message, 'metadata.managedFields must be nil');
  });

  it('decodes YAML or JSON bodies and checks the name against the URL', () => {
    const info = { group: '', version: 'v1', kind: 'Secret', resource: 'secrets' };
    const yaml = Buffer.from('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  a: "yes"\n');
    const res = serverSideApply(null, yaml, 'kubectl', { info, name: 'db', now: T0 });
    assert.deepEqual(res.object.stringData, { a: 'yes' });
    const json = Buffer.from(`${JSON.stringify({ ...SECRET, metadata: { name: 'other' } })}\n`);
    assert.equal(statusOf(() => serverSideApply(null, json, 'kubectl', { info, name: 'db', now: T0 })).message,
      'the name of the object (other) does not match the name on the URL (db)');
    assert.match(statusOf(() => serverSideApply(null, Buffer.from('{"a": '), 'kubectl', { info, name: 'db' })).message,
      /^error decoding YAML: error converting YAML to JSON: yaml: line 1: /);
    const dup = Buffer.from('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  name: db\n');
    assert.equal(statusOf(() => serverSideApply(null, dup, 'kubectl', { info, name: 'db', fieldValidation: 'Strict' })).message,
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key "name" already set in map');
  });
});
