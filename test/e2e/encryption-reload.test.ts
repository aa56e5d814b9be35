// --encryption-provider-config-automatic-reload: a changed file takes effect while the server serves
// (new writes under the new first key, old values still readable); a broken file keeps the running
// configuration, and is reported by a metric and /readyz?verbose.

import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cleanup, http, logged, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';

const key = (n: number) => Buffer.alloc(32, n).toString('base64');
const config = (keys: string[]) => `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
${keys.map((k) => `            - name: ${k}\n              secret: ${key(Number(k.slice(3)))}`).join('\n')}
`;

/** Replaces the file the way editors and config mounts do: write aside, rename over. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

async function reloads(o: Opaque, status: 'success' | 'failure'): Promise<number> {
  const m = await http(o, 'GET', '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith('apiserver_encryption_config_controller_automatic_reloads_total') && l.includes(`status="${status}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a good file is picked up while serving; a broken one keeps the running configuration and is reported', async () => {
  const dir = tempDir('reload');
  const file = join(dir, 'enc.yaml');
  writeFileSync(file, config(['key1']), { mode: 0o600 });
  const o = await startOpaque({ args: ['--encryption-provider-config', file, '--encryption-provider-config-automatic-reload'] });
  try {
    const create = async (name: string) => {
      const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name }, stringData: { v: name } });
      assert.equal(r.status, 201, r.text);
    };
    await create('before');
    replace(file, config(['key2', 'key1']));
    await until('the reload', async () => (await reloads(o, 'success')) === 1);
    await create('after');
    const old = await http(o, 'GET', '/api/v1/namespaces/default/secrets/before');
    assert.equal(old.status, 200, 'values under the previous key stay readable');

    replace(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: key3\n              secret: dG9vIHNob3J0\n');
    await until('the failed reload', async () => (await reloads(o, 'failure')) === 1);
    await create('during-broken');
    const ready = await http(o, 'GET', '/readyz?verbose');
    assert.equal(ready.status, 200, 'a broken file does not take the server out of service');
    assert.match(ready.text, /\[\+\]encryption-config ok \(the last reload of .* failed at .*; the previous configuration is in force\)/);
    await logged(o, /encryption configuration reload failed/);
    await logged(o, /secret is not of the expected length/);
    const metrics = await http(o, 'GET', '/metrics');
    assert.match(metrics.text, /apiserver_storage_transformation_operations_total\{transformation_type="to_storage",transformer_prefix="k8s:enc:aescbc:v1:",status="OK"\} [1-9]/);
  } finally {
    await cleanup(o, false);
  }
  const db = new Database(join(o.dataDir, 'opaque.db'), { readonly: true });
  const prefix = (name: string) => (db.prepare('SELECT value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1').get(`/registry/secrets/default/${name}`) as { value: Buffer }).value.subarray(0, 23).toString();
  assert.equal(prefix('before'), 'k8s:enc:aescbc:v1:key1:');
  assert.equal(prefix('after'), 'k8s:enc:aescbc:v1:key2:');
  assert.equal(prefix('during-broken'), 'k8s:enc:aescbc:v1:key2:');
  db.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(o.dataDir, { recursive: true, force: true });
});
