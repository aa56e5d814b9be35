// The KMS plugin's life while the server runs: killed and restarted (reads and writes go on from the
// server's seed, /readyz reports the failure while it is down and recovers), and a KEK rotation in the
// plugin (the server picks up the new key id, new writes use it, older values are stale and
// `opaque encryption reencrypt` moves them, after which the old key can leave the key file).

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, cleanup, http, logged, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { type KmsPlugin, kmsProvider, startKmsPlugin, writeEncryptionConfig } from '../helpers/kms-plugin.js';

const BIN = join(ROOT, 'bin', 'opaque.js');
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(): Promise<{ dir: string; p: KmsPlugin; o: Opaque; cfg: string }> {
  const dir = tempDir('kms');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const p = await startKmsPlugin(join(dir, 'kms.sock'), join(dir, 'kek.yaml'));
  cleanups.push(() => p.stop());
  const cfg = join(dir, 'enc.yaml');
  writeEncryptionConfig(cfg, [kmsProvider('kms1', p.socket)]);
  const o = await startOpaque({ args: ['--encryption-provider-config', cfg] });
  cleanups.push(() => cleanup(o));
  return { dir, p, o, cfg };
}

const opaque = (o: Opaque, ...args: string[]) => run(process.execPath, [BIN, ...args, '--kubeconfig', o.kubeconfig]);
const create = async (o: Opaque, name: string, v: string) => {
  const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name }, stringData: { v } });
  assert.equal(r.status, 201, r.text);
};
async function values(o: Opaque): Promise<Record<string, string>> {
  const l = await http(o, 'GET', '/api/v1/namespaces/default/secrets');
  assert.equal(l.status, 200, l.text);
  return Object.fromEntries(l.json.items.map((s: { metadata: { name: string }; data: { v: string } }) => [s.metadata.name, Buffer.from(s.data.v, 'base64').toString()]));
}
async function status(o: Opaque): Promise<{ writeKey: string; byKey: Record<string, number>; stale: number }> {
  const r = await opaque(o, 'encryption', 'status', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).resources.find((x: { resource: string }) => x.resource === 'secrets');
}
/** Polls (every 500 ms, as a readiness probe would, which also drives the server's plugin checks). */
async function until(what: string, f: () => Promise<boolean>, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('the plugin killed and restarted: reads and writes go on, /readyz fails while it is down and recovers', async () => {
  const { dir, p, o } = await setup();
  for (let i = 0; i < 5; i++) await create(o, `s${i}`, `v${i}`);
  await p.kill9();

  // A list decodes every value through the transformer: the seed comes from the server's cache.
  assert.deepEqual(await values(o), { s0: 'v0', s1: 'v1', s2: 'v2', s3: 'v3', s4: 'v4' });
  // Writes keep the last good seed for up to 3 minutes after the last good check.
  await create(o, 'while-down', 'still-written');
  assert.equal((await values(o))['while-down'], 'still-written');

  let verbose = '';
  await until('readyz to report the plugin', async () => {
    const r = await http(o, 'GET', '/readyz?verbose');
    verbose = r.text;
    return r.status === 500;
  });
  assert.match(verbose, /\[-\]kms-providers failed: kms provider "kms1" failed/);
  assert.match((await http(o, 'GET', '/healthz?verbose')).text, /\[-\]kms-providers failed/);
  assert.equal((await http(o, 'GET', '/livez')).status, 200, 'liveness does not depend on the plugin');
  await logged(o, /kms v2 provider is not healthy/);

  // SIGKILL left the socket file behind: the new plugin replaces it.
  assert.ok(existsSync(join(dir, 'kms.sock')));
  const again = await startKmsPlugin(join(dir, 'kms.sock'), p.keyFile);
  cleanups.push(() => again.stop());
  await until('readyz to recover', async () => (await http(o, 'GET', '/readyz')).status === 200);
  await create(o, 'after', 'recovered');
  assert.equal(Object.keys(await values(o)).length, 7);
  assert.equal((await status(o)).stale, 0, 'same key id: nothing to rewrite');
});

test('KEK rotation in the plugin: the new key id is picked up, old values are stale, reencrypt moves them, the old key can go', async () => {
  const { p, o, cfg } = await setup();
  for (let i = 0; i < 10; i++) await create(o, `s${i}`, `v${i}`);
  const before = await status(o);
  const oldKeyID = before.writeKey.split('key_id=')[1]!;
  assert.deepEqual(before.byKey, { [before.writeKey]: 10 });

  const rot = await run(process.execPath, [BIN, 'kms-plugin', 'rotate-kek', '--key-file', p.keyFile]);
  assert.equal(rot.code, 0, rot.stderr);
  const newKeyID = /key id (\S+)\)/.exec(rot.stdout)![1]!;
  assert.notEqual(newKeyID, oldKeyID);
  await until('the plugin to reload its key file', async () => p.stderr().includes(`active key id ${newKeyID} (changed)`), 10_000);
  await until('the server to adopt the new key id', async () => {
    await http(o, 'GET', '/readyz');
    return (await status(o)).writeKey.endsWith(`key_id=${newKeyID}`);
  });

  await create(o, 'new', 'under-new-key');
  const mid = await status(o);
  assert.equal(mid.byKey[`k8s:enc:kms:v2:kms1 key_id=${newKeyID}`], 1);
  assert.equal(mid.byKey[`k8s:enc:kms:v2:kms1 key_id=${oldKeyID}`], 10);
  assert.equal(mid.stale, 10);

  const re = await opaque(o, 'encryption', 'reencrypt');
  assert.equal(re.code, 0, re.stderr);
  assert.match(re.stdout, /10 rewritten under the current key, 0 failed/);
  assert.deepEqual((await status(o)).byKey, { [`k8s:enc:kms:v2:kms1 key_id=${newKeyID}`]: 11 });

  // Nothing is stored under the old key: drop it from the key file; a fresh server reads everything.
  const doc = parse(readFileSync(p.keyFile, 'utf8'));
  writeFileSync(p.keyFile, stringify({ keys: doc.keys.slice(0, 1) }), { mode: 0o600 });
  p.proc.kill('SIGHUP');
  await until('the plugin to reload', async () => /key file reloaded: 1 key\(s\)/.test(p.stderr()), 10_000);
  const dataDir = o.dataDir;
  await o.stop();
  const fresh = await startOpaque({ dataDir, args: ['--encryption-provider-config', cfg] });
  cleanups.push(() => cleanup(fresh, false));
  const all = await values(fresh);
  assert.equal(Object.keys(all).length, 11);
  assert.equal(all['s3'], 'v3');
});

test('the plugin refuses a key file other users can read, and a socket another plugin serves; SIGTERM removes its socket', async () => {
  const dir = tempDir('kms');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const p = await startKmsPlugin(join(dir, 'kms.sock'), join(dir, 'kek.yaml'));
  assert.equal(statSync(p.keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(p.socket).mode & 0o777, 0o600);
  await assert.rejects(startKmsPlugin(p.socket, p.keyFile), /kms\.sock is in use by another process/);
  assert.equal(await p.stop(), 0);
  assert.equal(existsSync(p.socket), false);

  chmodSync(p.keyFile, 0o644);
  await assert.rejects(startKmsPlugin(p.socket, p.keyFile), /kek\.yaml is accessible by other users \(mode 0644\)/);
  writeFileSync(p.keyFile, 'keys:\n  - name: k\n    secret: c2hvcnQ=\n', { mode: 0o600 });
  chmodSync(p.keyFile, 0o600);
  await assert.rejects(startKmsPlugin(p.socket, p.keyFile), /keys\[0\]\.secret: must be 32 bytes/);
});
