// Writes against a real `opaque server`: generateName, dry runs of every verb, no-op updates,
// collection deletes, delete preconditions, finalizers, and the namespace lifecycle (Terminating,
// NamespaceLifecycle admission, the namespace controller). Expected behaviour is kube-apiserver's
// (registry/generic/registry/store.go, registry/core/namespace/storage, admission/plugin/namespace/lifecycle).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { assertAlive, assertStatus, b64, create, createNamespace, eventually, secret, secretsPath, snapshot } from './api-lib.js';

const MERGE = { 'content-type': 'application/merge-patch+json' };
let o: Opaque;

before(async () => {
  o = await startOpaque();
});

after(async () => {
  if (o) await cleanup(o);
});

describe('generateName', () => {
  test('a name is generated from the prefix with 5 random characters', async () => {
    const ns = 'gen';
    await createNamespace(o, ns);
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await http(o, 'POST', secretsPath(ns), { apiVersion: 'v1', kind: 'Secret', metadata: { generateName: 'gen-' }, data: { k: b64('v') } });
      assert.equal(r.status, 201, r.text);
      assert.match(r.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(r.json.metadata.generateName, 'gen-');
      made.add(r.json.metadata.name);
      const g = await http(o, 'GET', secretsPath(ns, r.json.metadata.name));
      assert.equal(g.status, 200);
      assert.equal(g.json.metadata.uid, r.json.metadata.uid);
    }
    assert.equal(made.size, 5, 'names are distinct');
    // A long prefix is cut to 58 characters so that the name fits 63.
    const long = 'a'.repeat(70);
    const r = await http(o, 'POST', secretsPath(ns), { apiVersion: 'v1', kind: 'Secret', metadata: { generateName: long } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.metadata.name.length, 63);
    assert.ok(r.json.metadata.name.startsWith('a'.repeat(58)));
    // A given name wins over generateName.
    const named = await http(o, 'POST', secretsPath(ns), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fixed', generateName: 'gen-' } });
    assert.equal(named.json.metadata.name, 'fixed');
  });
});

describe('dry run', () => {
  const ns = 'dry';
  let live: any;

  before(async () => {
    await createNamespace(o, ns);
    live = await create(o, ns, secret('live', { metadata: { labels: { app: 'dry' } }, data: { k: b64('original') } }));
  });

  test('create with dryRun=All answers the object, stores nothing', async () => {
    const before = await snapshot(o);
    const r = await http(o, 'POST', secretsPath(ns, undefined, 'dryRun=All'), secret('ghost', { data: { k: b64('v') } }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.metadata.name, 'ghost');
    assert.equal(r.json.metadata.namespace, ns);
    assert.ok(r.json.metadata.uid);
    assert.ok(r.json.metadata.creationTimestamp);
    assert.equal(r.json.metadata.resourceVersion, undefined, 'no resourceVersion: nothing was written');
    assert.deepEqual(r.json.data, { k: b64('v') });
    assert.equal((await http(o, 'GET', secretsPath(ns, 'ghost'))).status, 404);
    // Validation and conflicts still apply.
    assertStatus(await http(o, 'POST', secretsPath(ns, undefined, 'dryRun=All'), secret('Bad_Name')), 422, 'Invalid');
    assertStatus(await http(o, 'POST', secretsPath(ns, undefined, 'dryRun=All'), secret('live')), 409, 'AlreadyExists', 'secrets "live" already exists');
    assert.deepEqual(await snapshot(o), before);
  });

  test('PUT and PATCH with dryRun=All answer the result, store nothing', async () => {
    const before = await snapshot(o);
    const put = await http(o, 'PUT', secretsPath(ns, 'live', 'dryRun=All'), { ...live, data: { k: b64('put') } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.data, { k: b64('put') });
    for (const [ct, body] of [
      ['application/merge-patch+json', { data: { k: b64('merge') } }],
      ['application/strategic-merge-patch+json', { data: { k: b64('merge') } }],
      ['application/json-patch+json', [{ op: 'replace', path: '/data/k', value: b64('merge') }]],
    ] as const) {
      const r = await http(o, 'PATCH', secretsPath(ns, 'live', 'dryRun=All'), body, { 'content-type': ct });
      assert.equal(r.status, 200, `${ct}: ${r.text}`);
      assert.deepEqual(r.json.data, { k: b64('merge') }, ct);
    }
    const apply = await http(o, 'PATCH', secretsPath(ns, 'live', 'dryRun=All&fieldManager=dry&force=true'), JSON.stringify(secret('live', { data: { k: b64('applied') } })), { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(apply.status, 200, apply.text);
    assert.deepEqual(await snapshot(o), before);
    const g = await http(o, 'GET', secretsPath(ns, 'live'));
    assert.deepEqual(g.json.data, { k: b64('original') });
    assert.equal(g.json.metadata.resourceVersion, live.metadata.resourceVersion);
  });

  test('DELETE with dryRun (query, or DeleteOptions body in any accepted form) deletes nothing', async () => {
    const before = await snapshot(o);
    const bodies: Array<[string, object | undefined]> = [
      ['dryRun=All', undefined],
      ['', { dryRun: ['All'] }],
      ['', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', dryRun: ['All'] }],
      ['', { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] }],
    ];
    for (const [query, body] of bodies) {
      const r = await http(o, 'DELETE', secretsPath(ns, 'live', query), body);
      assert.equal(r.status, 200, `${query} ${JSON.stringify(body)}: ${r.text}`);
      assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'live', kind: 'secrets', uid: live.metadata.uid } });
    }
    const coll = await http(o, 'DELETE', secretsPath(ns, undefined, 'dryRun=All'));
    assert.equal(coll.status, 200, coll.text);
    assert.deepEqual(coll.json.items.map((i: any) => i.metadata.name), ['live']);
    assert.deepEqual(await snapshot(o), before);
    assert.equal((await http(o, 'GET', secretsPath(ns, 'live'))).status, 200);
  });
});

describe('updates and deletes', () => {
  test('a no-op PUT (and an empty patch) keeps the resourceVersion', async () => {
    const ns = 'noop';
    await createNamespace(o, ns);
    const c = await create(o, ns, secret('same', { metadata: { labels: { a: 'b' } }, data: { k: b64('v') } }));
    const before = await snapshot(o);
    const r1 = await http(o, 'PUT', secretsPath(ns, 'same'), c);
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.metadata.resourceVersion, c.metadata.resourceVersion);
    const r2 = await http(o, 'PUT', secretsPath(ns, 'same'), secret('same', { metadata: { labels: { a: 'b' } }, data: { k: b64('v') } }));
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.metadata.resourceVersion, c.metadata.resourceVersion, 'unconditional no-op PUT');
    const r3 = await http(o, 'PATCH', secretsPath(ns, 'same'), {}, MERGE);
    assert.equal(r3.json.metadata.resourceVersion, c.metadata.resourceVersion, 'empty merge patch');
    // stringData that re-sends the same bytes is no change either.
    const r4 = await http(o, 'PATCH', secretsPath(ns, 'same'), { stringData: { k: 'v' } }, MERGE);
    assert.equal(r4.json.metadata.resourceVersion, c.metadata.resourceVersion, 'same bytes through stringData');
    assert.deepEqual(await snapshot(o), before);
    // A real change bumps it.
    const r5 = await http(o, 'PATCH', secretsPath(ns, 'same'), { data: { k: b64('w') } }, MERGE);
    assert.ok(Number(r5.json.metadata.resourceVersion) > Number(c.metadata.resourceVersion));
  });

  test('deletecollection with a label selector deletes exactly the matches, in that namespace only', async () => {
    const ns = 'coll';
    const other = 'coll-other';
    await createNamespace(o, ns);
    await createNamespace(o, other);
    for (const [n, grp] of [['c1', 'a'], ['c2', 'a'], ['c3', 'b'], ['c4', undefined]] as const) {
      await create(o, ns, secret(n, grp ? { metadata: { labels: { grp } } } : {}));
    }
    await create(o, other, secret('c1', { metadata: { labels: { grp: 'a' } } }));
    const r = await http(o, 'DELETE', secretsPath(ns, undefined, 'labelSelector=grp%3Da'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, 'SecretList');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name).sort(), ['c1', 'c2']);
    const left = await http(o, 'GET', secretsPath(ns));
    assert.deepEqual(left.json.items.map((i: any) => i.metadata.name), ['c3', 'c4']);
    assert.equal((await http(o, 'GET', secretsPath(other, 'c1'))).status, 200, 'other namespaces are untouched');
    // A field selector works the same way.
    const f = await http(o, 'DELETE', secretsPath(ns, undefined, 'fieldSelector=metadata.name%3Dc4'));
    assert.deepEqual(f.json.items.map((i: any) => i.metadata.name), ['c4']);
    assert.deepEqual((await http(o, 'GET', secretsPath(ns))).json.items.map((i: any) => i.metadata.name), ['c3']);
  });

  test('DELETE preconditions (uid, resourceVersion) that do not hold: 409 Conflict, nothing deleted', async () => {
    const ns = 'precond';
    await createNamespace(o, ns);
    const c = await create(o, ns, secret('p'));
    const before = await snapshot(o);
    // etcd3 preconditions.Check fails with a storage InvalidObj error; InterpretDeleteError makes it a Conflict.
    const prefix = `Operation cannot be fulfilled on secrets "p": StorageError: invalid object, Code: 4, Key: /registry/secrets/${ns}/p, ResourceVersion: 0, AdditionalErrorMsg: `;
    const uid = await http(o, 'DELETE', secretsPath(ns, 'p'), { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
    assertStatus(uid, 409, 'Conflict', `${prefix}Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: ${c.metadata.uid}`);
    assert.deepEqual(uid.json.details, { name: 'p', kind: 'secrets' });
    const rv = await http(o, 'DELETE', secretsPath(ns, 'p'), { preconditions: { resourceVersion: '1' } });
    assertStatus(rv, 409, 'Conflict', `${prefix}Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${c.metadata.resourceVersion}`);
    assert.deepEqual(await snapshot(o), before);
    // Preconditions that hold let the delete through.
    const ok = await http(o, 'DELETE', secretsPath(ns, 'p'), { preconditions: { uid: c.metadata.uid, resourceVersion: c.metadata.resourceVersion } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status, 'Success');
    assert.equal((await http(o, 'GET', secretsPath(ns, 'p'))).status, 404);
  });
});

describe('finalizers', () => {
  test('DELETE only marks a secret with a finalizer; the name stays taken; removing the finalizer removes it', async () => {
    const ns = 'fin';
    await createNamespace(o, ns);
    const c = await create(o, ns, secret('x', { metadata: { finalizers: ['example.com/hold'] }, data: { k: b64('v') } }));
    const d = await http(o, 'DELETE', secretsPath(ns, 'x'));
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.kind, 'Secret', 'the object, not a Status');
    assert.ok(d.json.metadata.deletionTimestamp, 'deletionTimestamp set');
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 0);
    assert.deepEqual(d.json.metadata.finalizers, ['example.com/hold']);
    assert.equal(d.json.metadata.uid, c.metadata.uid);
    const g = await http(o, 'GET', secretsPath(ns, 'x'));
    assert.equal(g.status, 200);
    assert.equal(g.json.metadata.deletionTimestamp, d.json.metadata.deletionTimestamp);
    // A second DELETE changes nothing.
    const d2 = await http(o, 'DELETE', secretsPath(ns, 'x'));
    assert.equal(d2.status, 200);
    assert.equal(d2.json.metadata.deletionTimestamp, d.json.metadata.deletionTimestamp);

    const dup = await http(o, 'POST', secretsPath(ns), secret('x'));
    assert.equal(dup.status, 409, dup.text);
    assert.deepEqual(dup.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'object is being deleted: secrets "x" already exists', reason: 'AlreadyExists', details: { name: 'x', kind: 'secrets' }, code: 409 });

    // No new finalizers once deleting; other updates are fine.
    const add = await http(o, 'PATCH', secretsPath(ns, 'x'), { metadata: { finalizers: ['example.com/hold', 'example.com/other'] } }, MERGE);
    const s = assertStatus(add, 422, 'Invalid');
    assert.match(s.message, /no new finalizers can be added if the object is being deleted/);
    const label = await http(o, 'PATCH', secretsPath(ns, 'x'), { metadata: { labels: { still: 'here' } } }, MERGE);
    assert.equal(label.status, 200, label.text);

    const rm = await http(o, 'PATCH', secretsPath(ns, 'x'), { metadata: { finalizers: null } }, MERGE);
    assert.equal(rm.status, 200, rm.text);
    assert.equal((await http(o, 'GET', secretsPath(ns, 'x'))).status, 404, 'gone once the last finalizer is removed');
    const again = await http(o, 'POST', secretsPath(ns), secret('x'));
    assert.equal(again.status, 201, again.text);
    assert.notEqual(again.json.metadata.uid, c.metadata.uid);
  });
});

