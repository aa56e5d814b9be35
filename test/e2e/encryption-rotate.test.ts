// The guided rotation on the generated configuration, as an operator runs it: steps refuse to run
// out of order, repeat safely, and end with every Secret under the new key and the old key gone.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, cleanup, http, run, startOpaque, type Opaque } from '../helpers/opaque.js';

const BIN = join(ROOT, 'bin', 'opaque.js');
let o: Opaque;
before(async () => {
  o = await startOpaque();
});
after(async () => {
  if (o) await cleanup(o);
});

const opaque = (...args: string[]) => run(process.execPath, [BIN, ...args, '--kubeconfig', o.kubeconfig]);
const keysInFile = () => parse(readFileSync(join(o.dataDir, 'encryption.yaml'), 'utf8')).resources[0].providers[0].secretbox.keys.map((k: { name: string }) => k.name);
async function byKey(): Promise<Record<string, number>> {
  const r = await opaque('encryption', 'status', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).resources.find((x: { resource: string }) => x.resource === 'secrets').byKey;
}

test('prepare, promote, reencrypt, cleanup — in order only, each repeatable', async () => {
  for (let i = 0; i < 20; i++) {
    const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: `s${i}` }, stringData: { v: `v${i}` } });
    assert.equal(r.status, 201, r.text);
  }
  const [oldKey] = keysInFile();
  assert.deepEqual(await byKey(), { [`k8s:enc:secretbox:v1:${oldKey}`]: 20 });

  const early = await opaque('encryption', 'rotate', 'promote');
  assert.equal(early.code, 1);
  assert.match(early.stderr, /cannot promote: the rotation is at stage "none"; the next step is prepare/);

  const prep = await opaque('encryption', 'rotate', 'prepare');
  assert.equal(prep.code, 0, prep.stderr);
  const [, newKey] = keysInFile();
  assert.ok(newKey && newKey !== oldKey, 'a second key was added after the writer');
  assert.match((await opaque('encryption', 'rotate', 'prepare')).stdout, /already prepared/);
  assert.equal(keysInFile().length, 2, 'repeating prepare adds nothing');
  // Still written with the old key: the new one only reads so far.
  await http(o, 'PUT', '/api/v1/namespaces/default/secrets/s0', { metadata: { name: 's0' }, stringData: { v: 'changed' } });
  assert.equal((await byKey())[`k8s:enc:secretbox:v1:${oldKey}`], 20);

  const cleanupEarly = await opaque('encryption', 'rotate', 'cleanup');
  assert.equal(cleanupEarly.code, 1);
  assert.match(cleanupEarly.stderr, /the next step is promote/);

  assert.equal((await opaque('encryption', 'rotate', 'promote')).code, 0);
  assert.deepEqual(keysInFile(), [newKey, oldKey]);
  await http(o, 'PUT', '/api/v1/namespaces/default/secrets/s1', { metadata: { name: 's1' }, stringData: { v: 'changed' } });
  assert.equal((await byKey())[`k8s:enc:secretbox:v1:${newKey}`], 1, 'new writes use the promoted key');

  const re = await opaque('encryption', 'rotate', 'reencrypt');
  assert.equal(re.code, 0, re.stderr);
  assert.match(re.stdout, /19 rewritten under the current key, 0 failed/);
  assert.deepEqual(await byKey(), { [`k8s:enc:secretbox:v1:${newKey}`]: 20 });

  const clean = await opaque('encryption', 'rotate', 'cleanup');
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /removed; the rotation is complete/);
  assert.deepEqual(keysInFile(), [newKey]);
  const list = await http(o, 'GET', '/api/v1/namespaces/default/secrets');
  assert.equal(list.json.items.length, 20);

  // After a restart only the new key exists, and every Secret reads.
  const dataDir = o.dataDir;
  await cleanup(o, false);
  o = await startOpaque({ dataDir });
  const s0 = await http(o, 'GET', '/api/v1/namespaces/default/secrets/s0');
  assert.equal(Buffer.from(s0.json.data.v, 'base64').toString(), 'changed');
  assert.match(readFileSync(join(o.dataDir, 'encryption.yaml'), 'utf8'), /^# Encryption at rest for Opaque/, 'the file keeps its comments');
});
