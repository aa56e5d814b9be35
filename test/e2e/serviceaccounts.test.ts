// ServiceAccounts with real kubectl against a real `opaque server`: create (kubectl 1.32 sends
// protobuf), get with kube's table, create -f with strict validation, explain, the `default`
// ServiceAccount in every namespace (at start, in new namespaces, recreated after deletion) and
// kube's validation errors.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, kubectl, startOpaque, type Opaque } from '../helpers/opaque.js';
import { assertStatus, eventually, TABLE_ACCEPT } from './api-lib.js';

let o: Opaque;

before(async () => {
  o = await startOpaque();
});

after(async () => {
  if (o) await cleanup(o);
});

const saPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/serviceaccounts${name ? `/${name}` : ''}`;

describe('serviceaccounts', () => {
  test('every built-in namespace has a default ServiceAccount from the start', async () => {
    const r = await kubectl(o, ['get', 'sa', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']);
    assert.equal(r.code, 0, r.stderr);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(r.stdout.includes(`${ns}/default `), r.stdout);
  });

  test('kubectl create serviceaccount, get sa shows NAME SECRETS AGE, get -o yaml', async () => {
    const c = await kubectl(o, ['create', 'serviceaccount', 'builder']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), 'serviceaccount/builder created');
    const g = await kubectl(o, ['get', 'sa', 'builder']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /^NAME\s+SECRETS\s+AGE\nbuilder\s+0\s+\d+s\n$/);
    const y = await kubectl(o, ['get', 'serviceaccount', 'builder', '-o', 'json']);
    const sa = JSON.parse(y.stdout);
    assert.equal(sa.kind, 'ServiceAccount');
    assert.equal(sa.metadata.namespace, 'default');
    assert.match(sa.metadata.uid, /^[0-9a-f-]{36}$/);
    const dup = await kubectl(o, ['create', 'sa', 'builder']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /serviceaccounts "builder" already exists/);
  });

  test('kubectl create -f with secrets and imagePullSecrets (strict validation), explain, patch', async () => {
    const manifest = [
      'apiVersion: v1', 'kind: ServiceAccount', 'metadata:', '  name: deployer', 'automountServiceAccountToken: false',
      'secrets:', '- name: one', 'imagePullSecrets:', '- name: registry',
    ].join('\n');
    const c = await kubectl(o, ['create', '-f', '-'], { input: manifest });
    assert.equal(c.code, 0, c.stderr);
    const bad = await kubectl(o, ['create', '-f', '-'], { input: manifest.replace('deployer', 'd2').replace('automount', 'automunt') });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown field "automuntServiceAccountToken"/);
    const g = await kubectl(o, ['get', 'sa', 'deployer']);
    assert.match(g.stdout, /deployer\s+1\s+/);
    const p = await kubectl(o, ['patch', 'sa', 'deployer', '-p', '{"secrets":[{"name":"two"}]}']);
    assert.equal(p.code, 0, p.stderr);
    const j = JSON.parse((await kubectl(o, ['get', 'sa', 'deployer', '-o', 'json'])).stdout);
    // secrets merge by name (strategic merge patch), as kube's patch strategy says.
    assert.deepEqual(j.secrets.map((s: { name: string }) => s.name).sort(), ['one', 'two']);
    assert.equal(j.automountServiceAccountToken, false);
    const e = await kubectl(o, ['explain', 'serviceaccount.imagePullSecrets']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /KIND:\s+ServiceAccount/);
  });

  test('a new namespace gets its default ServiceAccount; a deleted one comes back', async () => {
    assert.equal((await kubectl(o, ['create', 'namespace', 'team-a'])).code, 0);
    await eventually(async () => (await http(o, 'GET', saPath('team-a', 'default'))).status === 200, 10_000, 'default SA in team-a');
    const first = (await http(o, 'GET', saPath('team-a', 'default'))).json.metadata.uid;
    const d = await kubectl(o, ['delete', 'sa', 'default', '-n', 'team-a']);
    assert.equal(d.code, 0, d.stderr);
    const again = await eventually(async () => {
      const r = await http(o, 'GET', saPath('team-a', 'default'));
      return r.status === 200 && r.json.metadata.uid !== first ? r.json : undefined;
    }, 10_000, 'default SA recreated');
    assert.equal(again.metadata.name, 'default');
  });

  test('deleting a namespace removes its ServiceAccounts and the default one is not recreated', async () => {
    assert.equal((await kubectl(o, ['create', 'namespace', 'team-b'])).code, 0);
    await eventually(async () => (await http(o, 'GET', saPath('team-b', 'default'))).status === 200, 10_000, 'default SA in team-b');
    assert.equal((await kubectl(o, ['create', 'sa', 'worker', '-n', 'team-b'])).code, 0);
    const d = await kubectl(o, ['delete', 'namespace', 'team-b']);
    assert.equal(d.code, 0, d.stderr);
    await eventually(async () => (await http(o, 'GET', '/api/v1/namespaces/team-b')).status === 404, 20_000, 'namespace team-b gone');
    const left = await http(o, 'GET', saPath('team-b'));
    assert.deepEqual(left.json.items, []);
  });

  test('the table as kube serves it', async () => {
    const r = await http(o, 'GET', saPath('default'), undefined, { accept: TABLE_ACCEPT });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Secrets', 'Age']);
    assert.ok(r.json.rows.some((row: { cells: unknown[] }) => row.cells[0] === 'default' && row.cells[1] === 0));
  });

  test('names are DNS subdomains: a bad name is kube\'s 422', async () => {
    const r = await http(o, 'POST', saPath('default'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'Bad_Name' } });
    assertStatus(r, 422, 'Invalid', /^ServiceAccount "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const k = await kubectl(o, ['create', 'sa', 'UPPER']);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /ServiceAccount "UPPER" is invalid/);
  });

  test('discovery lists serviceaccounts (short name sa) with the token subresource', async () => {
    const r = await http(o, 'GET', '/api/v1');
    const sa = r.json.resources.find((x: { name: string }) => x.name === 'serviceaccounts');
    assert.deepEqual(sa.shortNames, ['sa']);
    assert.equal(sa.namespaced, true);
    const token = r.json.resources.find((x: { name: string }) => x.name === 'serviceaccounts/token');
    assert.deepEqual({ group: token.group, version: token.version, kind: token.kind, verbs: token.verbs }, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  });
});
