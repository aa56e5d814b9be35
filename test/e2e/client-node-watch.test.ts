// @kubernetes/client-node 1.x against a real opaque server: Watch (ordering, resourceVersions,
// initial events, selector transitions, 410 for a too old revision, bookmarks, abort) and informers.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanup, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, clients, eventually, freshNamespace, k8s, rvNum, startWatch, unb64, type Clients, type WatchEvent } from './client-node-support.js';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const summary = (events: WatchEvent[]) => events.map((e) => [e.type, e.object?.metadata?.name]);

describe('client-node: Watch', () => {
  let o: Opaque;
  let c: Clients;
  before(async () => {
    o = await startOpaque();
    c = clients(o);
  });
  after(async () => {
    if (o) await cleanup(o);
  });

  it('resolves promptly and streams ADDED, MODIFIED, DELETED in order with increasing resourceVersions', async () => {
    const ns = await freshNamespace(c.core, 'w');
    const rv0 = (await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion!;
    const t0 = Date.now();
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0, allowWatchBookmarks: true }, 3000);
    assert.ok(Date.now() - t0 < 3000, 'Watch.watch resolved once headers arrived, before any event');
    assert.equal(w.events.length, 0, 'nothing before the first write');
    try {
      const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's1', labels: { a: '1' } }, stringData: { k: 'v1' } } });
      const updated = await c.core.patchNamespacedSecret({ name: 's1', namespace: ns, body: { stringData: { k: 'v2' } } }, merge);
      await c.core.deleteNamespacedSecret({ name: 's1', namespace: ns });

      await w.waitFor((ev) => ev.filter((e) => e.type !== 'BOOKMARK').length >= 3, 'three events');
      const events = w.data();
      assert.deepEqual(summary(events), [
        ['ADDED', 's1'],
        ['MODIFIED', 's1'],
        ['DELETED', 's1'],
      ]);
      for (const e of events) {
        assert.equal(e.object.kind, 'Secret', 'watch event objects carry kind');
        assert.equal(e.object.apiVersion, 'v1');
        assert.equal(e.object.metadata.namespace, ns);
        assert.equal(e.object.metadata.uid, created.metadata!.uid);
        assert.equal(e.object.stringData, undefined);
      }
      const [added, modified, deleted] = events as [WatchEvent, WatchEvent, WatchEvent];
      assert.equal(added.object.metadata.resourceVersion, created.metadata!.resourceVersion);
      assert.deepEqual(added.object.data, { k: b64('v1') });
      assert.equal(modified.object.metadata.resourceVersion, updated.metadata!.resourceVersion);
      assert.deepEqual(modified.object.data, { k: b64('v2') });
      assert.deepEqual(deleted.object.data, { k: b64('v2') }, 'DELETED carries the last state');
      const rvs = events.map((e) => rvNum(e.object.metadata.resourceVersion));
      assert.ok(rvNum(rv0) < rvs[0]! && rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `strictly increasing: ${rvs.join(' < ')}`);
      for (const b of w.events.filter((e) => e.type === 'BOOKMARK')) {
        assert.equal(b.object.kind, 'Secret');
        rvNum(b.object.metadata.resourceVersion);
      }
      assert.equal(w.isDone(), false, 'the watch stays open');
    } finally {
      w.controller.abort();
    }
  });

  it('a watch from an older resourceVersion replays what happened after it', async () => {
    const ns = await freshNamespace(c.core, 'wreplay');
    const rv0 = (await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion!;
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'a' } } });
    const b = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'b' } } });
    await c.core.patchNamespacedSecret({ name: 'a', namespace: ns, body: { metadata: { labels: { x: 'y' } } } }, merge);
    await c.core.deleteNamespacedSecret({ name: 'b', namespace: ns });
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0 });
    try {
      await w.waitFor((ev) => ev.length >= 4, 'four replayed events');
      assert.deepEqual(summary(w.data()), [
        ['ADDED', 'a'],
        ['ADDED', 'b'],
        ['MODIFIED', 'a'],
        ['DELETED', 'b'],
      ]);
      assert.equal(w.events[1]!.object.metadata.resourceVersion, b.metadata!.resourceVersion);
      // and from the middle: only later changes
      const w2 = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: b.metadata!.resourceVersion });
      try {
        await w2.waitFor((ev) => ev.length >= 2, 'two replayed events');
        assert.deepEqual(summary(w2.data()), [
          ['MODIFIED', 'a'],
          ['DELETED', 'b'],
        ]);
      } finally {
        w2.controller.abort();
      }
    } finally {
      w.controller.abort();
    }
  });

  it('a watch without resourceVersion starts with synthetic ADDED events for existing objects', async () => {
    const ns = await freshNamespace(c.core, 'winit');
    const existing = ['e1', 'e2', 'e3'];
    for (const name of existing) await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { n: name } } });
    const listRV = rvNum((await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion);
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, {});
    try {
      await w.waitFor((ev) => ev.filter((e) => e.type === 'ADDED').length >= 3, 'initial ADDED events');
      const initial = w.data();
      assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED']);
      assert.deepEqual(initial.map((e) => e.object.metadata.name).sort(), existing);
      for (const e of initial) {
        assert.equal(unb64(e.object.data.n), e.object.metadata.name);
        assert.ok(rvNum(e.object.metadata.resourceVersion) <= listRV);
      }
      const later = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'later' } } });
      await w.waitFor((ev) => ev.some((e) => e.object?.metadata?.name === 'later'), 'the live event');
      assert.deepEqual(summary(w.data()).slice(3), [['ADDED', 'later']]);
      assert.equal(w.data()[3]!.object.metadata.resourceVersion, later.metadata!.resourceVersion);
    } finally {
      w.controller.abort();
    }
  });

  it('sendInitialEvents=true ends the initial ADDED events with an initial-events-end BOOKMARK', async () => {
    const ns = await freshNamespace(c.core, 'wlist');
    for (const name of ['x1', 'x2']) await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name } } });
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, {
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
    });
    try {
      await w.waitFor((ev) => ev.some((e) => e.type === 'BOOKMARK'), 'the initial-events-end bookmark');
      const types = w.events.map((e) => e.type);
      assert.deepEqual(types, ['ADDED', 'ADDED', 'BOOKMARK']);
      const bm = w.events[2]!.object;
      assert.equal(bm.kind, 'Secret');
      assert.equal(bm.apiVersion, 'v1');
      assert.equal(bm.metadata.annotations['k8s.io/initial-events-end'], 'true');
      assert.ok(rvNum(bm.metadata.resourceVersion) >= rvNum(w.events[1]!.object.metadata.resourceVersion));
    } finally {
      w.controller.abort();
    }
  });

  it('with a labelSelector, an object that stops matching is DELETED and one that starts matching is ADDED', async () => {
    const ns = await freshNamespace(c.core, 'wsel');
    const rv0 = (await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion!;
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0, labelSelector: 'app=web', allowWatchBookmarks: true });
    try {
      await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'other', labels: { app: 'db' } } } });
      await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'web', labels: { app: 'web' } }, stringData: { k: 'v' } } });
      const stopped = await c.core.patchNamespacedSecret({ name: 'web', namespace: ns, body: { metadata: { labels: { app: 'api' } } } }, merge);
      await c.core.patchNamespacedSecret({ name: 'other', namespace: ns, body: { stringData: { z: 'z' } } }, merge);
      const started = await c.core.patchNamespacedSecret({ name: 'other', namespace: ns, body: { metadata: { labels: { app: 'web' } } } }, merge);
      await c.core.deleteNamespacedSecret({ name: 'web', namespace: ns });
      await c.core.deleteNamespacedSecret({ name: 'other', namespace: ns });

      await w.waitFor((ev) => ev.filter((e) => e.type !== 'BOOKMARK').length >= 4, 'four selector events');
      // give a stray event (there must be none) a moment to arrive
      await new Promise((r) => setTimeout(r, 300));
      const events = w.data();
      assert.deepEqual(summary(events), [
        ['ADDED', 'web'],
        ['DELETED', 'web'],
        ['ADDED', 'other'],
        ['DELETED', 'other'],
      ]);
      // kube sends the previous (still matching) state, stamped with the revision of the change
      assert.deepEqual(events[1]!.object.metadata.labels, { app: 'web' });
      assert.equal(events[1]!.object.metadata.resourceVersion, stopped.metadata!.resourceVersion);
      assert.equal(events[2]!.object.metadata.resourceVersion, started.metadata!.resourceVersion);
      assert.deepEqual(events[2]!.object.data, { z: b64('z') });
    } finally {
      w.controller.abort();
    }
  });

  it('a fieldSelector metadata.name watch sees only that object (kubectl delete --wait)', async () => {
    const ns = await freshNamespace(c.core, 'wfield');
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'target' } } });
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'bystander' } } });
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { fieldSelector: 'metadata.name=target' });
    try {
      await w.waitFor((ev) => ev.length >= 1, 'initial ADDED');
      await c.core.deleteNamespacedSecret({ name: 'bystander', namespace: ns });
      await c.core.deleteNamespacedSecret({ name: 'target', namespace: ns });
      await w.waitFor((ev) => ev.some((e) => e.type === 'DELETED'), 'DELETED');
      assert.deepEqual(summary(w.data()), [
        ['ADDED', 'target'],
        ['DELETED', 'target'],
      ]);
    } finally {
      w.controller.abort();
    }
  });

  it('a cluster-wide watch sees secrets from every namespace; a namespace watch sees the namespace lifecycle', async () => {
    const ns1 = await freshNamespace(c.core, 'wall');
    const ns2 = await freshNamespace(c.core, 'wall');
    const rv0 = (await c.core.listSecretForAllNamespaces({ limit: 1 })).metadata!.resourceVersion!;
    const all = await startWatch(c.kc, '/api/v1/secrets', { resourceVersion: rv0, fieldSelector: `metadata.name=wall-probe` });
    const nsWatch = await startWatch(c.kc, '/api/v1/namespaces', { resourceVersion: rv0, fieldSelector: `metadata.name=${ns2}` });
    try {
      await c.core.createNamespacedSecret({ namespace: ns1, body: { metadata: { name: 'wall-probe' } } });
      await c.core.createNamespacedSecret({ namespace: ns2, body: { metadata: { name: 'wall-probe' } } });
      await all.waitFor((ev) => ev.length >= 2, 'events from both namespaces');
      assert.deepEqual(
        all.data().map((e) => [e.type, e.object.metadata.namespace]),
        [
          ['ADDED', ns1],
          ['ADDED', ns2],
        ],
      );
      await c.core.deleteNamespace({ name: ns2 });
      await nsWatch.waitFor((ev) => ev.some((e) => e.type === 'DELETED'), 'namespace DELETED', 30_000);
      const nsEvents = nsWatch.data();
      assert.equal(nsEvents[0]!.type, 'MODIFIED');
      assert.equal(nsEvents[0]!.object.kind, 'Namespace');
      assert.equal(nsEvents[0]!.object.status.phase, 'Terminating');
      assert.ok(nsEvents[0]!.object.metadata.deletionTimestamp);
      assert.equal(nsEvents.at(-1)!.type, 'DELETED');
      // the namespace controller removed the secret in ns2 before the namespace went away
      await all.waitFor((ev) => ev.some((e) => e.type === 'DELETED'), 'secret DELETED by the namespace controller');
      const del = all.data().find((e) => e.type === 'DELETED')!;
      assert.equal(del.object.metadata.namespace, ns2);
      assert.ok(rvNum(del.object.metadata.resourceVersion) < rvNum(nsEvents.at(-1)!.object.metadata.resourceVersion));
    } finally {
      all.controller.abort();
      nsWatch.controller.abort();
    }
  });

  it('abort() ends the watch with onDone(AbortError) and later writes are not delivered', async () => {
    const ns = await freshNamespace(c.core, 'wabort');
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { allowWatchBookmarks: true });
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'before' } } });
    await w.waitFor((ev) => ev.length >= 1, 'first event');
    w.controller.abort();
    const err = (await Promise.race([w.done, new Promise((_, rej) => setTimeout(() => rej(new Error('onDone not called after abort()')), 5000))])) as Error;
    assert.ok(err, 'onDone receives an error');
    assert.equal(err.name, 'AbortError');
    const seen = w.events.length;
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'after' } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(w.events.length, seen);
  });

  it('an invalid watch request fails with onDone(error) carrying the HTTP status', async () => {
    const ns = await freshNamespace(c.core, 'wbad');
    let doneErr: any;
    const done = new Promise<void>((resolve) => {
      void new k8s.Watch(c.kc).watch(
        `/api/v1/namespaces/${ns}/secrets`,
        { labelSelector: 'app in (' },
        () => assert.fail('no events for a rejected watch'),
        (err: unknown) => {
          doneErr = err;
          resolve();
        },
      );
    });
    await done;
    assert.equal(doneErr?.statusCode, 400);
  });
});

