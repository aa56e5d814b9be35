// `opaque backup` and `opaque restore`: a backup taken through a running server while clients write is
// one consistent snapshot; restored into a fresh data dir or into etcd, servers there serve the same
// Secrets with the same values (stored bytes unchanged, still encrypted); a cut-off or altered file
// is refused before anything is written; a backup cut off by a server that died leaves no file; a
// non-admin gets 403 and no file; the audit log names who took the backup.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, removeDir, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js';
import { fillDatabase, secretboxConfig } from '../../bench/lib/reencrypt-data.js';
import { readAudit } from './audit-lib.js';
import { eventually, secretsPath } from './api-lib.js';

let source: Opaque;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

const opaque = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), ...args], { env: { ...process.env, ...env }, timeoutMs: 120_000 });
const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  source = await startOpaque({ env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  dir = tempDir('backups');
  assert.equal((await http(source, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).status, 201);
  for (let i = 0; i < 120; i++) {
    const r = await http(source, 'POST', secretsPath('team'), { metadata: { name: `s${i}` }, data: { v: b64(`value-${i}`) } });
    assert.equal(r.status, 201);
  }
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await cleanup(source);
  removeDir(dir);
});

/** A data dir that shares the source's PKI and encryption keys, as an operator restoring would prepare. */
function withSourceKeys(target: string): string {
  mkdirSync(target, { recursive: true, mode: 0o700 });
  cpSync(join(source.dataDir, 'pki'), join(target, 'pki'), { recursive: true });
  cpSync(join(source.dataDir, 'encryption.yaml'), join(target, 'encryption.yaml'));
  return target;
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));

