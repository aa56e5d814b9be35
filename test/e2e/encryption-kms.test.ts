// KMS v2 as an operator sees it: `opaque server` with a kms v2 provider served by `opaque kms-plugin`
// stores kube's format (the value opens with an independent implementation and the plugin's key
// file), nothing readable reaches the database files, a database holding secretbox, aesgcm and kms
// values reads them all, a missing plugin or a KMS v1 provider gives a clear error naming the
// provider, and the automatic reload and guided rotation keep working with a kms provider listed.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { ROOT, cleanup, http, logged, kubectl, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { type KmsPlugin, kmsProvider, openKmsValue, startKmsPlugin, writeEncryptionConfig } from '../helpers/kms-plugin.js';

const BIN = join(ROOT, 'bin', 'opaque.js');
const VALUE = 'Kms-Envelope-Value-4b7e91d2';
const B64 = Buffer.from(VALUE).toString('base64');
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function scratch(): string {
  const d = tempDir('kms');
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
async function plugin(dir: string, keyFile = join(dir, 'kek.yaml')): Promise<KmsPlugin> {
  const p = await startKmsPlugin(join(dir, 'kms.sock'), keyFile);
  cleanups.push(() => p.stop());
  return p;
}
async function server(args: string[], dataDir?: string): Promise<Opaque> {
  const o = await startOpaque({ args, dataDir });
  cleanups.push(() => cleanup(o, false));
  return o;
}
const opaque = (o: Opaque, ...args: string[]) => run(process.execPath, [BIN, ...args, '--kubeconfig', o.kubeconfig]);
const secretbox = (name: string, n: number) => `secretbox:\n  keys:\n    - name: ${name}\n      secret: ${Buffer.alloc(32, n).toString('base64')}`;
const aesgcm = (name: string, n: number) => `aesgcm:\n  keys:\n    - name: ${name}\n      secret: ${Buffer.alloc(32, n).toString('base64')}`;

function assertNoPlaintext(dataDir: string): void {
  for (const f of readdirSync(dataDir).filter((n) => n.startsWith('opaque.db'))) {
    const bytes = readFileSync(join(dataDir, f));
    assert.equal(bytes.includes(VALUE), false, `the plaintext value is in ${f}`);
    assert.equal(bytes.includes(B64), false, `the base64 of the value is in ${f}`);
  }
}

function storedValue(dataDir: string, key: string): Buffer {
  const db = new Database(join(dataDir, 'opaque.db'), { readonly: true });
  try {
    return (db.prepare('SELECT value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1').get(key) as { value: Buffer }).value;
  } finally {
    db.close();
  }
}

async function byKey(o: Opaque): Promise<{ writeKey: string; byKey: Record<string, number>; stale: number }> {
  const r = await opaque(o, 'encryption', 'status', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).resources.find((x: { resource: string }) => x.resource === 'secrets');
}

async function readSecret(o: Opaque, name: string): Promise<string> {
  const g = await http(o, 'GET', `/api/v1/namespaces/default/secrets/${name}`);
  assert.equal(g.status, 200, g.text);
  return Buffer.from(g.json.data.v, 'base64').toString();
}

test('kubectl round trip; the stored value is kube\'s EncryptedObject, opened independently with the plugin\'s key; no plaintext in the files', async () => {
  const dir = scratch();
  const p = await plugin(dir);
  assert.match(p.stderr(), /created .*kek\.yaml \(mode 0600\) with a new key-encryption key/);
  const cfg = join(dir, 'enc.yaml');
  writeEncryptionConfig(cfg, [kmsProvider('local-kms', p.socket), 'identity: {}']);
  const o = await server(['--encryption-provider-config', cfg]);

  const c = await kubectl(o, ['create', 'secret', 'generic', 'db', `--from-literal=password=${VALUE}`]);
  assert.equal(c.code, 0, c.stderr);
  const g = await kubectl(o, ['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
  assert.equal(g.stdout, B64);
  const raw = await http(o, 'GET', '/api/v1/namespaces/default/secrets/db');
  assert.equal(raw.json.data.password, B64);
  const ready = await http(o, 'GET', '/readyz?verbose');
  assert.match(ready.text, /\[\+\]kms-providers ok/);
  assert.match((await http(o, 'GET', '/healthz?verbose')).text, /\[\+\]kms-providers ok/);
  assert.doesNotMatch((await http(o, 'GET', '/livez?verbose')).text, /kms-providers/, 'as kube: not a liveness check');
  assertNoPlaintext(o.dataDir);

  assert.equal(await o.stop(), 0);
  assertNoPlaintext(o.dataDir);
  const stored = storedValue(o.dataDir, '/registry/secrets/default/db');
  const { plain, keyID, obj } = openKmsValue(stored, 'local-kms', p.keyFile, '/registry/secrets/default/db');
  assert.equal(obj.encryptedDEKSourceType, 1, 'HKDF_SHA256_XNONCE_AES_GCM_SEED, as kube 1.29+ writes');
  assert.equal(obj.annotations, 0);
  assert.equal(keyID, parse(readFileSync(p.keyFile, 'utf8')).keys[0].name + keyID.slice(keyID.indexOf('.')));
  const secret = JSON.parse(plain.toString('utf8'));
  assert.equal(secret.kind, 'Secret');
  assert.equal(secret.data.password, B64);
  // The storage key is the additional data: the same bytes do not open under another key.
  assert.throws(() => openKmsValue(stored, 'local-kms', p.keyFile, '/registry/secrets/default/other'));

  // A new process has no cached seed: the plugin decrypts it.
  const again = await server(['--encryption-provider-config', cfg], o.dataDir);
  assert.equal((await http(again, 'GET', '/api/v1/namespaces/default/secrets/db')).json.data.password, B64);
});

test('a database with secretbox, aesgcm and kms v2 values reads them all; reencrypt moves them under kms', async () => {
  const dir = scratch();
  const p = await plugin(dir);
  const cfg = join(dir, 'enc.yaml');
  writeEncryptionConfig(cfg, [secretbox('box1', 1)]);
  let o = await server(['--encryption-provider-config', cfg]);
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'from-box' }, stringData: { v: 'box' } })).status, 201);
  await o.stop();
  writeEncryptionConfig(cfg, [aesgcm('gcm1', 2), secretbox('box1', 1)]);
  o = await server(['--encryption-provider-config', cfg], o.dataDir);
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'from-gcm' }, stringData: { v: 'gcm' } })).status, 201);
  await o.stop();
  writeEncryptionConfig(cfg, [kmsProvider('kms1', p.socket), aesgcm('gcm1', 2), secretbox('box1', 1)]);
  o = await server(['--encryption-provider-config', cfg], o.dataDir);
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'from-kms' }, stringData: { v: 'kms' } })).status, 201);

  assert.deepEqual([await readSecret(o, 'from-box'), await readSecret(o, 'from-gcm'), await readSecret(o, 'from-kms')], ['box', 'gcm', 'kms']);
  const before = await byKey(o);
  assert.match(before.writeKey, /^k8s:enc:kms:v2:kms1 key_id=kek-\d{8}\.[0-9a-f]{16}$/);
  assert.deepEqual(before.byKey, { [before.writeKey]: 1, 'k8s:enc:aesgcm:v1:gcm1': 1, 'k8s:enc:secretbox:v1:box1': 1 });
  assert.equal(before.stale, 2);

  const re = await opaque(o, 'encryption', 'reencrypt');
  assert.equal(re.code, 0, re.stderr);
  assert.match(re.stdout, /2 rewritten under the current key, 0 failed/);
  assert.deepEqual((await byKey(o)).byKey, { [before.writeKey]: 3 });
  const list = await http(o, 'GET', '/api/v1/namespaces/default/secrets');
  assert.deepEqual(list.json.items.map((s: { data: { v: string } }) => Buffer.from(s.data.v, 'base64').toString()).sort(), ['box', 'gcm', 'kms']);
});

