// LIST and WATCH of a real `opaque server` over raw HTTPS: pagination (limit/continue, remaining
// items, snapshots, expiry after compaction), resourceVersion rules, selectors, Table output, and the
// watch stream (headers first, initial events with their bookmark, 410 as an ERROR event, Table
// events, timeouts). Expected behaviour is kube-apiserver's (storage/etcd3, cacher, handlers/get.go
// and watch.go, apimachinery meta/internalversion/validation).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { assertAlive, assertStatus, b64, create, createNamespace, openWatch, secret, secretsPath, sleep, TABLE_ACCEPT } from './api-lib.js';

let o: Opaque;
/** Compacts every second and keeps only 5 events per resource in its watch cache. */
let c: Opaque;

before(async () => {
  [o, c] = await Promise.all([startOpaque(), startOpaque({ args: ['--etcd-compaction-interval', '1s', '--watch-cache-size', '5'] })]);
});

after(async () => {
  await Promise.all([o && cleanup(o), c && cleanup(c)]);
});

const names = (list: any): string[] => list.items.map((i: any) => i.metadata.name);

describe('pagination', () => {
  test('limit/continue pages cover the list once, at the first page\'s revision, with remaining item counts', async () => {
    const ns = 'pages';
    await createNamespace(o, ns);
    for (const n of ['p0', 'p1', 'p2', 'p3', 'p4']) await create(o, ns, secret(n, { data: { k: b64(n) } }));

    const p1 = await http(o, 'GET', secretsPath(ns, undefined, 'limit=2'));
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(names(p1.json), ['p0', 'p1']);
    assert.ok(p1.json.metadata.continue, 'a continue token');
    const rv = p1.json.metadata.resourceVersion;

    // Changes after the first page are not seen by later pages: they read the same snapshot.
    await create(o, ns, secret('p25'));
    assert.equal((await http(o, 'DELETE', secretsPath(ns, 'p4'))).status, 200);

    const p2 = await http(o, 'GET', secretsPath(ns, undefined, `limit=2&continue=${encodeURIComponent(p1.json.metadata.continue)}`));
    assert.equal(p2.status, 200, p2.text);
    assert.deepEqual(names(p2.json), ['p2', 'p3']);
    assert.equal(p2.json.metadata.resourceVersion, rv);
    assert.ok(p2.json.metadata.continue);

    const p3 = await http(o, 'GET', secretsPath(ns, undefined, `limit=2&continue=${encodeURIComponent(p2.json.metadata.continue)}`));
    assert.equal(p3.status, 200, p3.text);
    assert.deepEqual(names(p3.json), ['p4'], 'the last page still has p4 (deleted after the snapshot) and not p25');
    assert.equal(p3.json.metadata.resourceVersion, rv);
    assert.equal(p3.json.metadata.continue, undefined, 'no continue on the last page');
    assert.equal(p3.json.metadata.remainingItemCount, undefined, 'no remainingItemCount on the last page');

    // A fresh list sees the changes.
    const now = await http(o, 'GET', secretsPath(ns));
    assert.deepEqual(names(now.json), ['p0', 'p1', 'p2', 'p25', 'p3']);

    // remainingItemCount: items after this page in the snapshot, set when there are no selectors.
    assert.equal(p1.json.metadata.remainingItemCount, 3, `page 1 metadata: ${JSON.stringify(p1.json.metadata)}`);
    assert.equal(p2.json.metadata.remainingItemCount, 1, `page 2 metadata: ${JSON.stringify(p2.json.metadata)}`);
  });

  test('with a label selector: pages hold only matches and no remainingItemCount', async () => {
    const ns = 'pages-sel';
    await createNamespace(o, ns);
    for (let i = 0; i < 6; i++) await create(o, ns, secret(`s${i}`, { metadata: { labels: { parity: i % 2 ? 'odd' : 'even' } } }));
    const seen: string[] = [];
    let cont = '';
    for (let page = 0; page < 10; page++) {
      const r = await http(o, 'GET', secretsPath(ns, undefined, `labelSelector=parity%3Deven&limit=1${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.metadata.remainingItemCount, undefined);
      seen.push(...names(r.json));
      cont = r.json.metadata.continue ?? '';
      if (!cont) break;
    }
    assert.deepEqual(seen, ['s0', 's2', 's4']);
  });

  test('an expired continue token: 410 Expired with kube\'s message and a token to continue inconsistently', async () => {
    const ns = 'expiry';
    await createNamespace(c, ns);
    for (const n of ['e0', 'e1', 'e2']) await create(c, ns, secret(n));
    const p1 = await http(c, 'GET', secretsPath(ns, undefined, 'limit=1'));
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(names(p1.json), ['e0']);
    const token = p1.json.metadata.continue;
    assert.ok(token);
    // Writes after the first page, then two compaction intervals and a margin.
    for (let i = 0; i < 5; i++) {
      const r = await http(c, 'PUT', secretsPath(ns, 'e1'), secret('e1', { data: { k: b64(String(i)) } }));
      assert.equal(r.status, 200, r.text);
    }
    await sleep(3200);
    const r = await http(c, 'GET', secretsPath(ns, undefined, `limit=1&continue=${encodeURIComponent(token)}`));
    const s = assertStatus(r, 410, 'Expired');
    // storage/etcd3/errors.go handleCompactedErrorForPaging: the message offers a new token (at
    // resourceVersion -1, "continue at the latest revision"), carried in the Status' metadata.
    assert.equal(s.message, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    assert.equal(r.json.details, undefined);
    assert.ok(typeof r.json.metadata?.continue === 'string' && r.json.metadata.continue, 'the Status carries a continue token');
    const rest = await http(c, 'GET', secretsPath(ns, undefined, `continue=${encodeURIComponent(r.json.metadata.continue)}`));
    assert.equal(rest.status, 200, rest.text);
    assert.deepEqual(names(rest.json), ['e1', 'e2']);
    assert.equal(rest.json.items[0].data.k, b64('4'), 'the remainder is read at the latest revision');
  });

  test('a list at an exact, compacted resourceVersion: 410 Expired', async () => {
    const ns = 'exact';
    await createNamespace(c, ns);
    const first = await create(c, ns, secret('x0'));
    for (let i = 0; i < 3; i++) await http(c, 'PUT', secretsPath(ns, 'x0'), secret('x0', { data: { k: b64(String(i)) } }));
    await sleep(3200);
    const r = await http(c, 'GET', secretsPath(ns, undefined, `resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`));
    assertStatus(r, 410, 'Expired');
  });
});

describe('resourceVersion rules', () => {
  test('resourceVersionMatch misuse is a 422 on ListOptions', async () => {
    const cases: Array<[string, Array<[string, string, string]>]> = [
      ['resourceVersionMatch=NotOlderThan', [['FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']]],
      ['resourceVersionMatch=Exact', [['FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']]],
      ['resourceVersion=1&resourceVersionMatch=Bogus', [['FieldValueNotSupported', 'resourceVersionMatch', 'Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""']]],
      ['resourceVersion=0&resourceVersionMatch=Exact', [['FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"']]],
      ['resourceVersion=1&resourceVersionMatch=Exact&continue=abc', [['FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden when continue is provided']]],
      // All problems are reported together.
      ['resourceVersionMatch=Bogus', [
        ['FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
        ['FieldValueNotSupported', 'resourceVersionMatch', 'Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""'],
      ]],
      ['sendInitialEvents=true', [['FieldValueForbidden', 'sendInitialEvents', 'Forbidden: sendInitialEvents is forbidden for list']]],
    ];
    const wrong: string[] = [];
    for (const [query, causes] of cases) {
      const r = await http(o, 'GET', secretsPath('default', undefined, query));
      const errs = causes.map(([, field, msg]) => `${field}: ${msg}`);
      const want = {
        message: `ListOptions.meta.k8s.io "" is invalid: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`,
        group: 'meta.k8s.io', kind: 'ListOptions',
        causes: causes.map(([reason, field, message]) => ({ reason, message, field })),
      };
      const got = r.status === 422 && r.json?.kind === 'Status'
        ? { message: r.json.message, group: r.json.details?.group, kind: r.json.details?.kind, causes: r.json.details?.causes }
        : { status: r.status, body: r.text.slice(0, 200) };
      if (r.status !== 422 || r.json.reason !== 'Invalid' || JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`?${query}\n    got  ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(wrong, [], `\n  ${wrong.join('\n  ')}`);
  });

  test('a resourceVersion far in the future: 504 Timeout "Too large resource version" after about 3 s (list and get)', async () => {
    await create(o, 'default', secret('future'));
    const t0 = Date.now();
    const [list, get] = await Promise.all([
      http(o, 'GET', secretsPath('default', undefined, 'resourceVersion=999999999')),
      http(o, 'GET', secretsPath('default', 'future', 'resourceVersion=999999999')),
    ]);
    const took = Date.now() - t0;
    assert.ok(took >= 2500 && took < 15000, `answered after ${took} ms`);
    for (const r of [list, get]) {
      const s = assertStatus(r, 504, 'Timeout');
      // storage.NewTooLargeResourceVersionError → errors.NewTimeoutError, which prefixes "Timeout: ".
      assert.match(s.message, /^Timeout: Too large resource version: 999999999, current: \d+$/);
      assert.deepEqual(s.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
  });
});

describe('selectors', () => {
  test('a label selector that does not parse: 400 BadRequest', async () => {
    for (const sel of ['a in (b', 'a=b=c', '!', 'a,,b', 'a notin b']) {
      const r = await http(o, 'GET', secretsPath('default', undefined, `labelSelector=${encodeURIComponent(sel)}`));
      const s = assertStatus(r, 400, 'BadRequest');
      assert.ok(s.message.length > 0);
    }
    const r = await http(o, 'GET', secretsPath('default', undefined, `labelSelector=${encodeURIComponent('a in (b')}`));
    assert.match(r.json.message, /unable to parse requirement/);
  });

  test('an unsupported field selector: 400 "field label not supported"', async () => {
    for (const [sel, label] of [['data=x', 'data'], ['metadata.uid=1', 'metadata.uid'], ['spec.foo!=bar', 'spec.foo']]) {
      const r = await http(o, 'GET', secretsPath('default', undefined, `fieldSelector=${encodeURIComponent(sel)}`));
      assertStatus(r, 400, 'BadRequest', `field label not supported: ${label}`);
      const w = await http(o, 'GET', secretsPath('default', undefined, `watch=true&timeoutSeconds=1&fieldSelector=${encodeURIComponent(sel)}`));
      assertStatus(w, 400, 'BadRequest', `field label not supported: ${label}`);
    }
  });

  test('supported field selectors filter: type, metadata.name, metadata.namespace', async () => {
    const ns = 'fields';
    await createNamespace(o, ns);
    await create(o, ns, secret('f-opaque'));
    await create(o, ns, secret('f-custom', { type: 'example.com/custom' }));
    const byType = await http(o, 'GET', secretsPath(ns, undefined, 'fieldSelector=type%3Dexample.com%2Fcustom'));
    assert.deepEqual(names(byType.json), ['f-custom']);
    const notType = await http(o, 'GET', secretsPath(ns, undefined, 'fieldSelector=type!%3Dexample.com%2Fcustom'));
    assert.deepEqual(names(notType.json), ['f-opaque']);
    const byName = await http(o, 'GET', `/api/v1/secrets?fieldSelector=metadata.name%3Df-opaque,metadata.namespace%3D${ns}`);
    assert.deepEqual(names(byName.json), ['f-opaque']);
  });
});

describe('Table output', () => {
  test('lists as a meta.k8s.io/v1 Table: Name/Type/Data/Age columns, PartialObjectMetadata rows', async () => {
    const ns = 'tables';
    await createNamespace(o, ns);
    await create(o, ns, secret('t1', { data: { a: b64('1'), b: b64('2') }, stringData: { c: '3' } }));
    await create(o, ns, secret('t2', { type: 'kubernetes.io/basic-auth', data: { username: b64('u') } }));
    const r = await http(o, 'GET', secretsPath(ns), undefined, { accept: `${TABLE_ACCEPT},application/json` });
    assert.equal(r.status, 200, r.text);
    const t = r.json;
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.match(t.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(t.columnDefinitions.map((d: any) => [d.name, d.type, d.format, d.priority]), [
      ['Name', 'string', 'name', 0], ['Type', 'string', '', 0], ['Data', 'string', '', 0], ['Age', 'string', '', 0],
    ]);
    for (const d of t.columnDefinitions) assert.equal(typeof d.description, 'string');
    assert.equal(t.rows.length, 2);
    const [r1, r2] = t.rows;
    assert.deepEqual(r1.cells.slice(0, 3), ['t1', 'Opaque', 3]);
    assert.deepEqual(r2.cells.slice(0, 3), ['t2', 'kubernetes.io/basic-auth', 1]);
    for (const row of t.rows) {
      assert.match(row.cells[3], /^\d+s$/);
      assert.equal(row.object.kind, 'PartialObjectMetadata');
      assert.equal(row.object.apiVersion, 'meta.k8s.io/v1');
      assert.equal(row.object.metadata.namespace, ns);
      assert.match(row.object.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.ok(row.object.metadata.resourceVersion);
      assert.equal(row.object.data, undefined, 'no secret data in metadata rows');
    }
  });

  test('includeObject=Object puts full objects in rows, None none; a single GET is a one-row Table; pages carry continue', async () => {
    const ns = 'tables';
    const full = await http(o, 'GET', secretsPath(ns, undefined, 'includeObject=Object'), undefined, { accept: TABLE_ACCEPT });
    assert.equal(full.status, 200, full.text);
    const obj = full.json.rows[0].object;
    assert.equal(obj.kind, 'Secret');
    assert.equal(obj.apiVersion, 'v1');
    assert.deepEqual(obj.data, { a: b64('1'), b: b64('2'), c: b64('3') });
    const none = await http(o, 'GET', secretsPath(ns, undefined, 'includeObject=None'), undefined, { accept: TABLE_ACCEPT });
    assert.equal(none.json.rows[0].object, undefined);
    const one = await http(o, 'GET', secretsPath(ns, 't2'), undefined, { accept: TABLE_ACCEPT });
    assert.equal(one.json.kind, 'Table');
    assert.equal(one.json.rows.length, 1);
    assert.equal(one.json.rows[0].cells[0], 't2');
    const page = await http(o, 'GET', secretsPath(ns, undefined, 'limit=1'), undefined, { accept: TABLE_ACCEPT });
    assert.equal(page.json.rows.length, 1);
    assert.ok(page.json.metadata.continue);
    const page2 = await http(o, 'GET', secretsPath(ns, undefined, `limit=1&continue=${encodeURIComponent(page.json.metadata.continue)}`), undefined, { accept: TABLE_ACCEPT });
    assert.equal(page2.json.rows[0].cells[0], 't2');
  });
});

describe('watch', () => {
  test('headers arrive before any event; events after the given resourceVersion follow', async () => {
    const ns = 'watch-rv';
    await createNamespace(o, ns);
    const base = await create(o, ns, secret('w0', { data: { k: b64('0') } }));
    const list = await http(o, 'GET', secretsPath(ns));
    const w = await openWatch(o, secretsPath(ns, undefined, `watch=true&resourceVersion=${list.json.metadata.resourceVersion}`));
    try {
      assert.equal(w.status, 200);
      assert.match(String(w.headers['content-type']), /^application\/json/);
      assert.ok(w.headersAfterMs < 2000, `headers after ${w.headersAfterMs} ms`);
      await assert.rejects(w.next(500), /no watch event/, 'nothing happened after that revision');
      const upd = await http(o, 'PUT', secretsPath(ns, 'w0'), { ...base, data: { k: b64('1') } });
      await create(o, ns, secret('w1'));
      await http(o, 'DELETE', secretsPath(ns, 'w1'));
      const evs = await w.take(3);
      assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'w0'], ['ADDED', 'w1'], ['DELETED', 'w1']]);
      for (const e of evs) {
        assert.equal(e.object.kind, 'Secret');
        assert.equal(e.object.apiVersion, 'v1');
      }
      assert.equal(evs[0]!.object.metadata.resourceVersion, upd.json.metadata.resourceVersion);
      assert.ok(Number(evs[2]!.object.metadata.resourceVersion) > Number(evs[1]!.object.metadata.resourceVersion), 'DELETED carries the deletion revision');
    } finally {
      w.close();
    }
  });

  test('sendInitialEvents: ADDED for existing objects, then a BOOKMARK marking the end of initial events', async () => {
    const ns = 'watch-init';
    await createNamespace(o, ns);
    for (const n of ['i0', 'i1', 'i2']) await create(o, ns, secret(n));
    const list = await http(o, 'GET', secretsPath(ns));
    const w = await openWatch(o, secretsPath(ns, undefined, 'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'));
    try {
      assert.equal(w.status, 200);
      const initial = await w.take(3);
      assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED']);
      assert.deepEqual(initial.map((e) => e.object.metadata.name).sort(), ['i0', 'i1', 'i2']);
      for (const e of initial) {
        assert.equal(e.object.kind, 'Secret');
        assert.equal(e.object.apiVersion, 'v1');
      }
      const bm = await w.next();
      assert.equal(bm?.type, 'BOOKMARK', JSON.stringify(bm));
      assert.equal(bm!.object.kind, 'Secret');
      assert.equal(bm!.object.apiVersion, 'v1');
      assert.deepEqual(bm!.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.ok(Number(bm!.object.metadata.resourceVersion) >= Number(list.json.metadata.resourceVersion));
      await create(o, ns, secret('i3'));
      const next = await w.next();
      assert.equal(next?.type, 'ADDED');
      assert.equal(next!.object.metadata.name, 'i3');
    } finally {
      w.close();
    }
  });

  test('watch parameter validation: resourceVersionMatch needs sendInitialEvents, which needs bookmarks', async () => {
    const a = await http(o, 'GET', secretsPath('default', undefined, 'watch=true&resourceVersion=0&resourceVersionMatch=NotOlderThan'));
    const s = assertStatus(a, 422, 'Invalid');
    assert.equal(s.details.kind, 'ListOptions');
    const b = await http(o, 'GET', secretsPath('default', undefined, 'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan'));
    const s2 = assertStatus(b, 422, 'Invalid');
    assert.ok(s2.details.causes.some((x: any) => x.field === 'allowWatchBookmarks'), b.text);
  });

  test('a watch from a resourceVersion older than the watch cache: 200, then one ERROR event with a 410 Expired Status', async () => {
    const ns = 'watch-old';
    await createNamespace(c, ns);
    const first = await create(c, ns, secret('o0'));
    for (let i = 0; i < 12; i++) await http(c, 'PUT', secretsPath(ns, 'o0'), secret('o0', { data: { k: b64(String(i)) } }));
    const w = await openWatch(c, secretsPath(ns, undefined, `watch=true&resourceVersion=${first.metadata.resourceVersion}`));
    try {
      assert.equal(w.status, 200);
      const e = await w.next();
      assert.equal(e?.type, 'ERROR', JSON.stringify(e));
      const st = e!.object;
      assert.equal(st.kind, 'Status');
      assert.equal(st.apiVersion, 'v1');
      assert.equal(st.status, 'Failure');
      assert.equal(st.code, 410);
      assert.equal(st.reason, 'Expired');
      assert.match(st.message, /^too old resource version: \d+ \(\d+\)$/);
      assert.equal(st.message.split(' ')[4], String(first.metadata.resourceVersion));
      await Promise.race([w.ended, sleep(3000).then(() => assert.fail('the stream must end after the ERROR event'))]);
      assert.equal(await w.next(100), undefined, 'nothing after the ERROR event');
    } finally {
      w.close();
    }
  });

  test('Table watch: each event is a one-row Table, column definitions only on the first', async () => {
    const ns = 'watch-table';
    await createNamespace(o, ns);
    const list = await http(o, 'GET', secretsPath(ns));
    const w = await openWatch(o, secretsPath(ns, undefined, `watch=true&resourceVersion=${list.json.metadata.resourceVersion}`), {
      accept: `${TABLE_ACCEPT},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`,
    });
    try {
      await create(o, ns, secret('tw1', { data: { a: b64('1') } }));
      await create(o, ns, secret('tw2'));
      const [e1, e2] = await w.take(2);
      for (const [e, name, count] of [[e1, 'tw1', 1], [e2, 'tw2', 0]] as const) {
        assert.equal(e?.type, 'ADDED');
        assert.equal(e!.object.kind, 'Table');
        assert.equal(e!.object.apiVersion, 'meta.k8s.io/v1');
        assert.equal(e!.object.rows.length, 1);
        assert.deepEqual(e!.object.rows[0].cells.slice(0, 3), [name, 'Opaque', count]);
        assert.equal(e!.object.rows[0].object.kind, 'PartialObjectMetadata');
      }
      assert.deepEqual(e1!.object.columnDefinitions.map((d: any) => d.name), ['Name', 'Type', 'Data', 'Age']);
      assert.ok(!e2!.object.columnDefinitions?.length, 'later events carry no column definitions');
    } finally {
      w.close();
    }
  });

  test('timeoutSeconds=1 ends the stream cleanly', async () => {
    const list = await http(o, 'GET', secretsPath('default'));
    const t0 = Date.now();
    const w = await openWatch(o, secretsPath('default', undefined, `watch=true&timeoutSeconds=1&resourceVersion=${list.json.metadata.resourceVersion}`));
    try {
      assert.equal(w.status, 200);
      await Promise.race([w.ended, sleep(5000).then(() => assert.fail('the stream did not end'))]);
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 4000, `ended after ${took} ms`);
      assert.equal(w.body(), '', 'no events');
    } finally {
      w.close();
    }
    await assertAlive(o);
    await assertAlive(c);
  });
});
