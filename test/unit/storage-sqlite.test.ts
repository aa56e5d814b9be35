// The SQLite engine keeps etcd's contract: one global revision, CAS on mod revision, snapshot reads
// at a past revision until compaction, and a watch cache that answers too-old revisions with TooOld.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { StorageError } from '../../src/storage/backend.js';
import { SqliteBackend } from '../../src/storage/sqlite/backend.js';
import { NO_CHANGE, ObjectStore } from '../../src/storage/store.js';
import { identityTransformer } from '../../src/storage/transformer.js';
import { WatchCache, type CacheEvent } from '../../src/storage/watch-cache.js';
import { tempDir } from '../helpers/opaque.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function fresh() {
  const dir = tempDir('sqlite');
  const backend = new SqliteBackend(`${dir}/t.db`);
  return { dir, backend, done: async () => { await backend.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('revisions are global and monotonic across keys, creates and deletes', async () => {
  const { backend, done } = fresh();
  const a = await backend.create('/r/s/ns/a', enc('1'));
  const b = await backend.create('/r/s/ns/b', enc('2'));
  assert.ok(a.ok && b.ok);
  assert.equal(b.rev, a.rev + 1);
  const kv = await backend.get('/r/s/ns/a');
  const del = await backend.delete('/r/s/ns/a', kv!.modRev);
  assert.ok(del.ok);
  assert.equal(del.rev, b.rev + 1);
  assert.equal(await backend.currentRevision(), del.rev);
  assert.equal(await backend.get('/r/s/ns/a'), undefined);
  await done();
});

test('create fails on an existing key; update and delete fail on a stale mod revision', async () => {
  const { backend, done } = fresh();
  const c = await backend.create('/k', enc('v1'));
  assert.ok(c.ok);
  assert.equal((await backend.create('/k', enc('x'))).ok, false);
  const u = await backend.update('/k', enc('v2'), c.rev);
  assert.ok(u.ok);
  const stale = await backend.update('/k', enc('v3'), c.rev);
  assert.equal(stale.ok, false);
  assert.equal(dec((stale as { current: { value: Uint8Array } }).current.value), 'v2');
  assert.equal((await backend.delete('/k', c.rev)).ok, false);
  await done();
});

test('range reads a consistent snapshot at a past revision, pages with startAfter, and hides tombstones', async () => {
  const { backend, done } = fresh();
  for (const n of ['a', 'b', 'c', 'd']) await backend.create(`/p/${n}`, enc(n));
  await backend.create('/q/x', enc('other prefix'));
  const snap = await backend.currentRevision();
  const b = await backend.get('/p/b');
  await backend.update('/p/b', enc('b2'), b!.modRev);
  await backend.delete('/p/c', (await backend.get('/p/c'))!.modRev);
  const latest = await backend.range('/p/');
  assert.deepEqual(latest.kvs.map((k) => dec(k.value)), ['a', 'b2', 'd']);
  const old = await backend.range('/p/', { rev: snap });
  assert.deepEqual(old.kvs.map((k) => dec(k.value)), ['a', 'b', 'c', 'd']);
  const page1 = await backend.range('/p/', { rev: snap, limit: 2 });
  assert.deepEqual(page1.kvs.map((k) => k.key), ['/p/a', '/p/b']);
  assert.equal(page1.more, true);
  const page2 = await backend.range('/p/', { rev: snap, limit: 2, startAfter: '/p/b' });
  assert.deepEqual(page2.kvs.map((k) => k.key), ['/p/c', '/p/d']);
  assert.equal(page2.more, false);
  assert.equal(await backend.count('/p/'), 3);
  await done();
});

test('compaction removes superseded revisions: reads at them fail with TooOld, latest state is intact', async () => {
  const { backend, done } = fresh();
  const c = await backend.create('/p/a', enc('1'));
  assert.ok(c.ok);
  await backend.update('/p/a', enc('2'), c.rev);
  await backend.create('/p/gone', enc('x'));
  await backend.delete('/p/gone', (await backend.get('/p/gone'))!.modRev);
  const now = await backend.currentRevision();
  await backend.compact(now);
  await assert.rejects(backend.range('/p/', { rev: c.rev }), (e: unknown) => e instanceof StorageError && e.code === 'TooOld');
  assert.deepEqual((await backend.range('/p/')).kvs.map((k) => dec(k.value)), ['2']);
  await done();
});

test('a second engine on the same file is refused while the first holds it', async () => {
  const { dir, backend, done } = fresh();
  assert.throws(() => new SqliteBackend(`${dir}/t.db`), /in use by another opaque server/);
  await done();
});

test('guaranteedUpdate keeps the resourceVersion when nothing changes and retries on conflict', async () => {
  const { backend, done } = fresh();
  const store = new ObjectStore(backend, identityTransformer);
  const created = await store.create('/o/a', { kind: 'Secret', metadata: { name: 'a' }, data: { k: 'dg==' } });
  const rv = created.metadata!.resourceVersion;
  const same = await store.guaranteedUpdate('/o/a', (cur) => cur);
  assert.equal(same.changed, false);
  assert.equal(same.object.metadata!.resourceVersion, rv);
  assert.equal((await store.guaranteedUpdate('/o/a', () => NO_CHANGE)).changed, false);
  let calls = 0;
  const res = await store.guaranteedUpdate('/o/a', async (cur) => {
    calls++;
    if (calls === 1) {
      // Another writer gets in between our read and our write.
      await store.guaranteedUpdate('/o/a', (c) => ({ ...c, data: { k: 'b3RoZXI=' } }));
    }
    return { ...cur, metadata: { ...cur.metadata, labels: { x: 'y' } } };
  });
  assert.equal(calls, 2);
  assert.deepEqual(res.object.data, { k: 'b3RoZXI=' });
  assert.deepEqual(res.object.metadata!.labels, { x: 'y' });
  await done();
});

test('watch cache replays from a revision inside its window and answers TooOld below it', async () => {
  const { backend, done } = fresh();
  const store = new ObjectStore(backend, identityTransformer);
  await store.create('/s/ns/before', { metadata: { name: 'before' } });
  const cache = new WatchCache(store, backend, '/s/', 3);
  await cache.start();
  const start = await backend.currentRevision();
  for (let i = 0; i < 5; i++) await store.create(`/s/ns/o${i}`, { metadata: { name: `o${i}` } });
  await cache.settled();
  assert.throws(() => cache.watch(start, { send: () => true, stop() {} }), (e: unknown) => e instanceof StorageError && e.code === 'TooOld' && /too old resource version/.test(e.message));
  const seen: CacheEvent[] = [];
  const unwatch = cache.watch(start + 2, { send: (e) => (seen.push(e), true), stop() {} });
  assert.deepEqual(seen.map((e) => e.object.metadata!.name), ['o2', 'o3', 'o4']);
  await store.delete('/s/ns/o4');
  await cache.settled();
  assert.equal(seen.at(-1)!.type, 'DELETED');
  assert.equal(seen.at(-1)!.object.metadata!.name, 'o4');
  unwatch();
  cache.stop();
  await done();
});

test('a watch registered while an older event is still being decoded does not receive it', async () => {
  const { backend, done } = fresh();
  const store = new ObjectStore(backend, identityTransformer);
  const cache = new WatchCache(store, backend, '/s/', 100);
  await cache.start();
  await store.create('/s/ns/early', { metadata: { name: 'early' } });
  // The create's event may still be queued for decoding: a watch from the current revision has
  // already seen that object (in the list it started from) and must not get it again.
  const from = await backend.currentRevision();
  const seen: CacheEvent[] = [];
  const unwatch = cache.watch(from, { send: (e) => (seen.push(e), true), stop() {} });
  await store.create('/s/ns/late', { metadata: { name: 'late' } });
  await cache.settled();
  assert.deepEqual(seen.map((e) => e.object.metadata!.name), ['late']);
  unwatch();
  cache.stop();
  await done();
});

test('a lost engine watch restarts the cache: watchers are ended, older revisions answer TooOld, new events flow', async () => {
  const { backend, done } = fresh();
  // The real engine, with a handle on the error callback its watch was given (as etcd calls it
  // when the watch's start revision was compacted while this server was cut off).
  let fail: ((err: Error) => void) | undefined;
  const watch = backend.watch.bind(backend);
  backend.watch = (...args: Parameters<typeof watch>) => {
    fail = args[3];
    return watch(...args);
  };
  const store = new ObjectStore(backend, identityTransformer);
  const cache = new WatchCache(store, backend, '/s/', 100);
  await cache.start();
  const before = await backend.currentRevision();
  let stopped = '';
  cache.watch(before, { send: () => true, stop: (why) => (stopped = why) });
  await store.create('/s/ns/during', { metadata: { name: 'during' } });
  fail!(new StorageError('TooOld', 'watch from revision 1 is older than the compacted revision 5'));
  assert.match(stopped, /watch restarted: watch from revision 1 is older/);
  await cache.settled();
  assert.throws(() => cache.watch(before, { send: () => true, stop() {} }), (e: unknown) => e instanceof StorageError && e.code === 'TooOld');
  const now = await backend.currentRevision();
  const seen: CacheEvent[] = [];
  cache.watch(now, { send: (e) => (seen.push(e), true), stop() {} });
  await store.create('/s/ns/after', { metadata: { name: 'after' } });
  await cache.settled();
  assert.deepEqual(seen.map((e) => e.object.metadata!.name), ['after']);
  cache.stop();
  await done();
});
