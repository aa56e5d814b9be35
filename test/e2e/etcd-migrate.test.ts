// `opaque migrate` moves a data dir's objects into etcd and back with their stored (encrypted) bytes:
// a server on the target serves them, a non-empty target is refused without --force, and the
// command shows progress and the verified count.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, kubectl, run, startOpaque, tempDir, removeDir, ROOT, type Opaque } from '../helpers/opaque.js';
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js';

let etcd: EtcdCluster;
const dirs: string[] = [];
const servers: Opaque[] = [];
const migrateCmd = (args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'migrate', ...args], { timeoutMs: 120_000 });

before(async () => {
  etcd = await startEtcd(1);
});
after(async () => {
  for (const o of servers) await cleanup(o, false);
  for (const d of dirs) removeDir(d);
  await etcd?.stop();
});

async function etcdValue(key: string): Promise<Buffer> {
  const r = await fetch(`${etcd.members[0]!.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64') }) });
  const j = (await r.json()) as { kvs?: { value: string }[] };
  return Buffer.from(j.kvs?.[0]?.value ?? '', 'base64');
}

test('a data dir moves into etcd and back; servers on each target serve the same secrets', async () => {
  const src = tempDir('data');
  dirs.push(src);
  const o = await startOpaque({ dataDir: src, env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  servers.push(o);
  assert.equal((await kubectl(o, ['create', 'namespace', 'team'])).code, 0);
  for (let i = 0; i < 25; i++) {
    const r = await kubectl(o, ['create', 'secret', 'generic', `s${i}`, '-n', 'team', `--from-literal=v=value-${i}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  // Every stored object moves: secrets, namespaces, ServiceAccounts and the RBAC policy.
  const lists = ['/api/v1/secrets', '/api/v1/namespaces', '/api/v1/serviceaccounts', ...['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].map((r) => `/apis/rbac.authorization.k8s.io/v1/${r}`)];
  let objects = 0;
  for (const path of lists) objects += (await http(o, 'GET', path)).json.items.length;
  assert.equal(await o.stop(), 0);

  const to = `etcd://${new URL(etcd.members[0]!.clientUrl).host}`;
  const m = await migrateCmd(['--from', src, '--to', to]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /^migrate: \d+\/\d+ \(\d+%\)/m);
  assert.match(m.stdout, new RegExp(`migrated ${objects} objects from data dir .* to etcd http://.*; verified ${objects} by reading them back`));
  // Stored bytes moved as they are: still encrypted with the data dir's key, bound to the same key.
  assert.match((await etcdValue('/registry/secrets/team/s7')).subarray(0, 30).toString(), /^k8s:enc:secretbox:v1:key/);

  const again = await migrateCmd(['--from', src, '--to', to]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, new RegExp(`the target already holds ${objects} objects under /registry/; use --force`));
  const forced = await migrateCmd(['--from', src, '--to', to, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`migrated ${objects} objects .*\\(${objects} overwritten\\); verified ${objects}`));

  const onEtcd = await startOpaque({ dataDir: src, args: ['--etcd-servers', etcd.endpoints] });
  servers.push(onEtcd);
  const got = await kubectl(onEtcd, ['get', 'secret', 's7', '-n', 'team', '-o', 'jsonpath={.data.v}']);
  assert.equal(Buffer.from(got.stdout, 'base64').toString(), 'value-7', got.stderr);
  assert.equal((await kubectl(onEtcd, ['create', 'secret', 'generic', 'added-on-etcd', '-n', 'team', '--from-literal=v=x'])).code, 0);
  await onEtcd.stop();

  // And back into a fresh data dir, which gets the original key and CA.
  const back = tempDir('data');
  dirs.push(back);
  mkdirSync(back, { recursive: true, mode: 0o700 });
  cpSync(join(src, 'pki'), join(back, 'pki'), { recursive: true });
  cpSync(join(src, 'encryption.yaml'), join(back, 'encryption.yaml'));
  const b = await migrateCmd(['--from', to, '--to', back]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`migrated ${objects + 1} objects from etcd .* to data dir .*; verified ${objects + 1}`));
  const local = await startOpaque({ dataDir: back, env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  servers.push(local);
  const r = await kubectl(local, ['get', 'secrets', '-n', 'team', '-o', 'name']);
  assert.equal(r.stdout.trim().split('\n').length, 26, r.stdout);
  const v = await kubectl(local, ['get', 'secret', 'added-on-etcd', '-n', 'team', '-o', 'jsonpath={.data.v}']);
  assert.equal(Buffer.from(v.stdout, 'base64').toString(), 'x');
});

test('migrate refuses a source data dir without a database, and a data dir a server holds', async () => {
  const empty = tempDir('data');
  dirs.push(empty);
  const r = await migrateCmd(['--from', empty, '--to', `etcd://${new URL(etcd.members[0]!.clientUrl).host}`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /holds no Opaque database/);
  const o = await startOpaque({ env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  servers.push(o);
  const busy = await migrateCmd(['--from', o.dataDir, '--to', tempDir('data')]);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /in use by another opaque server/);
  await cleanup(o);
  servers.pop();
});