test('a backup during writes is one snapshot; restored into a data dir, a server serves the same Secrets', async () => {
  // Writers keep creating while the backup runs.
  let stop = false;
  let written = 0;
  const writer = (async () => {
    for (let n = 0; !stop; n++) {
      const r = await http(source, 'POST', secretsPath('team'), { metadata: { name: `live-${n}` }, data: { v: b64(`live-${n}`) } });
      if (r.status === 201) written++;
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  const file = join(dir, 'during-writes.backup');
  const b = await opaque(['backup', '-o', file, '--kubeconfig', source.kubeconfig]);
  stop = true;
  await writer;
  assert.equal(b.code, 0, b.stderr);
  assert.ok(written > 0, 'writes happened during the backup');
  assert.match(b.stdout, /^backed up (\d+) objects \(revision \d+, [\d.]+ MB\) to .*during-writes\.backup$/m);
  assert.match(b.stdout, /Secrets in it are encrypted as stored \(k8s:enc:secretbox:v1:key-[^)]+\); the file holds no keys/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.partial')), [], 'nothing left aside');

  const [header, ...rest] = lines(file);
  const trailer = rest.pop();
  assert.equal(header.kind, 'OpaqueBackup');
  assert.equal(header.count, rest.length);
  assert.equal(trailer.count, rest.length);
  assert.ok(rest.every((e, i) => i === 0 || e.key > rest[i - 1].key), 'entries in key order, each once');
  const secrets = rest.filter((e) => e.key.startsWith('/registry/secrets/team/'));
  assert.ok(secrets.length >= 120, `${secrets.length} Secrets in the backup`);
  assert.ok(secrets.every((e) => Buffer.from(e.value, 'base64').toString().startsWith('k8s:enc:secretbox:v1:')), 'values as stored: encrypted');

  const target = join(dir, 'restored');
  const r = await opaque(['restore', '--from', file, '--to', target]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`restored ${header.count} objects under /registry/ from .* into data dir .*; verified ${header.count} by reading them back`));
  const restored = await startOpaque({ dataDir: withSourceKeys(target), env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  cleanups.push(() => cleanup(restored));
  const list = (await http(restored, 'GET', secretsPath('team'))).json.items as { metadata: { name: string }; data: { v: string } }[];
  assert.equal(list.length, secrets.length, 'exactly the Secrets of the snapshot');
  for (const s of list) {
    const expected = s.metadata.name.startsWith('live-') ? s.metadata.name : `value-${s.metadata.name.slice(1)}`;
    assert.equal(Buffer.from(s.data.v, 'base64').toString(), expected, s.metadata.name);
  }
  // The same PKI: the source's admin kubeconfig works against the restored server.
  assert.equal((await http(restored, 'GET', secretsPath('team', 's42'), undefined, {}, source.agent())).status, 200);

  // Who took it is in the source's audit log.
  const events = readAudit(join(source.dataDir, 'audit.log')).filter((e) => e.requestURI === '/opaque/v1/backup' && e.stage === 'ResponseComplete');
  assert.equal(events.length, 1);
  assert.equal(events[0].user.username, 'opaque-admin');
  assert.equal(events[0].responseStatus.code, 200);
});

test('restored into etcd, a server there reads the same values', async () => {
  const etcd: EtcdCluster = await startEtcd(1);
  cleanups.push(() => etcd.stop());
  const file = join(dir, 'for-etcd.backup');
  assert.equal((await opaque(['backup', '-o', file, '--kubeconfig', source.kubeconfig])).code, 0);
  const to = `etcd://${new URL(etcd.members[0]!.clientUrl).host}`;
  const r = await opaque(['restore', '--from', file, '--to', to]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /into etcd http:\/\/127\.0\.0\.1:\d+; verified \d+ by reading them back/);
  const onEtcd = await startOpaque({ dataDir: withSourceKeys(tempDir('data')), args: ['--etcd-servers', etcd.endpoints] });
  cleanups.push(() => cleanup(onEtcd));
  const s = await http(onEtcd, 'GET', secretsPath('team', 's7'));
  assert.equal(s.status, 200, s.text);
  assert.equal(Buffer.from(s.json.data.v, 'base64').toString(), 'value-7');
});

test('a cut-off or altered backup, or a target in use, is refused before anything is written', async () => {
  const file = join(dir, 'good.backup');
  assert.equal((await opaque(['backup', '-o', file, '--kubeconfig', source.kubeconfig])).code, 0);
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');

  const cut = join(dir, 'cut.backup');
  writeFileSync(cut, text.slice(0, -1).join('\n') + '\n');
  const altered = join(dir, 'altered.backup');
  const entry = JSON.parse(text[5]!);
  const bytes = Buffer.from(entry.value, 'base64');
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(altered, [...text.slice(0, 5), JSON.stringify({ ...entry, value: bytes.toString('base64') }), ...text.slice(6)].join('\n') + '\n');
  const other = join(dir, 'not-a-backup');
  writeFileSync(other, '{"kind":"Secret"}\n');

  for (const [bad, message] of [
    [cut, /ends before its end marker: the backup is incomplete/],
    [altered, /the entries do not match their checksum/],
    [other, /is not an Opaque backup/],
  ] as const) {
    const target = join(dir, `target-${bad.split('/').pop()}`);
    const r = await opaque(['restore', '--from', bad, '--to', target]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, message);
    assert.equal(existsSync(target), false, 'no target was even created');
  }

  // A target that already holds objects needs --force; the source's data dir is locked by its server.
  const full = join(dir, 'full');
  assert.equal((await opaque(['restore', '--from', file, '--to', full])).code, 0);
  const again = await opaque(['restore', '--from', file, '--to', full]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /the target already holds \d+ objects under \/registry\/; use --force/);
  assert.equal((await opaque(['restore', '--from', file, '--to', full, '--force'])).code, 0);
  const busy = await opaque(['restore', '--from', file, '--to', source.dataDir, '--force']);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /in use by another opaque server/);
});

test('a user who is not a cluster admin gets 403 and no file', async () => {
  const kc = join(dir, 'bob.kubeconfig');
  const issued = await opaque(['kubeconfig', '--user', 'bob', '--data-dir', source.dataDir, '-o', kc]);
  assert.equal(issued.code, 0, issued.stderr);
  const file = join(dir, 'bob.backup');
  const r = await opaque(['backup', '-o', file, '--kubeconfig', kc]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /403: forbidden: User "bob" cannot get path "\/opaque\/v1\/backup"/);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(`${file}.partial`), false);
});

test('a backup cut off by a server that died leaves nothing behind', async () => {
  const dataDir = tempDir('data');
  const config = secretboxConfig([{ name: 'k1', secret: Buffer.alloc(32, 3).toString('base64') }]);
  await fillDatabase(dataDir, config, 60_000, () => {});
  writeFileSync(join(dataDir, 'encryption.yaml'), config, { mode: 0o600 });
  const o = await startOpaque({ dataDir, env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  try {
    const file = join(dir, 'cut-off.backup');
    const running = opaque(['backup', '-o', file, '--kubeconfig', o.kubeconfig]);
    await eventually(async () => existsSync(`${file}.partial`) && statSync(`${file}.partial`).size > 0, 20_000, 'the backup to start arriving');
    await o.kill9();
    const r = await running;
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^error: /m);
    assert.equal(existsSync(file), false, 'no backup file');
    assert.equal(existsSync(`${file}.partial`), false, 'nothing left aside');
  } finally {
    await cleanup(o);
  }
});
