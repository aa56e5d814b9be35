// The etcd engine keeps the storage contract on a real etcd (started here, never mocked): one global
// revision, CAS on mod revision, snapshot ranges and paging, compaction answered TooOld, watches from
// a revision with previous values, a watch that resumes without loss when its member restarts, and a
// member that never answers holding up no call after the first.

import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { StorageError, type BackendEvent } from '../../src/storage/backend.js';
import { connectEtcd } from '../../src/storage/etcd/client.js';
import { EtcdBackend } from '../../src/storage/etcd/backend.js';
import { ObjectStore } from '../../src/storage/store.js';
import { identityTransformer } from '../../src/storage/transformer.js';
import { WatchCache, type CacheEvent } from '../../src/storage/watch-cache.js';
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

let etcd: EtcdCluster;
let backend: EtcdBackend;
before(async () => {
  etcd = await startEtcd(1);
  backend = new EtcdBackend(connectEtcd({ servers: etcd.endpoints.split(',') }));
});
after(async () => {
  await backend?.close();
  await etcd?.stop();
});

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('revisions are global and monotonic; create/update/delete compare the key revision', async () => {
  const a = await backend.create('/t1/s/ns/a', enc('1'));
  const b = await backend.create('/t1/s/ns/b', enc('2'));
  assert.ok(a.ok && b.ok);
  assert.equal(b.rev, a.rev + 1);
  assert.equal((await backend.create('/t1/s/ns/a', enc('x'))).ok, false);
  const u = await backend.update('/t1/s/ns/a', enc('1b'), a.rev);
  assert.ok(u.ok);
  const stale = await backend.update('/t1/s/ns/a', enc('1c'), a.rev);
  assert.equal(stale.ok, false);
  assert.equal(dec((stale as { current: { value: Uint8Array } }).current.value), '1b');
  assert.equal((await backend.delete('/t1/s/ns/a', a.rev)).ok, false);
  const del = await backend.delete('/t1/s/ns/a', u.rev);
  assert.ok(del.ok);
  assert.equal(dec(del.prev.value), '1b');
  assert.equal(await backend.get('/t1/s/ns/a'), undefined);
  assert.equal(await backend.currentRevision(), del.rev);
  const kv = await backend.get('/t1/s/ns/b');
  assert.equal(kv!.modRev, b.rev);
  assert.equal(kv!.createRev, b.rev);
});

test('concurrent reads share etcd calls and each gets its own key: values, revisions, absent keys', async () => {
  const revs = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const r = await backend.create(`/tget/s/ns/k${i}`, enc(`v${i}`));
    assert.ok(r.ok);
    revs.set(`/tget/s/ns/k${i}`, r.rev);
  }
  // More than the calls allowed in flight and more than one transaction's 128 operations.
  const keys = [...Array.from({ length: 300 }, (_, i) => `/tget/s/ns/k${i}`), '/tget/s/ns/absent', '/tget/s/ns/k7'];
  const got = await Promise.all(keys.map((k) => backend.get(k)));
  got.forEach((kv, i) => {
    const k = keys[i]!;
    if (k.endsWith('absent')) return assert.equal(kv, undefined);
    assert.equal(kv?.key, k);
    assert.equal(dec(kv!.value), `v${/k(\d+)$/.exec(k)![1]}`);
    assert.equal(kv!.modRev, revs.get(k));
  });
  // A read that starts after a write sees it.
  const u = await backend.update('/tget/s/ns/k1', enc('v1b'), revs.get('/tget/s/ns/k1')!);
  assert.ok(u.ok);
  const again = await Promise.all(['/tget/s/ns/k1', '/tget/s/ns/k2'].map((k) => backend.get(k)));
  assert.equal(dec(again[0]!.value), 'v1b');
  assert.equal(again[0]!.modRev, u.rev);
});

test('range reads a consistent snapshot at a past revision, pages with startAfter, counts live keys', async () => {
  for (const n of ['a', 'b', 'c', 'd']) await backend.create(`/t2/p/${n}`, enc(n));
  await backend.create('/t2/q/x', enc('other prefix'));
  const snap = await backend.currentRevision();
  await backend.update('/t2/p/b', enc('b2'), (await backend.get('/t2/p/b'))!.modRev);
  await backend.delete('/t2/p/c', (await backend.get('/t2/p/c'))!.modRev);
  assert.deepEqual((await backend.range('/t2/p/')).kvs.map((k) => dec(k.value)), ['a', 'b2', 'd']);
  assert.deepEqual((await backend.range('/t2/p/', { rev: snap })).kvs.map((k) => dec(k.value)), ['a', 'b', 'c', 'd']);
  const page1 = await backend.range('/t2/p/', { rev: snap, limit: 2 });
  assert.deepEqual(page1.kvs.map((k) => k.key), ['/t2/p/a', '/t2/p/b']);
  assert.equal(page1.more, true);
  assert.equal(page1.rev, snap);
  const page2 = await backend.range('/t2/p/', { rev: snap, limit: 2, startAfter: '/t2/p/b' });
  assert.deepEqual(page2.kvs.map((k) => k.key), ['/t2/p/c', '/t2/p/d']);
  assert.equal(page2.more, false);
  assert.equal(await backend.count('/t2/p/'), 3);
  assert.equal(await backend.count('/t2/p/', { rev: snap, startAfter: '/t2/p/a' }), 3);
  await assert.rejects(backend.range('/t2/p/', { rev: (await backend.currentRevision()) + 100 }), (e: unknown) => e instanceof StorageError && e.code === 'TooLarge');
});

