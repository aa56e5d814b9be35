// Key rotation as an operator runs it: `opaque encryption status` counts stored objects per key,
// `opaque encryption reencrypt` rewrites those not under the current write key while clients keep
// writing, and resumes after the server is killed in the middle of it.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, cleanup, http, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';

const BIN = join(ROOT, 'bin', 'opaque.js');

const dir = tempDir('rotate');
const file = join(dir, 'enc.yaml');
after(() => rmSync(dir, { recursive: true, force: true }));

function useKeys(...names: string[]): void {
  writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
${names.map((n) => `            - name: ${n}\n              secret: ${Buffer.alloc(32, Number(n.slice(3))).toString('base64')}`).join('\n')}
`, { mode: 0o600 });
}

const opaque = (o: Opaque, ...args: string[]) => run(process.execPath, [BIN, ...args, '--kubeconfig', o.kubeconfig]);

async function status(o: Opaque): Promise<{ byKey: Record<string, number>; stale: number; stored: number }> {
  const r = await opaque(o, 'encryption', 'status', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).resources.find((x: { resource: string }) => x.resource === 'secrets');
}

async function createMany(o: Opaque, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => http(o, 'POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: `${prefix}-${i + j}` }, stringData: { v: `${prefix}-${i + j}` },
    }).then((r) => assert.equal(r.status, 201, r.text))));
  }
}

let o: Opaque | undefined;
after(async () => {
  if (o) await cleanup(o);
});

test('status counts per key; reencrypt moves everything to the new write key, online, and resumes after kill -9', async () => {
  useKeys('key1');
  o = await startOpaque({ args: ['--encryption-provider-config', file] });
  const dataDir = o.dataDir;
  await createMany(o, 'a', 300);
  assert.deepEqual((await status(o)).byKey, { 'k8s:enc:aescbc:v1:key1': 300 });
  await cleanup(o, false);

  useKeys('key2', 'key1'); // rotate: the new key writes, the old one still reads
  o = await startOpaque({ dataDir, args: ['--encryption-provider-config', file] });
  const before = await status(o);
  assert.equal(before.stale, 300);
  const re = await opaque(o, 'encryption', 'reencrypt');
  assert.equal(re.code, 0, re.stderr);
  const checked = /reencrypt: (\d+) objects checked, 300 rewritten under the current key, 0 failed/.exec(re.stdout);
  assert.ok(checked, re.stdout);
  // Built-in objects are checked too (namespaces, the default RBAC policy): already current, so not rewritten.
  const others = Number(checked[1]) - 300;
  assert.ok(others >= 4, re.stdout);
  assert.deepEqual((await status(o)).byKey, { 'k8s:enc:aescbc:v1:key2': 300 });
  const again = await opaque(o, 'encryption', 'reencrypt');
  assert.match(again.stdout, new RegExp(`${300 + others} objects checked, 0 rewritten`));

  // Rotate again with more data, and kill the server in the middle of the rewrite.
  await createMany(o, 'b', 3000);
  await cleanup(o, false);
  useKeys('key3', 'key2');
  o = await startOpaque({ dataDir, args: ['--encryption-provider-config', file] });
  // Follow the server's progress stream and kill it as soon as the rewrite is inside the secrets.
  const killedAt = await new Promise<{ scanned: number; total: number }>((resolve, reject) => {
    // At 250 objects a second the 3,300 secrets take over thirteen seconds: even a client slowed by a
    // loaded machine, reading the first progress line late, kills the server mid-rewrite.
    const req = request(`${o!.url}/opaque/v1/encryption/reencrypt?rate=250`, { method: 'POST', agent: o!.agent() }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (const line of buf.split('\n').slice(0, -1)) {
          const ev = JSON.parse(line);
          if (ev.phase === 'progress' && ev.scanned > 4 && ev.scanned < ev.total) {
            res.destroy();
            resolve(ev);
            return;
          }
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      res.on('end', () => reject(new Error('the rewrite finished before it could be interrupted')));
    });
    req.on('error', () => undefined);
    req.end();
    // Clients keep writing while it runs.
    void (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await http(o!, 'PUT', `/api/v1/namespaces/default/secrets/b-${i}`, { metadata: { name: `b-${i}` }, stringData: { v: `new-${i}` } }).catch(() => undefined);
        if (r?.status !== 200) return;
      }
    })();
  });
  await o.kill9();
  assert.ok(killedAt.scanned < killedAt.total, JSON.stringify(killedAt));
  o = await startOpaque({ dataDir, args: ['--encryption-provider-config', file] });
  const mid = await status(o);
  assert.equal(mid.stored, 3300);
  assert.ok(mid.stale > 0 && (mid.byKey['k8s:enc:aescbc:v1:key3'] ?? 0) > 0, `killed mid-rewrite at ${JSON.stringify(killedAt)}: ${JSON.stringify(mid.byKey)}`);
  const resumed = await opaque(o, 'encryption', 'reencrypt');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`${3300 + others} objects checked`));
  const done = await status(o);
  assert.deepEqual(done.byKey, { 'k8s:enc:aescbc:v1:key3': 3300 });
  const list = await http(o, 'GET', '/api/v1/namespaces/default/secrets');
  assert.equal(list.json.items.length, 3300, 'every secret is readable');
  const b0 = await http(o, 'GET', '/api/v1/namespaces/default/secrets/b-0');
  assert.ok(['b-0', 'new-0'].includes(Buffer.from(b0.json.data.v, 'base64').toString()));
});
