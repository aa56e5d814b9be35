// @kubernetes/client-node 1.x against a real opaque server: the Secret workflows kubectl users have
// (create/read/list/replace/patch/delete, selectors, pagination, dry runs, error Status shapes),
// asserted against Kubernetes' behaviour.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanup, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, clients, expectApiError, freshNamespace, k8s, rvNum, uniq, unb64, type Clients } from './client-node-support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

let o: Opaque;
let c: Clients;

before(async () => {
  o = await startOpaque();
  c = clients(o);
});

after(async () => {
  if (o) await cleanup(o);
});

const names = (list: k8s.V1SecretList): string[] => list.items.map((s) => s.metadata!.name!).sort();

describe('client-node: create and read', () => {
  it('createNamespacedSecret stores data and stringData as base64 data, defaults type, sets system metadata', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'db', labels: { app: 'web' }, annotations: { note: 'hello' } },
        data: { username: b64('admin'), shared: b64('from-data') },
        stringData: { password: 's3cr3t', shared: 'from-stringData' },
      },
    });
    assert.equal(created.kind, 'Secret');
    assert.equal(created.apiVersion, 'v1');
    assert.equal(created.type, 'Opaque');
    assert.equal(created.stringData, undefined, 'stringData is never returned');
    assert.deepEqual(created.data, { password: b64('s3cr3t'), shared: b64('from-stringData'), username: b64('admin') });
    const m = created.metadata!;
    assert.equal(m.name, 'db');
    assert.equal(m.namespace, ns);
    assert.match(m.uid!, UUID);
    assert.ok(m.creationTimestamp instanceof Date, 'creationTimestamp deserialised to a Date');
    assert.ok(Math.abs(m.creationTimestamp.getTime() - Date.now()) < 60_000, 'creationTimestamp is now');
    assert.equal(m.creationTimestamp.getMilliseconds(), 0, 'creationTimestamp has seconds precision');
    assert.ok(rvNum(m.resourceVersion) > 0n);
    assert.deepEqual(m.labels, { app: 'web' });
    assert.deepEqual(m.annotations, { note: 'hello' });
    assert.equal(m.generation, undefined, 'Secrets carry no generation');
    const mf = m.managedFields ?? [];
    assert.equal(mf.length, 1);
    assert.equal(mf[0]!.manager, 'node-fetch', 'manager defaults to the User-Agent product');
    assert.equal(mf[0]!.operation, 'Update');

    const read = await c.core.readNamespacedSecret({ name: 'db', namespace: ns });
    assert.equal(read.kind, 'Secret');
    assert.deepEqual(read.data, created.data);
    assert.equal(read.stringData, undefined);
    assert.equal(read.type, 'Opaque');
    assert.equal(read.metadata!.uid, m.uid);
    assert.equal(read.metadata!.resourceVersion, m.resourceVersion);
    assert.equal(read.metadata!.creationTimestamp!.getTime(), m.creationTimestamp.getTime());
    assert.equal(unb64(read.data!['password']), 's3cr3t');
  });

  it('keeps an explicit type and accepts an empty secret', async () => {
    const ns = await freshNamespace(c.core);
    const tls = await c.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } },
    });
    assert.equal(tls.type, 'kubernetes.io/tls');
    assert.deepEqual(tls.data, { 'tls.crt': '', 'tls.key': '' });
    const custom = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'custom' }, type: 'example.com/thing' } });
    assert.equal(custom.type, 'example.com/thing');
    const empty = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'empty' } } });
    assert.equal(empty.type, 'Opaque');
    assert.equal(empty.data, undefined, 'empty data is omitted');
  });

  it('generateName produces the prefix plus 5 random characters', async () => {
    const ns = await freshNamespace(c.core);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const s = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { generateName: 'gen-' }, stringData: { k: 'v' } } });
      const name = s.metadata!.name!;
      assert.match(name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(s.metadata!.generateName, 'gen-');
      seen.add(name);
      const read = await c.core.readNamespacedSecret({ name, namespace: ns });
      assert.equal(read.metadata!.uid, s.metadata!.uid);
    }
    assert.equal(seen.size, 3);
  });
});