describe('client-node: informer', () => {
  let o: Opaque;
  let c: Clients;
  before(async () => {
    o = await startOpaque();
    c = clients(o);
  });
  after(async () => {
    if (o) await cleanup(o);
  });

  it('makeInformer lists, then sees add/update/delete, and its cache ends with the right objects', async () => {
    const ns = await freshNamespace(c.core, 'inf');
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'pre' }, stringData: { k: '0' } } });
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'doomed' } } });
    const informer = k8s.makeInformer<k8s.V1Secret>(c.kc, `/api/v1/namespaces/${ns}/secrets`, () => c.core.listNamespacedSecret({ namespace: ns }));
    const log: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (s) => log.push(`add ${s.metadata!.name}`));
    informer.on('update', (s) => log.push(`update ${s.metadata!.name} ${unb64(s.data?.['k'])}`));
    informer.on('delete', (s) => log.push(`delete ${s.metadata!.name}`));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      assert.deepEqual([...log].sort(), ['add doomed', 'add pre'], 'the initial list is reported as adds');
      await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'new' }, stringData: { k: '1' } } });
      await c.core.patchNamespacedSecret({ name: 'pre', namespace: ns, body: { stringData: { k: '2' } } }, merge);
      const last = await c.core.patchNamespacedSecret({ name: 'new', namespace: ns, body: { stringData: { k: '3' } } }, merge);
      await c.core.deleteNamespacedSecret({ name: 'doomed', namespace: ns });
      await eventually(async () => log.length >= 6, `informer events (${log.join(', ')})`, 10_000, 50);
      assert.deepEqual(log.slice(2), ['add new', 'update pre 2', 'update new 3', 'delete doomed']);
      assert.deepEqual(errors, []);
      assert.deepEqual(informer.list(ns).map((s) => s.metadata!.name).sort(), ['new', 'pre']);
      const cached = informer.get('new', ns)!;
      assert.equal(cached.metadata!.resourceVersion, last.metadata!.resourceVersion);
      assert.equal(unb64(cached.data?.['k']), '3');
      assert.equal(informer.get('doomed', ns), undefined);
    } finally {
      await informer.stop();
    }
  });

  it('an informer with a labelSelector drops an object that stops matching', async () => {
    const ns = await freshNamespace(c.core, 'infsel');
    const sel = 'watched=yes';
    const informer = k8s.makeInformer<k8s.V1Secret>(
      c.kc,
      `/api/v1/namespaces/${ns}/secrets`,
      () => c.core.listNamespacedSecret({ namespace: ns, labelSelector: sel }),
      sel,
    );
    const log: string[] = [];
    informer.on('add', (s) => log.push(`add ${s.metadata!.name}`));
    informer.on('update', (s) => log.push(`update ${s.metadata!.name}`));
    informer.on('delete', (s) => log.push(`delete ${s.metadata!.name}`));
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'in', labels: { watched: 'yes' } } } });
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'out' } } });
    await informer.start();
    try {
      assert.deepEqual(log, ['add in']);
      await c.core.patchNamespacedSecret({ name: 'out', namespace: ns, body: { metadata: { labels: { watched: 'yes' } } } }, merge);
      await c.core.patchNamespacedSecret({ name: 'in', namespace: ns, body: { metadata: { labels: { watched: 'no' } } } }, merge);
      await eventually(async () => log.length >= 3, `informer events (${log.join(', ')})`, 10_000, 50);
      assert.deepEqual(log, ['add in', 'add out', 'delete in']);
      assert.deepEqual(informer.list(ns).map((s) => s.metadata!.name), ['out']);
    } finally {
      await informer.stop();
    }
  });
});