test('a missing plugin: the server serves, readyz names the provider, writes fail with a message naming it', async () => {
  const dir = scratch();
  const cfg = join(dir, 'enc.yaml');
  const sock = join(dir, 'absent.sock');
  writeEncryptionConfig(cfg, [kmsProvider('absent', sock), 'identity: {}']);
  const o = await server(['--encryption-provider-config', cfg]);
  const ready = await http(o, 'GET', '/readyz?verbose');
  assert.equal(ready.status, 500);
  assert.match(ready.text, /\[-\]kms-providers failed: kms provider "absent" failed/);
  await logged(o, /kms v2 provider is not healthy/);
  const c = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'x' }, stringData: { v: VALUE } });
  assert.equal(c.status, 500);
  assert.equal(c.json.reason, 'InternalError');
  assert.match(c.json.message, new RegExp(`kms v2 provider "absent" has no data key yet: the plugin at unix://${sock} has not answered Status and Encrypt successfully`));
  assert.doesNotMatch(c.text, new RegExp(VALUE));
});

test('a KMS v1 provider is refused at start with a message naming it', async () => {
  const dir = scratch();
  const cfg = join(dir, 'enc.yaml');
  writeEncryptionConfig(cfg, [`kms:\n  name: old\n  endpoint: unix://${join(dir, 'v1.sock')}`]);
  await assert.rejects(startOpaque({ args: ['--encryption-provider-config', cfg] }),
    /resources\[0\]\.providers\[0\]\.kms: kms provider "old" uses apiVersion v1, which Opaque does not support/);
});

