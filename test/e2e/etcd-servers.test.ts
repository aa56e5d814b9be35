// Several `opaque server` processes on one etcd cluster (3 members on loopback) serve the same data:
// a write through one is visible to get and watch through the other at once, one server runs the
// controllers (namespace finalization, ClusterRole aggregation, …), and when it dies the other keeps
// serving and takes the controllers over.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, kubectl, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js';
import { b64, eventually, openWatch, secretsPath, sleep } from './api-lib.js';

let etcd: EtcdCluster;
let a: Opaque;
let b: Opaque;

/** A second server sharing the first one's CA and encryption key, as an operator would copy them. */
async function peerOf(first: Opaque, args: string[]): Promise<Opaque> {
  const dir = tempDir('data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  cpSync(join(first.dataDir, 'pki'), join(dir, 'pki'), { recursive: true });
  cpSync(join(first.dataDir, 'encryption.yaml'), join(dir, 'encryption.yaml'));
  return startOpaque({ dataDir: dir, args });
}

async function leads(o: Opaque): Promise<boolean> {
  const r = await http(o, 'GET', '/readyz?verbose');
  return /controllers-leader ok \(this server/.test(r.text);
}

before(async () => {
  etcd = await startEtcd(3);
  const args = ['--etcd-servers', etcd.endpoints, '--etcd-compaction-interval', '2s'];
  a = await startOpaque({ args });
  b = await peerOf(a, args);
});

after(async () => {
  if (a) await cleanup(a);
  if (b) await cleanup(b);
  await etcd?.stop();
});

test('a write through one server is visible to get and watch through the other at once', async () => {
  const w = await openWatch(b, `${secretsPath('default')}?watch=true&resourceVersion=${(await http(b, 'GET', secretsPath('default'))).json.metadata.resourceVersion}`);
  const created = await http(a, 'POST', secretsPath('default'), { metadata: { name: 'shared' }, data: { k: b64('v1') } });
  assert.equal(created.status, 201, created.text);
  const got = await http(b, 'GET', secretsPath('default', 'shared'));
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.metadata.resourceVersion, created.json.metadata.resourceVersion);
  const ev = await w.next(5000);
  assert.equal(ev?.type, 'ADDED');
  assert.equal(ev?.object.metadata.name, 'shared');
  assert.equal(ev?.object.metadata.resourceVersion, created.json.metadata.resourceVersion);
  // An update through the second server conflicts on a stale resourceVersion written via the first.
  const upd = await http(b, 'PUT', secretsPath('default', 'shared'), { ...got.json, data: { k: b64('v2') } });
  assert.equal(upd.status, 200, upd.text);
  const stale = await http(a, 'PUT', secretsPath('default', 'shared'), { ...got.json, data: { k: b64('v3') } });
  assert.equal(stale.status, 409, stale.text);
  assert.equal((await w.next(5000))?.type, 'MODIFIED');
  w.close();
  const r = await kubectl(b, ['get', 'secret', 'shared', '-o', 'jsonpath={.data.k}']);
  assert.equal(Buffer.from(r.stdout, 'base64').toString(), 'v2', r.stderr);
});

test('compaction by the leader: an old continue token and an exact old list answer 410 Gone', async () => {
  assert.equal((await http(a, 'POST', '/api/v1/namespaces', { metadata: { name: 'pages' } })).status, 201);
  for (const n of ['p1', 'p2', 'p3']) assert.equal((await http(a, 'POST', secretsPath('pages'), { metadata: { name: n } })).status, 201);
  const first = await http(b, 'GET', `${secretsPath('pages')}?limit=1`);
  assert.equal(first.status, 200, first.text);
  const token = first.json.metadata.continue as string;
  const rv = first.json.metadata.resourceVersion as string;
  assert.ok(token);
  // Revisions move on; two compaction intervals later (2 s each) the listed revision is gone.
  await eventually(async () => {
    await http(a, 'PUT', secretsPath('pages', 'p1'), { metadata: { name: 'p1' }, data: { t: b64(String(Date.now())) } });
    const r = await http(b, 'GET', `${secretsPath('pages')}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    return r.status === 410 ? r : undefined;
  }, 30_000, 'the listed revision to be compacted');
  const exact = await http(a, 'GET', `${secretsPath('pages')}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
  assert.equal(exact.status, 410, exact.text);
  assert.equal(exact.json.reason, 'Expired');
  assert.match(exact.json.message, new RegExp(`^too old resource version: ${rv} \\(\\d+\\)$`));
  const cont = await http(a, 'GET', `${secretsPath('pages')}?limit=1&continue=${encodeURIComponent(token)}`);
  assert.equal(cont.status, 410, cont.text);
  assert.match(cont.json.message, /^The provided continue parameter is too old to display a consistent list result/);
  // The offered token continues at the latest revision from the same key.
  const next = await http(a, 'GET', `${secretsPath('pages')}?limit=5&continue=${encodeURIComponent(cont.json.metadata.continue)}`);
  assert.equal(next.status, 200, next.text);
  assert.deepEqual(next.json.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['p2', 'p3']);
});

test('one server leads the controllers; when it dies the other serves on and takes them over', async () => {
  const [la, lb] = await eventually(async () => {
    const l = [await leads(a), await leads(b)];
    return l[0] !== l[1] ? l : undefined;
  }, 15_000, 'exactly one leader');
  const [leader, follower] = la ? [a, b] : [b, a];
  assert.equal(lb, !la);
  const metrics = (await http(follower, 'GET', '/metrics')).text;
  assert.match(metrics, /opaque_controllers_leader\{identity="[^"]+"\} 0/);
  await leader.kill9();
  await eventually(() => leads(follower), 20_000, 'the surviving server to lead');
  // The namespace controller now runs on the survivor: deleting a namespace with content finishes.
  assert.equal((await http(follower, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } })).status, 201);
  assert.equal((await http(follower, 'POST', secretsPath('doomed'), { metadata: { name: 's' } })).status, 201);
  assert.equal((await http(follower, 'DELETE', '/api/v1/namespaces/doomed')).status, 200);
  await eventually(async () => (await http(follower, 'GET', '/api/v1/namespaces/doomed')).status === 404, 20_000, 'the namespace to be finalized');
  // So does ClusterRole aggregation: a role labelled aggregate-to-view extends view.
  const rule = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] };
  const role = { metadata: { name: 'widget-reader', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [rule] };
  assert.equal((await http(follower, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', role)).status, 201);
  await eventually(async () => {
    const view = (await http(follower, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).json;
    return view.rules.some((r: typeof rule) => r.resources?.includes('widgets'));
  }, 20_000, 'view to aggregate the new role');
  assert.equal((await http(follower, 'GET', secretsPath('default', 'shared'))).status, 200);
  await sleep(0);
});