describe('client-node: watch cache window (tiny cache) and bookmarks', () => {
  let o: Opaque;
  let c: Clients;
  before(async () => {
    o = await startOpaque({ args: ['--watch-cache-size', '5'], env: { OPAQUE_BOOKMARK_INTERVAL_MS: '200' } });
    c = clients(o);
  });
  after(async () => {
    if (o) await cleanup(o);
  });

  it('a watch from a resourceVersion older than the cache gets an ERROR event with a 410 Expired Status', async () => {
    const ns = await freshNamespace(c.core, 'old');
    const rvs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `s${i}` } } });
      rvs.push(s.metadata!.resourceVersion!);
    }
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rvs[0], allowWatchBookmarks: true });
    const err = await Promise.race([w.done, new Promise((_, rej) => setTimeout(() => rej(new Error('the server did not end the expired watch')), 5000))]);
    assert.equal(err, null, 'the stream ends cleanly after the ERROR event');
    assert.deepEqual(w.events.map((e) => e.type), ['ERROR']);
    const status = w.events[0]!.object;
    assert.equal(status.kind, 'Status');
    assert.equal(status.apiVersion, 'v1');
    assert.equal(status.status, 'Failure');
    assert.equal(status.code, 410);
    assert.equal(status.reason, 'Expired');
    assert.match(status.message, new RegExp(`^too old resource version: ${rvs[0]} \\(\\d+\\)$`));

    // a recent revision inside the window still works
    const ok = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rvs[18] });
    try {
      await ok.waitFor((ev) => ev.length >= 1, 'the last create');
      assert.deepEqual(summary(ok.data()), [['ADDED', 's19']]);
    } finally {
      ok.controller.abort();
    }
  });

  it('an informer recovers from 410 by relisting', async () => {
    const ns = await freshNamespace(c.core, 'oldinf');
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'first' } } });
    let lists = 0;
    let stale = true;
    const informer = k8s.makeInformer<k8s.V1Secret>(c.kc, `/api/v1/namespaces/${ns}/secrets`, async () => {
      lists++;
      const list = await c.core.listNamespacedSecret({ namespace: ns });
      if (stale) {
        // Hand the informer an out-of-window revision: more than 5 writes happen before it watches.
        stale = false;
        for (let i = 0; i < 8; i++) await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `burst${i}` } } });
      }
      return list;
    });
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await eventually(async () => informer.list(ns).length === 9, 'the informer to relist after 410', 10_000, 50);
      assert.ok(lists >= 2, `relisted (${lists} lists)`);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  it('allowWatchBookmarks=true gets BOOKMARK events carrying only a resourceVersion; without it none arrive', async () => {
    const ns = await freshNamespace(c.core, 'bm');
    const rv0 = (await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion!;
    const withBm = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0, allowWatchBookmarks: true });
    const without = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0 });
    try {
      const s = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x' } } });
      // a write to another resource moves the store's revision past the last event
      await c.core.createNamespace({ body: { metadata: { generateName: 'bm-other-' } } });
      await withBm.waitFor((ev) => ev.some((e) => e.type === 'BOOKMARK'), 'a bookmark', 10_000);
      await without.waitFor((ev) => ev.length >= 1, 'the ADDED event');
      await new Promise((r) => setTimeout(r, 500));
      const bm = withBm.events.find((e) => e.type === 'BOOKMARK')!.object;
      assert.equal(bm.kind, 'Secret');
      assert.equal(bm.apiVersion, 'v1');
      assert.ok(rvNum(bm.metadata.resourceVersion) >= rvNum(s.metadata!.resourceVersion));
      assert.equal(bm.metadata.name, undefined);
      assert.equal(bm.data, undefined);
      assert.equal(withBm.events[0]!.type, 'ADDED');
      assert.deepEqual(
        without.events.map((e) => e.type),
        ['ADDED'],
        'no bookmarks unless asked for',
      );
      const rvs = withBm.events.map((e) => rvNum(e.object.metadata.resourceVersion));
      for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! >= rvs[i - 1]!, 'bookmarks never go back in time');
    } finally {
      withBm.controller.abort();
      without.controller.abort();
    }
  });

  it('a bookmark reports progress past events the watch filtered out (writes in other namespaces)', async () => {
    const ns = await freshNamespace(c.core, 'bmf');
    const rv0 = (await c.core.listNamespacedSecret({ namespace: ns })).metadata!.resourceVersion!;
    const w = await startWatch(c.kc, `/api/v1/namespaces/${ns}/secrets`, { resourceVersion: rv0, allowWatchBookmarks: true });
    try {
      // Only a secret in another namespace changes: this watch gets no event for it, and a bookmark is
      // how kube tells the client it may resume from a newer revision.
      const elsewhere = await c.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { generateName: 'bmf-' } } });
      await w.waitFor(
        (ev) => ev.some((e) => e.type === 'BOOKMARK' && rvNum(e.object.metadata.resourceVersion) >= rvNum(elsewhere.metadata!.resourceVersion)),
        `a bookmark at or after ${elsewhere.metadata!.resourceVersion}`,
        5_000,
      );
      assert.deepEqual(w.data(), []);
    } finally {
      w.controller.abort();
    }
  });
});