describe('namespace lifecycle', () => {
  test('system namespaces may not be deleted', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const r = await http(o, 'DELETE', `/api/v1/namespaces/${ns}`);
      assert.deepEqual(r.json, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: `namespaces "${ns}" is forbidden: this namespace may not be deleted`, reason: 'Forbidden', details: { name: ns, kind: 'namespaces' }, code: 403,
      });
    }
  });

  test('Terminating: 200 on DELETE, 403 for new content, 409 on a second DELETE; gone after the last finalizer', async () => {
    const ns = 'doomed';
    await createNamespace(o, ns);
    await create(o, ns, secret('plain', { data: { k: b64('v') } }));
    await create(o, ns, secret('hold', { metadata: { finalizers: ['example.com/hold'] } }));

    const d = await http(o, 'DELETE', `/api/v1/namespaces/${ns}`);
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.kind, 'Namespace');
    assert.equal(d.json.apiVersion, 'v1');
    assert.equal(d.json.status.phase, 'Terminating');
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.deepEqual(d.json.spec.finalizers, ['kubernetes']);

    const before = await snapshot(o);
    const refused = await http(o, 'POST', secretsPath(ns), secret('late'));
    assert.equal(refused.status, 403, refused.text);
    assert.deepEqual(refused.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `secrets "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      reason: 'Forbidden',
      details: { name: 'late', kind: 'secrets', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] },
      code: 403,
    });
    const second = await http(o, 'DELETE', `/api/v1/namespaces/${ns}`);
    assert.deepEqual(second.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `Operation cannot be fulfilled on namespaces "${ns}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
      reason: 'Conflict', details: { name: ns, kind: 'namespaces' }, code: 409,
    });
    assert.equal(second.status, 409);
    const after403 = await snapshot(o);
    assert.equal(Object.keys(after403.secrets).filter((k) => k.startsWith(`${ns}/late`)).length, 0, 'nothing created in the terminating namespace');
    assert.equal(before.secrets[`${ns}/late`], undefined);

    // The controller removes what it can; the finalizer holds the other secret and the namespace.
    await eventually(async () => (await http(o, 'GET', secretsPath(ns, 'plain'))).status === 404, 15000, 'the namespace controller to delete ordinary content');
    const hold = await http(o, 'GET', secretsPath(ns, 'hold'));
    assert.equal(hold.status, 200);
    assert.ok(hold.json.metadata.deletionTimestamp, 'the held secret is marked for deletion');
    const still = await http(o, 'GET', `/api/v1/namespaces/${ns}`);
    assert.equal(still.status, 200);
    assert.equal(still.json.status.phase, 'Terminating');
    // Updates in a terminating namespace are allowed.
    const upd = await http(o, 'PATCH', secretsPath(ns, 'hold'), { metadata: { labels: { last: 'words' } } }, MERGE);
    assert.equal(upd.status, 200, upd.text);

    const rm = await http(o, 'PATCH', secretsPath(ns, 'hold'), [{ op: 'remove', path: '/metadata/finalizers' }], { 'content-type': 'application/json-patch+json' });
    assert.equal(rm.status, 200, rm.text);
    await eventually(async () => (await http(o, 'GET', `/api/v1/namespaces/${ns}`)).status === 404, 15000, 'the namespace to disappear');
    const list = await http(o, 'GET', '/api/v1/namespaces');
    assert.ok(!list.json.items.some((n: any) => n.metadata.name === ns));
    // The name is free again.
    await createNamespace(o, ns);
    const fresh = await http(o, 'GET', `/api/v1/namespaces/${ns}`);
    assert.equal(fresh.json.status.phase, 'Active');
    assert.equal((await http(o, 'GET', secretsPath(ns))).json.items.length, 0);
    await assertAlive(o);
  });

  test('a generateName create in a terminating namespace is refused before a name exists', async () => {
    // NamespaceLifecycle is mutating admission: it runs before the store generates the name, so the
    // Forbidden error names no object (admission.NewForbidden with an empty name).
    const ns = 'doomed-gen';
    await createNamespace(o, ns);
    await create(o, ns, secret('hold', { metadata: { finalizers: ['example.com/hold'] } }));
    assert.equal((await http(o, 'DELETE', `/api/v1/namespaces/${ns}`)).status, 200);
    try {
      const gen = await http(o, 'POST', secretsPath(ns), { apiVersion: 'v1', kind: 'Secret', metadata: { generateName: 'late-' } });
      const s = assertStatus(gen, 403, 'Forbidden', `secrets is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
      assert.deepEqual(s.details, { kind: 'secrets', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] });
    } finally {
      await http(o, 'PATCH', secretsPath(ns, 'hold'), { metadata: { finalizers: null } }, MERGE);
    }
  });
});