test('automatic reload adds a kms provider; the guided rotation of a secretbox key works with kms listed', async () => {
  const dir = scratch();
  const p = await plugin(dir);
  const cfg = join(dir, 'enc.yaml');
  writeEncryptionConfig(cfg, [secretbox('box1', 1)]);
  const o = await server(['--encryption-provider-config', cfg, '--encryption-provider-config-automatic-reload']);
  assert.match((await http(o, 'GET', '/readyz?verbose')).text, /\[\+\]kms-providers ok/, 'registered when reload is on, as kube');
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'a' }, stringData: { v: 'a' } })).status, 201);

  // kms listed after secretbox (a reader): the reload connects to the plugin before taking effect.
  writeEncryptionConfig(`${cfg}.new`, [secretbox('box1', 1), kmsProvider('kms1', p.socket)]);
  renameSync(`${cfg}.new`, cfg);
  await until(async () => (await opaque(o, 'encryption', 'status', '-o', 'json')).stdout.includes('"type": "kms"'));
  const prep = await opaque(o, 'encryption', 'rotate', 'prepare');
  assert.equal(prep.code, 0, prep.stderr);
  const promote = await opaque(o, 'encryption', 'rotate', 'promote');
  assert.equal(promote.code, 0, promote.stderr);
  const doc = parse(readFileSync(cfg, 'utf8'));
  assert.equal(doc.resources[0].providers[0].secretbox.keys.length, 2);
  assert.equal(doc.resources[0].providers[1].kms.name, 'kms1', 'the kms provider is kept');
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'b' }, stringData: { v: 'b' } })).status, 201);

  // kms first: new writes go through the plugin; both secretbox keys still read.
  const keys = doc.resources[0].providers[0].secretbox.keys as { name: string; secret: string }[];
  writeEncryptionConfig(`${cfg}.new`, [kmsProvider('kms1', p.socket), `secretbox:\n  keys:\n${keys.map((k) => `    - name: ${k.name}\n      secret: ${k.secret}`).join('\n')}`]);
  renameSync(`${cfg}.new`, cfg);
  await until(async () => (await byKey(o)).writeKey.startsWith('k8s:enc:kms:v2:kms1'));
  assert.equal((await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'c' }, stringData: { v: 'c' } })).status, 201);
  assert.deepEqual([await readSecret(o, 'a'), await readSecret(o, 'b'), await readSecret(o, 'c')], ['a', 'b', 'c']);
  assert.equal(Object.entries((await byKey(o)).byKey).filter(([k]) => k.startsWith('k8s:enc:kms:v2:kms1')).length, 1);
});

async function until(f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}
