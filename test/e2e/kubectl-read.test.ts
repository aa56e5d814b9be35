// kubectl get / describe / explain / get -w against a real Opaque server: tables, output formats,
// selectors, sorting, errors, and live watch events.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { b64, ok, parseJsonStream, startSuite, startWatcher, tableRows, type Suite } from './kubectl-common.js';

describe('kubectl get, describe and explain', { timeout: 120_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('read');
    // Fixtures shared by the read-only tests below (none of them modifies these).
    ok(await s.k(['create', 'secret', 'generic', 'db', '--from-literal=username=admin', '--from-literal=password=S3cr3t']));
    ok(await s.k(['create', 'namespace', 'sel']));
    for (const [name, tier, keys] of [['a-web', 'web', 1], ['b-db', 'db', 2], ['c-cache', 'cache', 3]] as const) {
      const lits = Array.from({ length: keys }, (_, i) => `--from-literal=k${i}=v${i}`);
      ok(await s.k(['create', 'secret', 'generic', name, '-n', 'sel', ...lits]));
      ok(await s.k(['label', 'secret', name, '-n', 'sel', `tier=${tier}`]));
    }
    ok(await s.k(['create', 'secret', 'generic', 'unlabelled', '-n', 'sel', '--from-literal=x=y']));
    ok(await s.k(['create', 'secret', 'generic', 'tls-like', '-n', 'sel', '--type=kubernetes.io/tls', '--from-literal=tls.crt=c', '--from-literal=tls.key=k']));
    ok(await s.k(['create', 'namespace', 'other']));
    ok(await s.k(['create', 'secret', 'generic', 'elsewhere', '-n', 'other', '--from-literal=a=b']));
  });
  after(async () => {
    await s?.stop();
  });

  it('get secrets prints the NAME TYPE DATA AGE table', async () => {
    const r = await s.k(['get', 'secrets']);
    ok(r);
    assert.equal(r.stderr, '');
    const rows = tableRows(r.stdout);
    assert.deepEqual(rows[0], ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.equal(rows.length, 2, r.stdout);
    const [name, type, data, age] = rows[1]!;
    assert.deepEqual([name, type, data], ['db', 'Opaque', '2']);
    assert.match(age!, /^\d+s$/, 'a fresh secret is seconds old');
    // kubectl aligns columns: the header and row share the same column starts
    const lines = r.stdout.split('\n');
    assert.equal(lines[0]!.indexOf('TYPE'), lines[1]!.indexOf('Opaque'));
  });

  it('get secret -o yaml prints the full object without managedFields', async () => {
    const r = await s.k(['get', 'secret', 'db', '-o', 'yaml']);
    ok(r);
    assert.match(r.stdout, /^apiVersion: v1\ndata:\n  password: UzNjcjN0\n  username: YWRtaW4=\nkind: Secret\nmetadata:\n/);
    assert.match(r.stdout, /\n  name: db\n/);
    assert.match(r.stdout, /\n  namespace: default\n/);
    assert.match(r.stdout, /\n  resourceVersion: "\d+"\n/);
    assert.match(r.stdout, /\ntype: Opaque\n$/);
    assert.doesNotMatch(r.stdout, /managedFields/);
  });

  it('get secret -o json prints the object, and --show-managed-fields adds the create manager', async () => {
    const r = await s.k(['get', 'secret', 'db', '-o', 'json']);
    ok(r);
    const obj = JSON.parse(r.stdout);
    assert.equal(obj.kind, 'Secret');
    assert.deepEqual(obj.data, { password: 'UzNjcjN0', username: 'YWRtaW4=' });
    assert.equal(obj.metadata.managedFields, undefined);
    const mf = JSON.parse((await s.k(['get', 'secret', 'db', '-o', 'json', '--show-managed-fields'])).stdout).metadata.managedFields;
    assert.ok(Array.isArray(mf));
    assert.equal(mf[0].manager, 'kubectl-create');
    assert.equal(mf[0].operation, 'Update');
  });

  it("get -o jsonpath='{.data.password}' prints the base64 value only", async () => {
    const r = await s.k(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    ok(r);
    assert.equal(r.stdout, 'UzNjcjN0');
    assert.equal(Buffer.from(r.stdout, 'base64').toString(), 'S3cr3t');
  });

  it('get secrets -A adds a NAMESPACE column and lists every namespace', async () => {
    const r = await s.k(['get', 'secrets', '-A']);
    ok(r);
    const rows = tableRows(r.stdout);
    assert.deepEqual(rows[0], ['NAMESPACE', 'NAME', 'TYPE', 'DATA', 'AGE']);
    const pairs = rows.slice(1).map((row) => `${row[0]}/${row[1]}`);
    for (const p of ['default/db', 'sel/a-web', 'sel/b-db', 'sel/c-cache', 'other/elsewhere']) assert.ok(pairs.includes(p), `${p} in ${pairs}`);
    const web = rows.find((row) => row[1] === 'a-web')!;
    assert.deepEqual(web.slice(0, 4), ['sel', 'a-web', 'Opaque', '1']);
  });

  it('get -l tier=web filters by label equality', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier=web', '-o', 'name']);
    ok(r);
    assert.equal(r.stdout, 'secret/a-web\n');
  });

  it("get -l 'tier in (web,db)' filters with a set-based selector", async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier in (web,db)']);
    ok(r);
    const rows = tableRows(r.stdout);
    assert.deepEqual(rows[0], ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(rows.slice(1).map((row) => row.slice(0, 3)), [['a-web', 'Opaque', '1'], ['b-db', 'Opaque', '2']]);
  });

  it("get -l 'tier notin (web,db)' and '!tier' include secrets without the label", async () => {
    const notin = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier notin (web,db)', '-o', 'name']);
    ok(notin);
    assert.equal(notin.stdout, 'secret/c-cache\nsecret/tls-like\nsecret/unlabelled\n');
    const absent = await s.k(['get', 'secrets', '-n', 'sel', '-l', '!tier', '-o', 'name']);
    ok(absent);
    assert.equal(absent.stdout, 'secret/tls-like\nsecret/unlabelled\n');
  });

  it('get -l with no match prints `No resources found in <ns> namespace.`', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier=nothing']);
    ok(r);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No resources found in sel namespace.\n');
  });

  it('get --field-selector type=kubernetes.io/tls returns only TLS secrets', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '--field-selector', 'type=kubernetes.io/tls']);
    ok(r);
    const rows = tableRows(r.stdout);
    assert.equal(rows.length, 2, r.stdout);
    assert.deepEqual(rows[1]!.slice(0, 3), ['tls-like', 'kubernetes.io/tls', '2']);
  });

  it('get --field-selector metadata.name=... returns that secret only', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '--field-selector', 'metadata.name=b-db', '-o', 'name']);
    ok(r);
    assert.equal(r.stdout, 'secret/b-db\n');
    const neg = await s.k(['get', 'secrets', '-n', 'sel', '--field-selector', 'metadata.name!=b-db,type=Opaque', '-o', 'name']);
    ok(neg);
    assert.equal(neg.stdout, 'secret/a-web\nsecret/c-cache\nsecret/unlabelled\n');
  });

  it('get --field-selector on an unsupported field is a BadRequest', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '--field-selector', 'data.x=y']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error from server \(BadRequest\): .*field label not supported: data\.x\n$/);
  });

  it('get --show-labels adds a LABELS column', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '--show-labels']);
    ok(r);
    const rows = tableRows(r.stdout);
    assert.deepEqual(rows[0], ['NAME', 'TYPE', 'DATA', 'AGE', 'LABELS']);
    const byName = Object.fromEntries(rows.slice(1).map((row) => [row[0], row[4]]));
    assert.deepEqual(byName, { 'a-web': 'tier=web', 'b-db': 'tier=db', 'c-cache': 'tier=cache', 'tls-like': '<none>', unlabelled: '<none>' });
  });

  it('get --sort-by orders rows by the given field', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier', '--sort-by=.metadata.labels.tier']);
    ok(r);
    const names = tableRows(r.stdout).slice(1).map((row) => row[0]);
    assert.deepEqual(names, ['c-cache', 'b-db', 'a-web']);
    const byName = await s.k(['get', 'secrets', '-n', 'sel', '-l', 'tier', '--sort-by={.metadata.name}', '-o', 'name']);
    ok(byName);
    assert.equal(byName.stdout, 'secret/a-web\nsecret/b-db\nsecret/c-cache\n');
  });

  it('get -o name prints kind/name lines', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'sel', '-o', 'name']);
    ok(r);
    assert.equal(r.stdout, 'secret/a-web\nsecret/b-db\nsecret/c-cache\nsecret/tls-like\nsecret/unlabelled\n');
  });

  it('get in an empty namespace prints `No resources found in <ns> namespace.`', async () => {
    const r = await s.k(['get', 'secrets', '-n', 'kube-public']);
    ok(r);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No resources found in kube-public namespace.\n');
  });

  it('get secret nosuch fails with the NotFound text', async () => {
    const r = await s.k(['get', 'secret', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Error from server (NotFound): secrets "nosuch" not found\n');
  });

  it('get secret db nosuch prints the found row and the NotFound error', async () => {
    const r = await s.k(['get', 'secret', 'db', 'nosuch']);
    assert.equal(r.code, 1);
    assert.deepEqual(tableRows(r.stdout).map((row) => row.slice(0, 3)), [['NAME', 'TYPE', 'DATA'], ['db', 'Opaque', '2']]);
    assert.equal(r.stderr, 'Error from server (NotFound): secrets "nosuch" not found\n');
  });

  it('describe secret shows Name/Namespace/Labels/Annotations/Type and per-key byte counts', async () => {
    // kubectl walks the data map in Go map order, so the key lines may come in any order.
    const describeParts = (out: string) => {
      const i = out.indexOf('Data\n====\n');
      assert.ok(i >= 0, out);
      return { head: out.slice(0, i), keys: out.slice(i + 10).split('\n').filter((l) => l !== '').sort() };
    };
    const r = await s.k(['describe', 'secret', 'b-db', '-n', 'sel']);
    ok(r);
    const p = describeParts(r.stdout);
    assert.equal(p.head, [
      'Name:         b-db',
      'Namespace:    sel',
      'Labels:       tier=db',
      'Annotations:  <none>',
      '',
      'Type:  Opaque',
      '',
      '',
    ].join('\n'));
    assert.deepEqual(p.keys, ['k0:  2 bytes', 'k1:  2 bytes']);
    assert.ok(r.stdout.endsWith('bytes\n'));
    const db = await s.k(['describe', 'secret', 'db']);
    ok(db);
    const q = describeParts(db.stdout);
    assert.match(q.head, /^Name:\s+db\nNamespace:\s+default\nLabels:\s+<none>\nAnnotations:\s+<none>\n\nType:\s+Opaque\n\n$/);
    assert.deepEqual(q.keys, ['password:  6 bytes', 'username:  5 bytes']);
  });

  it('describe secret nosuch fails with NotFound', async () => {
    const r = await s.k(['describe', 'secret', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error from server (NotFound): secrets "nosuch" not found\n');
  });

  it('explain secret prints KIND, VERSION, a description and the fields', async () => {
    const r = await s.k(['explain', 'secret']);
    ok(r);
    assert.match(r.stdout, /^KIND:\s+Secret\nVERSION:\s+v1\n\nDESCRIPTION:\n\s+\S/);
    assert.match(r.stdout, /\nFIELDS:\n/);
    for (const f of ['apiVersion\t<string>', 'data\t<map[string]string>', 'immutable\t<boolean>', 'kind\t<string>', 'metadata\t<ObjectMeta>', 'stringData\t<map[string]string>', 'type\t<string>']) {
      assert.ok(r.stdout.includes(`\n  ${f}\n`), `field line ${JSON.stringify(f)} in:\n${r.stdout}`);
    }
    assert.doesNotMatch(r.stdout, /<no description>/);
  });

  it('explain secret.data prints the FIELD line and its description', async () => {
    const r = await s.k(['explain', 'secret.data']);
    ok(r);
    assert.match(r.stdout, /^KIND:\s+Secret\nVERSION:\s+v1\n\nFIELD:\s+data <map\[string\]string>\n/);
    assert.match(r.stdout, /\nDESCRIPTION:\n\s+\S.*/);
    assert.doesNotMatch(r.stdout, /<no description>/);
  });
});

describe('kubectl get -w', { timeout: 60_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('watch');
  });
  after(async () => {
    await s?.stop();
  });

  it('get secrets -w prints the initial table, then a row for each ADDED, MODIFIED and DELETED event', async () => {
    ok(await s.k(['create', 'namespace', 'w1']));
    ok(await s.k(['create', 'secret', 'generic', 'seed', '-n', 'w1', '--from-literal=a=b']));
    const w = startWatcher(s, ['get', 'secrets', '-n', 'w1', '-w']);
    try {
      await w.until((out) => /^seed\s+Opaque\s+1\s+\S+\s*$/m.test(out), 'the initial row');
      assert.match(w.stdout(), /^NAME\s+TYPE\s+DATA\s+AGE\n/);
      const rowsOf = (out: string) => out.split('\n').filter((l) => /^live\s/.test(l));

      ok(await s.k(['create', 'secret', 'generic', 'live', '-n', 'w1', '--from-literal=a=b']));
      await w.until((out) => rowsOf(out).length >= 1, 'the ADDED row', 5_000);
      assert.match(rowsOf(w.stdout())[0]!, /^live\s+Opaque\s+1\s+\d+s$/);

      ok(await s.k(['label', 'secret', 'live', '-n', 'w1', 'stage=two']));
      await w.until((out) => rowsOf(out).length >= 2, 'the MODIFIED row', 5_000);
      assert.match(rowsOf(w.stdout())[1]!, /^live\s+Opaque\s+1\s+\d+s$/);

      ok(await s.k(['delete', 'secret', 'live', '-n', 'w1']));
      await w.until((out) => rowsOf(out).length >= 3, 'the DELETED row', 5_000);
      assert.equal(rowsOf(w.stdout()).length, 3);
      assert.match(rowsOf(w.stdout())[2]!, /^live\s+Opaque\s+1\s+\d+s$/, 'DELETED is printed as an ordinary row');
      assert.equal(w.stderr(), '');
    } finally {
      await w.stop();
    }
  });

  it('get secrets -w -o json --output-watch-events prints ADDED, MODIFIED and DELETED events with full objects', async () => {
    ok(await s.k(['create', 'namespace', 'w2']));
    ok(await s.k(['create', 'secret', 'generic', 'seed', '-n', 'w2', '--from-literal=a=b']));
    const w = startWatcher(s, ['get', 'secrets', '-n', 'w2', '-w', '-o', 'json', '--output-watch-events']);
    const events = () => parseJsonStream(w.stdout());
    const of = (name: string) => events().filter((e) => e.object?.metadata?.name === name);
    try {
      await w.until(() => of('seed').length === 1, 'the initial ADDED event for the existing secret');
      assert.equal(of('seed')[0].type, 'ADDED');

      ok(await s.k(['create', 'secret', 'generic', 'ev', '-n', 'w2', '--from-literal=a=b']));
      await w.until(() => of('ev').length >= 1, 'ADDED', 5_000);
      ok(await s.k(['label', 'secret', 'ev', '-n', 'w2', 'stage=two']));
      await w.until(() => of('ev').length >= 2, 'MODIFIED', 5_000);
      ok(await s.k(['delete', 'secret', 'ev', '-n', 'w2']));
      await w.until(() => of('ev').length >= 3, 'DELETED', 5_000);

      const evs = of('ev');
      assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      for (const e of evs) {
        assert.equal(e.object.kind, 'Secret');
        assert.equal(e.object.apiVersion, 'v1');
        assert.equal(e.object.metadata.namespace, 'w2');
        assert.deepEqual(e.object.data, { a: b64('b') });
      }
      assert.equal(evs[0].object.metadata.labels, undefined);
      assert.deepEqual(evs[1].object.metadata.labels, { stage: 'two' });
      assert.deepEqual(evs[2].object.metadata.labels, { stage: 'two' }, 'DELETED carries the last state');
      const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
      assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `resourceVersions increase: ${rvs}`);
      // nothing from other namespaces leaks into a namespaced watch
      assert.ok(events().every((e) => e.object.metadata.namespace === 'w2'));
    } finally {
      await w.stop();
    }
  });

  it('get secret <name> -w only reports that secret', async () => {
    ok(await s.k(['create', 'namespace', 'w3']));
    ok(await s.k(['create', 'secret', 'generic', 'mine', '-n', 'w3', '--from-literal=a=b']));
    const w = startWatcher(s, ['get', 'secret', 'mine', '-n', 'w3', '-w', '-o', 'json', '--output-watch-events']);
    try {
      await w.until(() => parseJsonStream(w.stdout()).length >= 1, 'the initial event');
      ok(await s.k(['create', 'secret', 'generic', 'theirs', '-n', 'w3', '--from-literal=a=b']));
      ok(await s.k(['annotate', 'secret', 'mine', '-n', 'w3', 'note=hi']));
      await w.until(() => parseJsonStream(w.stdout()).length >= 2, 'the MODIFIED event', 5_000);
      const evs = parseJsonStream(w.stdout());
      assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'mine'], ['MODIFIED', 'mine']]);
      assert.equal(evs[1].object.metadata.annotations.note, 'hi');
    } finally {
      await w.stop();
    }
  });
});