describe('client-node: list and selectors', () => {
  let ns: string;
  before(async () => {
    ns = await freshNamespace(c.core, 'sel');
    const mk = (name: string, labels: Record<string, string>, type?: string) =>
      c.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name, labels }, type, data: type === 'kubernetes.io/tls' ? { 'tls.crt': '', 'tls.key': '' } : { k: b64(name) } },
      });
    await mk('web-prod', { app: 'web', env: 'prod', tier: 'front' });
    await mk('web-dev', { app: 'web', env: 'dev' });
    await mk('db-prod', { app: 'db', env: 'prod', tier: 'back' });
    await mk('cert', { app: 'web', env: 'staging' }, 'kubernetes.io/tls');
    await mk('nolabels', {});
  });

  it('lists the namespace as a SecretList with a resourceVersion', async () => {
    const list = await c.core.listNamespacedSecret({ namespace: ns });
    assert.equal(list.kind, 'SecretList');
    assert.equal(list.apiVersion, 'v1');
    assert.ok(rvNum(list.metadata!.resourceVersion) > 0n);
    assert.equal(list.metadata!._continue, undefined);
    assert.deepEqual(names(list), ['cert', 'db-prod', 'nolabels', 'web-dev', 'web-prod']);
    for (const s of list.items) assert.equal(s.metadata!.namespace, ns);
    const web = list.items.find((s) => s.metadata!.name === 'web-dev')!;
    assert.deepEqual(web.data, { k: b64('web-dev') });
  });

  it('labelSelector equality', async () => {
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app=web' })), ['cert', 'web-dev', 'web-prod']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app==web,env=prod' })), ['web-prod']);
    // != also matches objects without the label
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app!=web' })), ['db-prod', 'nolabels']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app=nothing' })), []);
  });

  it('labelSelector set-based', async () => {
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'env in (prod,staging)' })), ['cert', 'db-prod', 'web-prod']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'env notin (prod)' })), ['cert', 'nolabels', 'web-dev']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'tier' })), ['db-prod', 'web-prod']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: '!tier' })), ['cert', 'nolabels', 'web-dev']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app=web,env in (dev,staging),!tier' })), ['cert', 'web-dev']);
  });

  it('an unparsable labelSelector is a 400 BadRequest', async () => {
    await expectApiError(c.core.listNamespacedSecret({ namespace: ns, labelSelector: 'app in (web' }), 400, 'BadRequest');
  });

  it('fieldSelector on type and metadata.name', async () => {
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'type=kubernetes.io/tls' })), ['cert']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'type!=kubernetes.io/tls' })), ['db-prod', 'nolabels', 'web-dev', 'web-prod']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'metadata.name=web-dev' })), ['web-dev']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'metadata.name=missing' })), []);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: `metadata.namespace=${ns},type=Opaque` })), ['db-prod', 'nolabels', 'web-dev', 'web-prod']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'type=Opaque', labelSelector: 'env=prod' })), ['db-prod', 'web-prod']);
  });

  it('an unsupported field label is a 400 BadRequest', async () => {
    const st = await expectApiError(c.core.listNamespacedSecret({ namespace: ns, fieldSelector: 'data.k=x' }), 400, 'BadRequest');
    assert.match(st.message, /field label not supported: data\.k/);
  });

  it('listSecretForAllNamespaces spans namespaces', async () => {
    const label = uniq('all');
    const ns2 = await freshNamespace(c.core, 'sel2');
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'across', labels: { across: label } } } });
    await c.core.createNamespacedSecret({ namespace: ns2, body: { metadata: { name: 'across', labels: { across: label } } } });
    await c.core.createNamespacedSecret({ namespace: ns2, body: { metadata: { name: 'other', labels: { across: 'no' } } } });
    const list = await c.core.listSecretForAllNamespaces({ labelSelector: `across=${label}` });
    assert.equal(list.kind, 'SecretList');
    assert.ok(rvNum(list.metadata!.resourceVersion) > 0n);
    assert.deepEqual(list.items.map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`).sort(), [`${ns}/across`, `${ns2}/across`].sort());
    const everything = await c.core.listSecretForAllNamespaces({});
    const keys = new Set(everything.items.map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`));
    for (const k of [`${ns}/web-prod`, `${ns2}/other`, `${ns}/across`]) assert.ok(keys.has(k), k);
    const byField = await c.core.listSecretForAllNamespaces({ fieldSelector: `metadata.namespace=${ns2}` });
    assert.deepEqual(names(byField), ['across', 'other']);
  });
});

