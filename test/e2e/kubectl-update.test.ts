// kubectl apply (client- and server-side), patch (strategic, merge, JSON), label, annotate, replace
// and edit against a real Opaque server: printed results and the stored state afterwards.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { b64, editorScript, ok, startSuite, type Suite } from './kubectl-common.js';

describe('kubectl apply, patch, label, annotate, replace, edit', { timeout: 180_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('update');
  });
  after(async () => {
    await s?.stop();
  });

  const create = async (name: string, ...literals: string[]) => {
    ok(await s.k(['create', 'secret', 'generic', name, ...literals.map((l) => `--from-literal=${l}`)]), `create ${name}`);
    return s.getJson('secret', name);
  };
  const managedFields = async (name: string) => (await s.getJson('secret', name, 'default', ['--show-managed-fields'])).metadata.managedFields as any[];

  describe('apply (client-side)', () => {
    it('a stringData manifest prints created, then configured on every re-apply', async () => {
      const f = s.file('csa-string.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: csa-str\n  labels:\n    tier: web\nstringData:\n  user: alice\n  pass: one\n');
      const first = await s.k(['apply', '-f', f]);
      ok(first);
      assert.equal(first.stdout, 'secret/csa-str created\n');
      assert.equal(first.stderr, '');
      const second = await s.k(['apply', '-f', f]);
      ok(second);
      assert.equal(second.stdout, 'secret/csa-str configured\n', 'the live object never has stringData, so kubectl always patches');
    });

    it('stores stringData folded into base64 data, never stringData itself, plus the last-applied annotation', async () => {
      const f = s.file('csa-fold.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: csa-fold\nstringData:\n  user: alice\n  pass: p w d\n');
      ok(await s.k(['apply', '-f', f]));
      const obj = await s.getJson('secret', 'csa-fold');
      assert.deepEqual(obj.data, { pass: b64('p w d'), user: b64('alice') });
      assert.equal(obj.stringData, undefined);
      assert.equal(obj.type, 'Opaque');
      const last = JSON.parse(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      assert.deepEqual(last.stringData, { pass: 'p w d', user: 'alice' });
      assert.equal(last.metadata.name, 'csa-fold');
      const raw = await s.http('GET', '/api/v1/namespaces/default/secrets/csa-fold');
      assert.equal(raw.json.stringData, undefined);
      const mf = await managedFields('csa-fold');
      assert.ok(mf.some((m) => m.manager === 'kubectl-client-side-apply' && m.operation === 'Update'), JSON.stringify(mf));
    });

    it('a data-only manifest prints created, then unchanged, leaving the resourceVersion alone', async () => {
      const f = s.file('csa-data.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: csa-data\ndata:\n  k: ${b64('v')}\n`);
      const first = await s.k(['apply', '-f', f]);
      ok(first);
      assert.equal(first.stdout, 'secret/csa-data created\n');
      const rv = (await s.getJson('secret', 'csa-data')).metadata.resourceVersion;
      const second = await s.k(['apply', '-f', f]);
      ok(second);
      assert.equal(second.stdout, 'secret/csa-data unchanged\n');
      const obj = await s.getJson('secret', 'csa-data');
      assert.equal(obj.metadata.resourceVersion, rv);
      assert.deepEqual(obj.data, { k: b64('v') });
    });

    it('re-applying a changed manifest updates values and removes keys dropped from it', async () => {
      const f1 = s.file('csa-chg1.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: csa-chg\ndata:\n  a: ${b64('1')}\n  b: ${b64('2')}\n`);
      ok(await s.k(['apply', '-f', f1]));
      const f2 = s.file('csa-chg2.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: csa-chg\ndata:\n  a: ${b64('one')}\n`);
      const r = await s.k(['apply', '-f', f2]);
      ok(r);
      assert.equal(r.stdout, 'secret/csa-chg configured\n');
      assert.deepEqual((await s.getJson('secret', 'csa-chg')).data, { a: b64('one') });
    });
  });

  describe('apply --server-side', () => {
    it('prints serverside-applied twice and records manager kubectl with operation Apply', async () => {
      const f = s.file('ssa.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\n  labels:\n    owner: ssa\ndata:\n  a: ${b64('one')}\n`);
      const first = await s.k(['apply', '--server-side', '-f', f]);
      ok(first);
      assert.equal(first.stdout, 'secret/ssa serverside-applied\n');
      const rv = (await s.getJson('secret', 'ssa')).metadata.resourceVersion;
      const second = await s.k(['apply', '--server-side', '-f', f]);
      ok(second);
      assert.equal(second.stdout, 'secret/ssa serverside-applied\n');
      const obj = await s.getJson('secret', 'ssa', 'default', ['--show-managed-fields']);
      assert.equal(obj.metadata.resourceVersion, rv, 'an identical apply is a no-op');
      assert.deepEqual(obj.data, { a: b64('one') });
      assert.equal(obj.type, 'Opaque');
      const mf = obj.metadata.managedFields as any[];
      assert.equal(mf.length, 1, JSON.stringify(mf));
      assert.equal(mf[0].manager, 'kubectl');
      assert.equal(mf[0].operation, 'Apply');
      assert.equal(mf[0].apiVersion, 'v1');
      assert.equal(mf[0].fieldsType, 'FieldsV1');
      assert.deepEqual(mf[0].fieldsV1, { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:owner': {} } } });
    });

    it('changing a field owned by another manager is a conflict naming that manager (exit 1, nothing written)', async () => {
      await create('ssa-own', 'a=one');
      const f = s.file('ssa-own.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa-own\ndata:\n  a: ${b64('two')}\n`);
      const r = await s.k(['apply', '--server-side', '-f', f]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith('error: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a\n'), r.stderr);
      assert.match(r.stderr, /Please review the fields above--they currently have other managers/);
      assert.match(r.stderr, /--force-conflicts/);
      assert.deepEqual((await s.getJson('secret', 'ssa-own')).data, { a: b64('one') });
    });

    it('a conflict with a later kubectl patch names kubectl-patch', async () => {
      const f = s.file('ssa-pt.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa-pt\ndata:\n  a: ${b64('one')}\n`);
      ok(await s.k(['apply', '--server-side', '-f', f]));
      ok(await s.k(['patch', 'secret', 'ssa-pt', '--type=merge', '-p', JSON.stringify({ data: { a: b64('other') } })]));
      const r = await s.k(['apply', '--server-side', '-f', f]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith('error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a\n'), r.stderr);
      assert.deepEqual((await s.getJson('secret', 'ssa-pt')).data, { a: b64('other') });
    });

    it('--force-conflicts takes the field over and succeeds', async () => {
      await create('ssa-force', 'a=one', 'b=keep');
      const f = s.file('ssa-force.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa-force\ndata:\n  a: ${b64('two')}\n`);
      const r = await s.k(['apply', '--server-side', '--force-conflicts', '-f', f]);
      ok(r);
      assert.equal(r.stdout, 'secret/ssa-force serverside-applied\n');
      const obj = await s.getJson('secret', 'ssa-force', 'default', ['--show-managed-fields']);
      assert.deepEqual(obj.data, { a: b64('two'), b: b64('keep') });
      const mf = obj.metadata.managedFields as any[];
      const applier = mf.find((m) => m.manager === 'kubectl');
      assert.equal(applier?.operation, 'Apply');
      assert.deepEqual(applier.fieldsV1, { 'f:data': { 'f:a': {} } });
      const creator = mf.find((m) => m.manager === 'kubectl-create');
      assert.ok(creator, JSON.stringify(mf));
      assert.ok(!('f:a' in (creator.fieldsV1['f:data'] ?? {})), 'the create manager lost .data.a');
      assert.ok('f:b' in creator.fieldsV1['f:data'], 'the create manager keeps .data.b');
    });
  });

  describe('patch', () => {
    it('a default (strategic) stringData patch updates data and prints patched', async () => {
      await create('p-smp', 'password=old', 'user=u');
      const r = await s.k(['patch', 'secret', 'p-smp', '-p', '{"stringData":{"password":"new"}}']);
      ok(r);
      assert.equal(r.stdout, 'secret/p-smp patched\n');
      const obj = await s.getJson('secret', 'p-smp');
      assert.deepEqual(obj.data, { password: b64('new'), user: b64('u') });
      assert.equal(obj.stringData, undefined);
    });

    it('the same patch again prints patched (no change) and keeps the resourceVersion', async () => {
      await create('p-same', 'password=old');
      ok(await s.k(['patch', 'secret', 'p-same', '-p', '{"stringData":{"password":"new"}}']));
      const rv = (await s.getJson('secret', 'p-same')).metadata.resourceVersion;
      const r = await s.k(['patch', 'secret', 'p-same', '-p', '{"stringData":{"password":"new"}}']);
      ok(r);
      assert.equal(r.stdout, 'secret/p-same patched (no change)\n');
      const obj = await s.getJson('secret', 'p-same');
      assert.equal(obj.metadata.resourceVersion, rv);
      assert.deepEqual(obj.data, { password: b64('new') });
    });

    it('--type=merge adds a key', async () => {
      await create('p-merge', 'a=1');
      const r = await s.k(['patch', 'secret', 'p-merge', '--type=merge', '-p', '{"data":{"extra":"eHl6"}}']);
      ok(r);
      assert.equal(r.stdout, 'secret/p-merge patched\n');
      assert.deepEqual((await s.getJson('secret', 'p-merge')).data, { a: b64('1'), extra: 'eHl6' });
    });

    it('--type=json removes a key', async () => {
      await create('p-json', 'a=1', 'extra=xyz');
      const r = await s.k(['patch', 'secret', 'p-json', '--type=json', '-p', '[{"op":"remove","path":"/data/extra"}]']);
      ok(r);
      assert.equal(r.stdout, 'secret/p-json patched\n');
      assert.deepEqual((await s.getJson('secret', 'p-json')).data, { a: b64('1') });
    });

    it('--type=json removing a missing path fails with `The request is invalid:` and changes nothing', async () => {
      const before = await create('p-json-miss', 'a=1');
      const r = await s.k(['patch', 'secret', 'p-json-miss', '--type=json', '-p', '[{"op":"remove","path":"/data/nope"}]']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith('The request is invalid: '), r.stderr);
      const afterObj = await s.getJson('secret', 'p-json-miss');
      assert.deepEqual(afterObj.data, { a: b64('1') });
      assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('--type=json failure prints exactly what kubectl prints for kube-apiserver (generic 422, no causes)', async () => {
      // kube-apiserver answers a failing JSON patch with NewGenericServerResponse(422, …, isUnexpectedResponse=false):
      // {"message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}
      await create('p-json-exact', 'a=1');
      const r = await s.k(['patch', 'secret', 'p-json-exact', '--type=json', '-p', '[{"op":"remove","path":"/data/nope"}]']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'The request is invalid: the server rejected our request due to an error in our request\n');
    });

    it('patching a missing secret fails with NotFound', async () => {
      const r = await s.k(['patch', 'secret', 'p-nosuch', '-p', '{"data":{"a":"Yg=="}}']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (NotFound): secrets "p-nosuch" not found\n');
    });
  });

  describe('label and annotate', () => {
    it('label adds, label key- removes, annotate adds', async () => {
      await create('lab', 'a=1');
      const l = await s.k(['label', 'secret', 'lab', 'app=x', 'tier=db']);
      ok(l);
      assert.equal(l.stdout, 'secret/lab labeled\n');
      assert.deepEqual((await s.getJson('secret', 'lab')).metadata.labels, { app: 'x', tier: 'db' });
      const a = await s.k(['annotate', 'secret', 'lab', 'note=hello world']);
      ok(a);
      assert.equal(a.stdout, 'secret/lab annotated\n');
      assert.equal((await s.getJson('secret', 'lab')).metadata.annotations.note, 'hello world');
      const u = await s.k(['label', 'secret', 'lab', 'app-']);
      ok(u);
      assert.equal(u.stdout, 'secret/lab unlabeled\n');
      const obj = await s.getJson('secret', 'lab');
      assert.deepEqual(obj.metadata.labels, { tier: 'db' });
      assert.deepEqual(obj.data, { a: b64('1') }, 'data untouched');
      const mf = await managedFields('lab');
      assert.ok(mf.some((m) => m.manager === 'kubectl-label'), JSON.stringify(mf));
      assert.ok(mf.some((m) => m.manager === 'kubectl-annotate'), JSON.stringify(mf));
    });

    it('relabelling without --overwrite fails client-side; with --overwrite it succeeds', async () => {
      await create('relab', 'a=1');
      ok(await s.k(['label', 'secret', 'relab', 'app=x']));
      const rv = (await s.getJson('secret', 'relab')).metadata.resourceVersion;
      const r = await s.k(['label', 'secret', 'relab', 'app=y']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, "error: 'app' already has a value (x), and --overwrite is false\n");
      const unchanged = await s.getJson('secret', 'relab');
      assert.deepEqual(unchanged.metadata.labels, { app: 'x' });
      assert.equal(unchanged.metadata.resourceVersion, rv);
      const o = await s.k(['label', 'secret', 'relab', 'app=y', '--overwrite']);
      ok(o);
      assert.equal(o.stdout, 'secret/relab labeled\n');
      assert.deepEqual((await s.getJson('secret', 'relab')).metadata.labels, { app: 'y' });
    });

    it('removing the last label leaves no empty labels map', async () => {
      // kube-apiserver stores protobuf, where an empty map is dropped: the object reads back without the field.
      await create('lab-last', 'a=1');
      ok(await s.k(['label', 'secret', 'lab-last', 'app=x']));
      ok(await s.k(['label', 'secret', 'lab-last', 'app-']));
      const obj = await s.getJson('secret', 'lab-last');
      assert.equal(obj.metadata.labels, undefined, `labels: ${JSON.stringify(obj.metadata.labels)}`);
      const y = await s.k(['get', 'secret', 'lab-last', '-o', 'yaml']);
      assert.doesNotMatch(y.stdout, /labels: \{\}/);
    });

    it('removing the last annotation leaves no empty annotations map', async () => {
      await create('ann-last', 'a=1');
      ok(await s.k(['annotate', 'secret', 'ann-last', 'note=n']));
      const u = await s.k(['annotate', 'secret', 'ann-last', 'note-']);
      ok(u);
      assert.equal(u.stdout, 'secret/ann-last annotated\n');
      const obj = await s.getJson('secret', 'ann-last');
      assert.equal(obj.metadata.annotations, undefined, `annotations: ${JSON.stringify(obj.metadata.annotations)}`);
    });
  });

  describe('replace', () => {
    it('replace -f with modified data replaces the whole object', async () => {
      const before = await create('rep', 'username=admin', 'password=old');
      const f = s.file('rep.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: rep\n  labels:\n    replaced: "yes"\ndata:\n  username: ${b64('root')}\n`);
      const r = await s.k(['replace', '-f', f]);
      ok(r);
      assert.equal(r.stdout, 'secret/rep replaced\n');
      const obj = await s.getJson('secret', 'rep');
      assert.deepEqual(obj.data, { username: b64('root') }, 'keys missing from the file are gone');
      assert.deepEqual(obj.metadata.labels, { replaced: 'yes' });
      assert.equal(obj.metadata.uid, before.metadata.uid);
      assert.notEqual(obj.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('replace with a stale resourceVersion fails with Conflict and changes nothing', async () => {
      const before = await create('rep-stale', 'a=1');
      const staleRv = before.metadata.resourceVersion;
      ok(await s.k(['label', 'secret', 'rep-stale', 'bump=1']));
      const current = await s.getJson('secret', 'rep-stale');
      const f = s.file('rep-stale.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: rep-stale\n  resourceVersion: "${staleRv}"\ndata:\n  a: ${b64('2')}\n`);
      const r = await s.k(['replace', '-f', f]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `Error from server (Conflict): error when replacing "${f}": Operation cannot be fulfilled on secrets "rep-stale": `
        + 'the object has been modified; please apply your changes to the latest version and try again\n');
      const obj = await s.getJson('secret', 'rep-stale');
      assert.equal(obj.metadata.resourceVersion, current.metadata.resourceVersion);
      assert.deepEqual(obj.data, { a: b64('1') });
    });

    it('replace of a missing secret fails with NotFound (PUT never creates)', async () => {
      const f = s.file('rep-missing.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: rep-missing\ndata:\n  a: ${b64('2')}\n`);
      const r = await s.k(['replace', '-f', f]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (NotFound): error when replacing "${f}": secrets "rep-missing" not found\n`);
      assert.equal((await s.http('GET', '/api/v1/namespaces/default/secrets/rep-missing')).status, 404);
    });
  });

  describe('edit', () => {
    it('an EDITOR that changes data and adds a label prints secret/<name> edited', async () => {
      await create('ed', 'username=admin', 'password=pw');
      const log = `${s.dir}/edit-ok.log`;
      const editor = editorScript(s, 'edit-ok.cjs', log, `
text = text.replace(/^  username: .*$/m, '  username: ${b64('edited')}');
text = text.replace(/^metadata:$/m, 'metadata:\\n  labels:\\n    edited: "yes"');`);
      const r = await s.k(['edit', 'secret', 'ed'], { env: { EDITOR: editor } });
      ok(r);
      assert.equal(r.stdout, 'secret/ed edited\n');
      const obj = await s.getJson('secret', 'ed', 'default', ['--show-managed-fields']);
      assert.deepEqual(obj.data, { password: b64('pw'), username: b64('edited') });
      assert.deepEqual(obj.metadata.labels, { edited: 'yes' });
      assert.ok((obj.metadata.managedFields as any[]).some((m) => m.manager === 'kubectl-edit'));
      const buffer = readFileSync(log, 'utf8');
      assert.match(buffer, /^# Please edit the object below\. Lines beginning with a '#' will be ignored,/);
      assert.doesNotMatch(buffer, /managedFields/);
    });

    it('an EDITOR that changes nothing prints `Edit cancelled, no changes made.`', async () => {
      const before = await create('ed-none', 'a=1');
      const editor = editorScript(s, 'edit-none.cjs', `${s.dir}/edit-none.log`, '');
      const r = await s.k(['edit', 'secret', 'ed-none'], { env: { EDITOR: editor } });
      ok(r);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'Edit cancelled, no changes made.\n');
      assert.equal((await s.getJson('secret', 'ed-none')).metadata.resourceVersion, before.metadata.resourceVersion);
    });
  });
});
