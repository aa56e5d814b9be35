// Encryption at rest as a user sees it on disk: a fresh data dir encrypts Secrets with a generated
// secretbox key; an explicit aescbc configuration writes kube's byte format, which the openssl CLI
// decrypts; nothing in the database file or its WAL reveals a value; identity is explicit and warned.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { cleanup, http, logged, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';

const require = createRequire(import.meta.url);
const VALUE = 'Correct-Horse-Battery-Staple-9f3a';
const B64 = Buffer.from(VALUE).toString('base64');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function createSecret(o: Opaque, name: string): Promise<void> {
  const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name }, stringData: { password: VALUE } });
  assert.equal(r.status, 201, r.text);
}

/** Every file SQLite keeps for the database (the file itself, its WAL while the server runs). */
function dbFiles(dataDir: string): Buffer[] {
  return readdirSync(dataDir).filter((f) => f.startsWith('opaque.db')).map((f) => readFileSync(join(dataDir, f)));
}

function assertNoPlaintext(dataDir: string): void {
  for (const bytes of dbFiles(dataDir)) {
    assert.equal(bytes.includes(VALUE), false, 'the plaintext value is in a database file');
    assert.equal(bytes.includes(B64), false, 'the base64 of the value is in a database file');
  }
}

/** The newest stored bytes of a key, read from the file after the server stopped. */
function storedValue(dataDir: string, key: string): Buffer {
  const db = new Database(join(dataDir, 'opaque.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1').get(key) as { value: Buffer };
    return row.value;
  } finally {
    db.close();
  }
}

describe('default: a generated secretbox key', () => {
  test('encryption.yaml is generated 0600, values are stored under k8s:enc:secretbox and decrypt with libsodium', async () => {
    const o = await startOpaque();
    dirs.push(o.dataDir);
    const file = join(o.dataDir, 'encryption.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await createSecret(o, 'db');
    assertNoPlaintext(o.dataDir); // while running: the WAL holds the new rows
    assert.equal((await o.stop()), 0);
    assertNoPlaintext(o.dataDir);
    for (const f of readdirSync(o.dataDir).filter((n) => n.startsWith('opaque.db'))) {
      assert.equal(statSync(join(o.dataDir, f)).mode & 0o777, 0o600, `${f} is private`);
    }

    const cfg = parse(readFileSync(file, 'utf8'));
    const key = cfg.resources[0].providers[0].secretbox.keys[0];
    const stored = storedValue(o.dataDir, '/registry/secrets/default/db');
    const prefix = `k8s:enc:secretbox:v1:${key.name}:`;
    assert.equal(stored.subarray(0, prefix.length).toString(), prefix);
    const sodium = require('libsodium-wrappers');
    await sodium.ready;
    const payload = stored.subarray(prefix.length);
    const plain = sodium.crypto_secretbox_open_easy(payload.subarray(24), payload.subarray(0, 24), Buffer.from(key.secret, 'base64'));
    const obj = JSON.parse(Buffer.from(plain).toString('utf8'));
    assert.equal(obj.kind, 'Secret');
    assert.equal(obj.data.password, B64);

    // Later starts reuse the key.
    const again = await startOpaque({ dataDir: o.dataDir });
    const g = await http(again, 'GET', '/api/v1/namespaces/default/secrets/db');
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.data.password, B64);
    await cleanup(again, false);
  });

  test('a missing encryption.yaml with stored secrets: the server refuses to start rather than mint a new key', async () => {
    const o = await startOpaque();
    dirs.push(o.dataDir);
    await createSecret(o, 'kept');
    await cleanup(o, false);
    rmSync(join(o.dataDir, 'encryption.yaml'));
    await assert.rejects(startOpaque({ dataDir: o.dataDir }), /encryption\.yaml is missing but the database holds 1 secrets/);
    assert.equal(existsSync(join(o.dataDir, 'encryption.yaml')), false);
  });
});

describe('--encryption-provider-config', () => {
  test('aescbc writes kube\'s format, which the openssl CLI decrypts', async () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    const secret = Buffer.alloc(32, 7);
    const file = join(dir, 'enc.yaml');
    writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: ${secret.toString('base64')}
`, { mode: 0o600 });
    const o = await startOpaque({ args: ['--encryption-provider-config', file] });
    dirs.push(o.dataDir);
    await createSecret(o, 'cbc');
    await cleanup(o, false);
    assertNoPlaintext(o.dataDir);
    const stored = storedValue(o.dataDir, '/registry/secrets/default/cbc');
    const prefix = 'k8s:enc:aescbc:v1:key1:';
    assert.equal(stored.subarray(0, prefix.length).toString(), prefix);
    const payload = stored.subarray(prefix.length);
    const ct = join(dir, 'ct.bin');
    writeFileSync(ct, payload.subarray(16));
    const out = await run('openssl', ['enc', '-d', '-aes-256-cbc', '-K', secret.toString('hex'), '-iv', payload.subarray(0, 16).toString('hex'), '-in', ct]);
    assert.equal(out.code, 0, out.stderr);
    const obj = JSON.parse(out.stdout);
    assert.equal(obj.metadata.name, 'cbc');
    assert.equal(obj.data.password, B64);
  });

  test('identity first stores plaintext only because the configuration says so, and every start warns', async () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    const file = join(dir, 'identity.yaml');
    writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n', { mode: 0o600 });
    const o = await startOpaque({ args: ['--encryption-provider-config', file, '--log-level', 'warn'] });
    dirs.push(o.dataDir);
    await createSecret(o, 'plain');
    await logged(o, /secrets are stored unencrypted/);
    await cleanup(o, false);
    assert.equal(storedValue(o.dataDir, '/registry/secrets/default/plain').subarray(0, 1).toString(), '{');
  });

  test('a broken configuration stops the start with a message naming the field', async () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k\n              secret: c2hvcnQ=\n');
    await assert.rejects(startOpaque({ args: ['--encryption-provider-config', file] }), /resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret/);
  });
});