describe('client-node: pagination', () => {
  it('limit + _continue returns every item exactly once, in name order, as a consistent snapshot', async () => {
    const ns = await freshNamespace(c.core, 'page');
    const all = Array.from({ length: 11 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    for (const name of all) await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { n: name } } });

    const first = await c.core.listNamespacedSecret({ namespace: ns, limit: 4 });
    assert.equal(first.items.length, 4);
    assert.ok(first.metadata!._continue, 'first page has a continue token');
    const snapshotRV = first.metadata!.resourceVersion;

    // Changes after the first page must not show in the later pages: the list is a snapshot.
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'item-05a' } } });
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'item-99' } } });
    await c.core.deleteNamespacedSecret({ name: 'item-09', namespace: ns });
    await c.core.patchNamespacedSecret(
      { name: 'item-07', namespace: ns, body: { metadata: { labels: { changed: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

    const seen = [...first.items];
    let token: string | undefined = first.metadata!._continue;
    let pages = 1;
    while (token) {
      const page = await c.core.listNamespacedSecret({ namespace: ns, limit: 4, _continue: token });
      pages++;
      assert.equal(page.metadata!.resourceVersion, snapshotRV, 'every page reports the snapshot resourceVersion');
      assert.ok(page.items.length <= 4);
      seen.push(...page.items);
      token = page.metadata!._continue;
      assert.ok(pages < 10, 'pagination terminates');
    }
    assert.equal(pages, 3);
    const seenNames = seen.map((s) => s.metadata!.name!);
    assert.deepEqual(seenNames, all, 'every item exactly once, in key order, and nothing created later');
    const i07 = seen.find((s) => s.metadata!.name === 'item-07')!;
    assert.equal(i07.metadata!.labels, undefined, 'items are as of the snapshot');

    // A fresh list sees the new state.
    const now = await c.core.listNamespacedSecret({ namespace: ns });
    assert.deepEqual(names(now), [...all.filter((n) => n !== 'item-09'), 'item-05a', 'item-99'].sort());
    assert.notEqual(now.metadata!.resourceVersion, snapshotRV);
  });

  it('pages without selectors carry metadata.remainingItemCount', async () => {
    const ns = await freshNamespace(c.core, 'pagecount');
    for (let i = 0; i < 5; i++) await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `s${i}` } } });
    const first = await c.core.listNamespacedSecret({ namespace: ns, limit: 2 });
    assert.equal(first.metadata!.remainingItemCount, 3);
    const second = await c.core.listNamespacedSecret({ namespace: ns, limit: 2, _continue: first.metadata!._continue });
    assert.equal(second.metadata!.remainingItemCount, 1);
    const last = await c.core.listNamespacedSecret({ namespace: ns, limit: 2, _continue: second.metadata!._continue });
    assert.equal(last.items.length, 1);
    assert.equal(last.metadata!._continue, undefined);
    assert.equal(last.metadata!.remainingItemCount, undefined);
    // with a selector the count is unknown and omitted
    const sel = await c.core.listNamespacedSecret({ namespace: ns, limit: 2, labelSelector: '!nothing' });
    assert.ok(sel.metadata!._continue);
    assert.equal(sel.metadata!.remainingItemCount, undefined);
  });

  it('pagination with a label selector and across all namespaces', async () => {
    const ns = await freshNamespace(c.core, 'pagesel');
    const label = uniq('pg');
    for (let i = 0; i < 7; i++) {
      await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `s${i}`, labels: { pg: i % 2 === 0 ? label : 'odd' } } } });
    }
    const collect = async (list: (token?: string) => Promise<k8s.V1SecretList>): Promise<string[]> => {
      const out: string[] = [];
      let token: string | undefined;
      let guard = 0;
      do {
        const page = await list(token);
        assert.ok(page.items.length <= 2);
        out.push(...page.items.map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`));
        token = page.metadata!._continue;
        assert.ok(++guard < 20);
      } while (token);
      return out;
    };
    const inNs = await collect((t) => c.core.listNamespacedSecret({ namespace: ns, limit: 2, labelSelector: `pg=${label}`, _continue: t }));
    assert.deepEqual(inNs, [`${ns}/s0`, `${ns}/s2`, `${ns}/s4`, `${ns}/s6`]);
    const cluster = await collect((t) => c.core.listSecretForAllNamespaces({ limit: 2, labelSelector: `pg=${label}`, _continue: t }));
    assert.deepEqual(cluster, inNs);
  });

  it('a malformed continue token is a 400 BadRequest', async () => {
    const ns = await freshNamespace(c.core, 'pagebad');
    await expectApiError(c.core.listNamespacedSecret({ namespace: ns, limit: 1, _continue: 'not-a-token' }), 400, 'BadRequest');
  });
});

describe('client-node: replace', () => {
  it('replaceNamespacedSecret updates and bumps resourceVersion; a stale resourceVersion is a 409 Conflict', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'r' }, stringData: { a: '1' } } });
    const cur = await c.core.readNamespacedSecret({ name: 'r', namespace: ns });
    cur.data = { ...cur.data, b: b64('2') };
    cur.metadata!.labels = { replaced: 'true' };
    const replaced = await c.core.replaceNamespacedSecret({ name: 'r', namespace: ns, body: cur });
    assert.deepEqual(replaced.data, { a: b64('1'), b: b64('2') });
    assert.deepEqual(replaced.metadata!.labels, { replaced: 'true' });
    assert.equal(replaced.metadata!.uid, created.metadata!.uid);
    assert.ok(rvNum(replaced.metadata!.resourceVersion) > rvNum(created.metadata!.resourceVersion));
    assert.equal(replaced.metadata!.creationTimestamp!.getTime(), created.metadata!.creationTimestamp!.getTime());

    // stringData on replace is folded into data as well
    const viaString = await c.core.replaceNamespacedSecret({
      name: 'r',
      namespace: ns,
      body: { metadata: { name: 'r', resourceVersion: replaced.metadata!.resourceVersion }, stringData: { c: '3' } },
    });
    assert.deepEqual(viaString.data, { c: b64('3') });
    assert.equal(viaString.stringData, undefined);
    assert.equal(viaString.type, 'Opaque');

    // the object we replaced from is now stale
    cur.data = { stale: b64('x') };
    const st = await expectApiError(c.core.replaceNamespacedSecret({ name: 'r', namespace: ns, body: cur }), 409, 'Conflict');
    assert.equal(
      st.message,
      'Operation cannot be fulfilled on secrets "r": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal(st.details?.name, 'r');
    assert.equal(st.details?.kind, 'secrets');
    const after = await c.core.readNamespacedSecret({ name: 'r', namespace: ns });
    assert.deepEqual(after.data, { c: b64('3') }, 'a conflicting replace changes nothing');

    // Secrets allow unconditional update: no resourceVersion means "the latest"
    const unconditional = await c.core.replaceNamespacedSecret({ name: 'r', namespace: ns, body: { metadata: { name: 'r' }, data: { d: b64('4') } } });
    assert.deepEqual(unconditional.data, { d: b64('4') });
  });

  it('replacing a missing secret is a 404, and changing the type is a 422', async () => {
    const ns = await freshNamespace(c.core);
    const st = await expectApiError(c.core.replaceNamespacedSecret({ name: 'ghost', namespace: ns, body: { metadata: { name: 'ghost' } } }), 404, 'NotFound');
    assert.equal(st.message, 'secrets "ghost" not found');
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 't' }, stringData: { a: 'b' } } });
    const inv = await expectApiError(
      c.core.replaceNamespacedSecret({ name: 't', namespace: ns, body: { metadata: { name: 't' }, type: 'example.com/other', stringData: { a: 'b' } } }),
      422,
      'Invalid',
    );
    assert.equal(inv.details?.kind, 'Secret');
    assert.deepEqual(
      inv.details?.causes?.map((x) => [x.reason, x.field, x.message]),
      [['FieldValueInvalid', 'type', 'Invalid value: "example.com/other": field is immutable']],
    );
  });
});

describe('client-node: patch strategies', () => {
  it('JSON patch is the default content type', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jp', labels: { a: '1' } }, data: { x: b64('1'), y: b64('2') } } });
    const patched = await c.core.patchNamespacedSecret({
      name: 'jp',
      namespace: ns,
      body: [
        { op: 'test', path: '/data/x', value: b64('1') },
        { op: 'replace', path: '/data/x', value: b64('one') },
        { op: 'remove', path: '/data/y' },
        { op: 'add', path: '/data/z', value: b64('3') },
        { op: 'add', path: '/metadata/labels/b', value: '2' },
      ],
    });
    assert.deepEqual(patched.data, { x: b64('one'), z: b64('3') });
    assert.deepEqual(patched.metadata!.labels, { a: '1', b: '2' });
    assert.ok(rvNum(patched.metadata!.resourceVersion) > rvNum(created.metadata!.resourceVersion));
    const read = await c.core.readNamespacedSecret({ name: 'jp', namespace: ns });
    assert.deepEqual(read.data, patched.data);

    // a failing test operation is a 422 and leaves the object alone
    await expectApiError(
      c.core.patchNamespacedSecret({ name: 'jp', namespace: ns, body: [{ op: 'test', path: '/data/x', value: b64('wrong') }, { op: 'remove', path: '/data/x' }] }),
      422,
      'Invalid',
    );
    const still = await c.core.readNamespacedSecret({ name: 'jp', namespace: ns });
    assert.equal(still.metadata!.resourceVersion, patched.metadata!.resourceVersion);
    // patching a missing object is a 404
    await expectApiError(c.core.patchNamespacedSecret({ name: 'nope', namespace: ns, body: [{ op: 'add', path: '/data/a', value: 'YQ==' }] }), 404, 'NotFound');
  });

  it('merge patch (PatchStrategy.MergePatch): null deletes, lists are replaced', async () => {
    const ns = await freshNamespace(c.core);
    await c.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'mp', labels: { keep: 'yes', drop: 'yes' }, finalizers: ['example.com/a'] }, data: { x: b64('1'), y: b64('2') } },
    });
    const patched = await c.core.patchNamespacedSecret(
      { name: 'mp', namespace: ns, body: { metadata: { labels: { drop: null, added: 'new' }, finalizers: ['example.com/b'] }, data: { y: null, z: b64('3') }, stringData: { s: 'plain' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.metadata!.labels, { added: 'new', keep: 'yes' });
    assert.deepEqual(patched.data, { s: b64('plain'), x: b64('1'), z: b64('3') });
    assert.equal(patched.stringData, undefined);
    assert.deepEqual(patched.metadata!.finalizers, ['example.com/b'], 'merge patch replaces lists');
    const cleared = await c.core.patchNamespacedSecret(
      { name: 'mp', namespace: ns, body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(cleared.metadata!.finalizers, undefined);
  });

  it('strategic merge patch (PatchStrategy.StrategicMergePatch): maps merge, finalizers are merged as a set', async () => {
    const ns = await freshNamespace(c.core);
    await c.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'smp', labels: { a: '1' }, finalizers: ['example.com/a'] }, data: { x: b64('1'), y: b64('2') } },
    });
    const patched = await c.core.patchNamespacedSecret(
      { name: 'smp', namespace: ns, body: { metadata: { labels: { b: '2' }, finalizers: ['example.com/b'] }, data: { y: null, z: b64('3') } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(patched.metadata!.labels, { a: '1', b: '2' });
    assert.deepEqual(patched.data, { x: b64('1'), z: b64('3') });
    // finalizers have patchStrategy merge; apimachinery's mergeSlice puts patch items before server-only ones
    assert.deepEqual(patched.metadata!.finalizers, ['example.com/b', 'example.com/a']);
    const removed = await c.core.patchNamespacedSecret(
      { name: 'smp', namespace: ns, body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.equal(removed.metadata!.finalizers, undefined);
  });

  it('server-side apply (PatchStrategy.ServerSideApply) creates, tracks managers, conflicts, and force takes ownership', async () => {
    const ns = await freshNamespace(c.core);
    const ssa = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
    const applied = await c.core.patchNamespacedSecret(
      {
        name: 'ssa',
        namespace: ns,
        fieldManager: 'alpha',
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ssa', namespace: ns, labels: { owner: 'alpha' } }, data: { shared: b64('alpha'), mine: b64('a') } },
      },
      ssa,
    );
    assert.equal(applied.metadata!.name, 'ssa');
    assert.equal(applied.type, 'Opaque');
    assert.deepEqual(applied.data, { mine: b64('a'), shared: b64('alpha') });
    const alphaEntry = applied.metadata!.managedFields!.find((f) => f.manager === 'alpha')!;
    assert.equal(alphaEntry.operation, 'Apply');
    assert.equal(alphaEntry.apiVersion, 'v1');
    assert.equal(alphaEntry.fieldsType, 'FieldsV1');
    assert.deepEqual(alphaEntry.fieldsV1, { 'f:data': { 'f:mine': {}, 'f:shared': {} }, 'f:metadata': { 'f:labels': { 'f:owner': {} } } });

    // Re-applying the same configuration is a no-op: same resourceVersion.
    const again = await c.core.patchNamespacedSecret(
      {
        name: 'ssa',
        namespace: ns,
        fieldManager: 'alpha',
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ssa', namespace: ns, labels: { owner: 'alpha' } }, data: { shared: b64('alpha'), mine: b64('a') } },
      },
      ssa,
    );
    assert.equal(again.metadata!.resourceVersion, applied.metadata!.resourceVersion);

    const betaBody = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ssa', namespace: ns }, data: { shared: b64('beta') } };
    const st = await expectApiError(c.core.patchNamespacedSecret({ name: 'ssa', namespace: ns, fieldManager: 'beta', body: betaBody }, ssa), 409, 'Conflict');
    assert.equal(st.message, 'Apply failed with 1 conflict: conflict with "alpha": .data.shared');
    assert.deepEqual(st.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.shared' }]);

    const forced = await c.core.patchNamespacedSecret({ name: 'ssa', namespace: ns, fieldManager: 'beta', force: true, body: betaBody }, ssa);
    assert.deepEqual(forced.data, { mine: b64('a'), shared: b64('beta') });
    const mf = forced.metadata!.managedFields!;
    assert.deepEqual(mf.find((f) => f.manager === 'beta')!.fieldsV1, { 'f:data': { 'f:shared': {} } });
    assert.deepEqual(mf.find((f) => f.manager === 'alpha')!.fieldsV1, { 'f:data': { 'f:mine': {} }, 'f:metadata': { 'f:labels': { 'f:owner': {} } } });

    // alpha applies again without "mine": the field it alone owned is removed
    const shrunk = await c.core.patchNamespacedSecret(
      { name: 'ssa', namespace: ns, fieldManager: 'alpha', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ssa', namespace: ns, labels: { owner: 'alpha' } } } },
      ssa,
    );
    assert.deepEqual(shrunk.data, { shared: b64('beta') });

    // apply requires a fieldManager
    const noMgr = await expectApiError(c.core.patchNamespacedSecret({ name: 'ssa', namespace: ns, body: betaBody }, ssa), 422, 'Invalid');
    assert.ok(noMgr.details?.causes?.some((x) => x.field === 'fieldManager' && x.reason === 'FieldValueRequired'), JSON.stringify(noMgr));
  });
});

describe('client-node: dryRun=All', () => {
  it('dry-run create returns the object but persists nothing', async () => {
    const ns = await freshNamespace(c.core);
    const dry = await c.core.createNamespacedSecret({ namespace: ns, dryRun: 'All', body: { metadata: { name: 'dry' }, stringData: { a: 'b' } } });
    assert.equal(dry.metadata!.name, 'dry');
    assert.deepEqual(dry.data, { a: b64('b') });
    assert.equal(dry.type, 'Opaque');
    assert.match(dry.metadata!.uid!, UUID);
    assert.equal(dry.metadata!.resourceVersion, undefined, 'a dry-run create has no resourceVersion');
    await expectApiError(c.core.readNamespacedSecret({ name: 'dry', namespace: ns }), 404, 'NotFound');
    assert.deepEqual((await c.core.listNamespacedSecret({ namespace: ns })).items, []);
    // validation still runs
    await expectApiError(c.core.createNamespacedSecret({ namespace: ns, dryRun: 'All', body: { metadata: { name: 'dry' }, data: { 'a*b': '' } } }), 422, 'Invalid');
    // and so do existence checks
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'real' } } });
    await expectApiError(c.core.createNamespacedSecret({ namespace: ns, dryRun: 'All', body: { metadata: { name: 'real' } } }), 409, 'AlreadyExists');
  });

  it('dry-run patch and replace return the result but change nothing', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'p' }, stringData: { a: 'b' } } });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const dry = await c.core.patchNamespacedSecret({ name: 'p', namespace: ns, dryRun: 'All', body: { data: { a: b64('changed') } } }, merge);
    assert.deepEqual(dry.data, { a: b64('changed') });
    const dryJson = await c.core.patchNamespacedSecret({ name: 'p', namespace: ns, dryRun: 'All', body: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }] });
    assert.deepEqual(dryJson.metadata!.labels, { x: 'y' });
    const dryReplace = await c.core.replaceNamespacedSecret({ name: 'p', namespace: ns, dryRun: 'All', body: { metadata: { name: 'p' }, data: { r: b64('r') } } });
    assert.deepEqual(dryReplace.data, { r: b64('r') });
    const read = await c.core.readNamespacedSecret({ name: 'p', namespace: ns });
    assert.deepEqual(read.data, { a: b64('b') });
    assert.equal(read.metadata!.labels, undefined);
    assert.equal(read.metadata!.resourceVersion, created.metadata!.resourceVersion);
  });

  it('dry-run delete and delete-collection leave the objects in place', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'd', labels: { g: 'x' } } } });
    const res = await c.core.deleteNamespacedSecret({ name: 'd', namespace: ns, dryRun: 'All' });
    assert.equal(res.status, 'Success');
    await c.core.deleteCollectionNamespacedSecret({ namespace: ns, labelSelector: 'g=x', dryRun: 'All' });
    const read = await c.core.readNamespacedSecret({ name: 'd', namespace: ns });
    assert.equal(read.metadata!.resourceVersion, created.metadata!.resourceVersion);
    assert.equal(read.metadata!.deletionTimestamp, undefined);
  });

  it('an unsupported dryRun value is a 422 naming the options kind', async () => {
    const ns = await freshNamespace(c.core);
    const st = await expectApiError(c.core.createNamespacedSecret({ namespace: ns, dryRun: 'Yes', body: { metadata: { name: 'x' } } }), 422, 'Invalid');
    assert.equal(st.details?.kind, 'CreateOptions');
    assert.equal(st.details?.group, 'meta.k8s.io');
    assert.deepEqual(st.details?.causes?.map((x) => [x.reason, x.field]), [['FieldValueNotSupported', 'dryRun']]);
  });
});

describe('client-node: delete', () => {
  it('deleteNamespacedSecret returns a Success Status and the secret is gone', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'gone' }, stringData: { a: 'b' } } });
    const st = await c.core.deleteNamespacedSecret({ name: 'gone', namespace: ns });
    assert.equal(st.kind, 'Status');
    assert.equal(st.apiVersion, 'v1');
    assert.equal(st.status, 'Success');
    assert.equal(st.details?.name, 'gone');
    assert.equal(st.details?.kind, 'secrets');
    assert.equal(st.details?.uid, created.metadata!.uid);
    await expectApiError(c.core.readNamespacedSecret({ name: 'gone', namespace: ns }), 404, 'NotFound');
    const again = await expectApiError(c.core.deleteNamespacedSecret({ name: 'gone', namespace: ns }), 404, 'NotFound');
    assert.equal(again.message, 'secrets "gone" not found');
  });

  it('delete with preconditions: a wrong uid or resourceVersion is a 409 Conflict', async () => {
    const ns = await freshNamespace(c.core);
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'pre' } } });
    const badUid = await expectApiError(
      c.core.deleteNamespacedSecret({ name: 'pre', namespace: ns, body: { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } } }),
      409,
      'Conflict',
    );
    // kube reports the storage layer's error (storage.NewInvalidObjError) inside the conflict message.
    assert.match(badUid.message, new RegExp(`^Operation cannot be fulfilled on secrets "pre": StorageError: invalid object, Code: 4, Key: /registry/secrets/${ns}/pre, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: `));
    await expectApiError(c.core.deleteNamespacedSecret({ name: 'pre', namespace: ns, body: { preconditions: { resourceVersion: '1' } } }), 409, 'Conflict');
    await c.core.readNamespacedSecret({ name: 'pre', namespace: ns });
    const ok = await c.core.deleteNamespacedSecret({
      name: 'pre',
      namespace: ns,
      body: { preconditions: { uid: created.metadata!.uid, resourceVersion: created.metadata!.resourceVersion } },
    });
    assert.equal(ok.status, 'Success');
  });

  it('a secret with a finalizer is only marked for deletion until the finalizer is removed', async () => {
    const ns = await freshNamespace(c.core);
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    const res = (await c.core.deleteNamespacedSecret({ name: 'held', namespace: ns })) as unknown as { kind?: string };
    assert.equal(res.kind, 'Secret', 'DELETE answers with the object while finalizers keep it');
    const marked = await c.core.readNamespacedSecret({ name: 'held', namespace: ns });
    assert.ok(marked.metadata!.deletionTimestamp instanceof Date);
    assert.equal(marked.metadata!.deletionGracePeriodSeconds, 0);
    await c.core.patchNamespacedSecret({ name: 'held', namespace: ns, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await expectApiError(c.core.readNamespacedSecret({ name: 'held', namespace: ns }), 404, 'NotFound');
  });

  it('deleteCollectionNamespacedSecret deletes only what the label selector matches', async () => {
    const ns = await freshNamespace(c.core);
    const other = await freshNamespace(c.core);
    for (const [name, group] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b']] as const) {
      await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, labels: { group } } } });
    }
    await c.core.createNamespacedSecret({ namespace: other, body: { metadata: { name: 'a9', labels: { group: 'a' } } } });
    const res = await c.core.deleteCollectionNamespacedSecret({ namespace: ns, labelSelector: 'group=a' });
    // kube answers a SecretList of the deleted items (the client types it as V1Status)
    assert.equal((res as unknown as { kind?: string }).kind, 'SecretList', JSON.stringify(res));
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: ns })), ['b1']);
    assert.deepEqual(names(await c.core.listNamespacedSecret({ namespace: other })), ['a9'], 'other namespaces are untouched');
  });
});

describe('client-node: error Status shapes', () => {
  it('404 NotFound', async () => {
    const ns = await freshNamespace(c.core);
    const st = await expectApiError(c.core.readNamespacedSecret({ name: 'missing', namespace: ns }), 404, 'NotFound');
    assert.equal(st.message, 'secrets "missing" not found');
    assert.deepEqual(st.details, { name: 'missing', kind: 'secrets' });
  });

  it('creating in a namespace that does not exist is a 404 for the namespace', async () => {
    const st = await expectApiError(c.core.createNamespacedSecret({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }), 404, 'NotFound');
    assert.equal(st.message, 'namespaces "no-such-ns" not found');
    assert.deepEqual(st.details, { name: 'no-such-ns', kind: 'namespaces' });
  });

  it('409 AlreadyExists', async () => {
    const ns = await freshNamespace(c.core);
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'dup' } } });
    const st = await expectApiError(c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'dup' }, stringData: { a: 'b' } } }), 409, 'AlreadyExists');
    assert.equal(st.message, 'secrets "dup" already exists');
    assert.deepEqual(st.details, { name: 'dup', kind: 'secrets' });
  });

  it('422 Invalid with details.causes for a bad data key and a TLS secret without tls.key', async () => {
    const ns = await freshNamespace(c.core);
    const st = await expectApiError(
      c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'bad' }, type: 'kubernetes.io/tls', data: { 'a*b': b64('x'), 'tls.crt': '' } } }),
      422,
      'Invalid',
    );
    assert.equal(st.details?.name, 'bad');
    assert.equal(st.details?.kind, 'Secret');
    assert.equal(st.details?.group, undefined);
    const causes = [...(st.details?.causes ?? [])].sort((x, y) => String(x.field).localeCompare(String(y.field)));
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', message: `Invalid value: "a*b": ${CONFIG_KEY_MSG}`, field: 'data[a*b]' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'data[tls.key]' },
    ]);
    assert.ok(st.message.startsWith('Secret "bad" is invalid: ['), st.message);
    assert.ok(st.message.includes(`data[a*b]: Invalid value: "a*b": ${CONFIG_KEY_MSG}`), st.message);
    assert.ok(st.message.includes('data[tls.key]: Required value'), st.message);
    await expectApiError(c.core.readNamespacedSecret({ name: 'bad', namespace: ns }), 404, 'NotFound');
  });

  it('422 for a bad name and for a missing name', async () => {
    const ns = await freshNamespace(c.core);
    const bad = await expectApiError(c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } }), 422, 'Invalid');
    assert.equal(bad.details?.name, 'Bad_Name');
    assert.deepEqual(bad.details?.causes?.map((x) => [x.reason, x.field]), [['FieldValueInvalid', 'metadata.name']]);
    const none = await expectApiError(c.core.createNamespacedSecret({ namespace: ns, body: { metadata: {} } }), 422, 'Invalid');
    assert.deepEqual(none.details?.causes, [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
  });

  it('a body namespace different from the URL namespace is a 400', async () => {
    const ns = await freshNamespace(c.core);
    const st = await expectApiError(c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x', namespace: 'default' } } }), 400, 'BadRequest');
    assert.equal(st.message, 'the namespace of the provided object does not match the namespace sent on the request');
  });
});