test('watch delivers every event after the start revision, with previous values', async () => {
  const from = await backend.currentRevision();
  await backend.create('/t3/w/a', enc('1'));
  const seen: BackendEvent[] = [];
  const h = backend.watch('/t3/w/', from, (e) => seen.push(e), (err) => assert.fail(err));
  const a = (await backend.get('/t3/w/a'))!;
  await backend.update('/t3/w/a', enc('2'), a.modRev);
  await backend.delete('/t3/w/a', (await backend.get('/t3/w/a'))!.modRev);
  await backend.create('/t3/other', enc('not watched'));
  await until(() => seen.length >= 3);
  h.cancel();
  assert.deepEqual(seen.map((e) => [e.type, e.created ?? false, e.value && dec(e.value), e.prevValue && dec(e.prevValue)]), [
    ['put', true, '1', undefined],
    ['put', false, '2', '1'],
    ['delete', false, undefined, '2'],
  ]);
  assert.ok(seen.every((e, i) => i === 0 || e.rev > seen[i - 1]!.rev));
});

test('compaction: reads and watches below it answer TooOld; the latest state is intact', async () => {
  const c = await backend.create('/t4/p/a', enc('1'));
  assert.ok(c.ok);
  await backend.update('/t4/p/a', enc('2'), c.rev);
  const now = await backend.currentRevision();
  await backend.compact(now);
  await backend.compact(now - 1); // already compacted further: not an error
  await assert.rejects(backend.range('/t4/p/', { rev: c.rev }), (e: unknown) => e instanceof StorageError && e.code === 'TooOld');
  assert.deepEqual((await backend.range('/t4/p/')).kvs.map((k) => dec(k.value)), ['2']);
  const err = await new Promise<Error>((res) => backend.watch('/t4/p/', c.rev - 1, () => {}, res));
  assert.ok(err instanceof StorageError && err.code === 'TooOld', String(err));
});

test('a watch resumes after its etcd member restarts, losing and repeating nothing', async () => {
  const from = await backend.currentRevision();
  const seen: BackendEvent[] = [];
  const h = backend.watch('/t5/', from, (e) => seen.push(e), (err) => assert.fail(err));
  await backend.create('/t5/before', enc('b'));
  await until(() => seen.length === 1);
  await etcd.members[0]!.kill();
  await etcd.members[0]!.restart();
  for (let i = 0; i < 5; i++) {
    for (;;) {
      try {
        await backend.create(`/t5/after-${i}`, enc(String(i)));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  await until(() => seen.length >= 6, 20_000);
  h.cancel();
  assert.deepEqual(seen.map((e) => e.key), ['/t5/before', ...[0, 1, 2, 3, 4].map((i) => `/t5/after-${i}`)]);
});

test('object store and watch cache work unchanged on etcd', async () => {
  const store = new ObjectStore(backend, identityTransformer);
  const cache = new WatchCache(store, backend, '/t6/s/', 100);
  await cache.start();
  const from = await backend.currentRevision();
  const seen: CacheEvent[] = [];
  const unwatch = cache.watch(from, { send: (e) => (seen.push(e), true), stop() {} });
  const created = await store.create('/t6/s/ns/a', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'a' } });
  const upd = await store.guaranteedUpdate('/t6/s/ns/a', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { x: 'y' } } }));
  assert.equal(upd.changed, true);
  assert.ok(Number(upd.object.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion));
  await store.delete('/t6/s/ns/a');
  await until(() => seen.length === 3);
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  assert.equal(await cache.progressRevision(), seen[2]!.rev);
  unwatch();
  cache.stop();
});

test('a member that accepts connections and never answers: reads are sent again, later calls avoid it', async () => {
  const held: Socket[] = [];
  const hole = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
  const holeUrl = `http://127.0.0.1:${(hole.address() as { port: number }).port}`;
  const client = connectEtcd({ servers: [etcd.endpoints.split(',')[0]!, holeUrl] });
  const be = new EtcdBackend(client);
  try {
    const timed = async <T>(f: () => Promise<T>) => {
      const t0 = Date.now();
      await f();
      return Date.now() - t0;
    };
    const reads: number[] = [];
    for (let i = 0; i < 20; i++) reads.push(await timed(() => be.get('/hole/absent')));
    assert.ok(reads.every((ms) => ms < 4_000), `reads waited: ${reads.join(' ')}`);
    assert.deepEqual(client.health.members(), [
      { host: etcd.endpoints.split(',')[0], answering: true },
      { host: holeUrl, answering: false },
    ]);
    const writes: number[] = [];
    for (let i = 0; i < 10; i++) writes.push(await timed(() => be.create(`/hole/k${i}`, enc(String(i)))));
    assert.ok(writes.every((ms) => ms < 3_000), `writes waited: ${writes.join(' ')}`);
    assert.equal((await be.range('/hole/')).kvs.length, 10);
  } finally {
    await be.close();
    held.forEach((s) => s.destroy());
    hole.close();
  }
});
