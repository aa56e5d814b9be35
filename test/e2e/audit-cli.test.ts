// `opaque audit` on the log of a real server: who read a Secret (including lists of its namespace),
// what a user touched, verb, resource and time filters, table and NDJSON output, and a log that was
// rotated (lumberjack names, --audit-log-maxbackup honoured) read across its backups.

import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, kubectl, removeDir, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { b64, secret, secretsPath } from './api-lib.js';
import { opaqueAudit, readAudit, userAgent } from './audit-lib.js';

const rows = (stdout: string) => stdout.trim().split('\n').slice(1).map((l) => l.split(/ {3,}/));

describe('queries', () => {
  let o: Opaque;
  let bob: Agent;
  let startedAt: string;

  before(async () => {
    startedAt = new Date(Date.now() - 1000).toISOString();
    o = await startOpaque({ args: ['--authorization-mode', 'AlwaysAllow'] });
    bob = await userAgent(o, 'bob', ['ops']);
    assert.equal((await kubectl(o, ['create', 'secret', 'generic', 'db', '--from-literal=p=1', '-n', 'default'])).code, 0);
    assert.equal((await kubectl(o, ['create', 'namespace', 'other'])).code, 0);
    assert.equal((await kubectl(o, ['create', 'secret', 'generic', 'db', '--from-literal=p=2', '-n', 'other'])).code, 0);
    assert.equal((await http(o, 'GET', secretsPath('default', 'db'), undefined, { 'x-forwarded-for': '192.0.2.10' }, bob)).status, 200);
    assert.equal((await http(o, 'GET', secretsPath('default'), undefined, {}, bob)).status, 200);
    assert.equal((await http(o, 'GET', secretsPath('other', 'db'), undefined, {}, bob)).status, 200);
    assert.equal((await http(o, 'GET', '/api/v1/secrets', undefined, {}, bob)).status, 200);
    assert.equal((await http(o, 'DELETE', secretsPath('default', 'db'))).status, 200);
    await o.stop();
  });

  after(async () => {
    bob?.destroy();
    if (o) await cleanup(o);
  });

  test('who read secret/default/db: direct reads and lists of its namespace or of all namespaces', async () => {
    const r = await opaqueAudit(['secret/default/db', '--data-dir', o.dataDir, '--verb', 'get,list,watch']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines[0]!.split(/ {3,}/), ['TIME', 'USER', 'VERB', 'RESOURCE', 'NAMESPACE/NAME', 'CODE', 'SOURCE IP', 'USER AGENT']);
    const got = rows(r.stdout).map((c) => [c[1], c[2], c[3], c[4], c[5], c[6]]);
    assert.deepEqual(got, [
      ['bob', 'get', 'secrets', 'default/db', '200', '192.0.2.10,127.0.0.1'],
      ['bob', 'list', 'secrets', 'default/*', '200', '127.0.0.1'],
      ['bob', 'list', 'secrets', '*', '200', '127.0.0.1'],
    ]);
    for (const c of rows(r.stdout)) assert.match(c[0]!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(r.stderr, /^3 requests found \(\d+ events read from 1 file\)$/m);
  });

  test('the same with flags; the whole history of the secret includes the admin\'s create and delete', async () => {
    const r = await opaqueAudit(['--namespace', 'default', '--name', 'db', '--resource', 'secret', '--data-dir', o.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout).map((c) => `${c[1]} ${c[2]}`), ['opaque-admin create', 'bob get', 'bob list', 'bob list', 'opaque-admin delete']);
  });

  test('what did bob touch: --user, as NDJSON events (final stage only)', async () => {
    const r = await opaqueAudit(['--user', 'bob', '-o', 'json', '--data-dir', o.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(evs.length, 4);
    for (const e of evs) {
      assert.equal(e.user.username, 'bob');
      assert.equal(e.stage, 'ResponseComplete');
    }
    assert.deepEqual(evs.map((e) => `${e.verb} ${e.objectRef.namespace ?? ''}/${e.objectRef.name ?? ''}`), ['get default/db', 'list default/', 'get other/db', 'list /']);
  });

  test('time bounds: RFC 3339 and durations', async () => {
    const all = await opaqueAudit(['--since', '1h', '--data-dir', o.dataDir, '-o', 'json']);
    const before = await opaqueAudit(['--until', startedAt, '--data-dir', o.dataDir]);
    const since = await opaqueAudit(['--since', startedAt, '--data-dir', o.dataDir, '-o', 'json']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok(all.stdout.trim().split('\n').length >= 8);
    assert.equal(since.stdout, all.stdout);
    assert.equal(before.stdout, 'No matching requests.\n');
    const bad = await opaqueAudit(['--since', 'yesterday', '--data-dir', o.dataDir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"yesterday" is neither a duration \(30m, 1h, 7d\) nor an RFC 3339 time/);
  });

  test('--resource namespaces; a missing log is a clear error', async () => {
    const r = await opaqueAudit(['--resource', 'ns', '--data-dir', o.dataDir]);
    assert.deepEqual(rows(r.stdout).map((c) => `${c[2]} ${c[4]}`), ['create other']);
    const none = await opaqueAudit(['--data-dir', join(o.dataDir, 'nope')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no audit log at \S+nope\/audit\.log \(use --data-dir or --audit-log-path\)/);
  });
});

describe('rotation', () => {
  let o: Opaque;
  let dir: string;

  before(async () => {
    dir = tempDir('audit-rot');
    // RequestResponse bodies of ~270 KB each way, kept whole (no truncation): two or three events fill a 1 MB file.
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: RequestResponse\n    resources: [{group: "", resources: [secrets]}]\n');
    o = await startOpaque({ args: ['--authorization-mode', 'AlwaysAllow', '--audit-policy-file', join(dir, 'policy.yaml'), '--audit-log-path', join(dir, 'audit.log'), '--audit-log-maxsize', '1', '--audit-log-maxbackup', '2', '--audit-log-truncate-enabled=false'] });
    const big = b64(Buffer.alloc(200 * 1024, 7));
    for (let i = 0; i < 10; i++) {
      const r = await http(o, 'POST', secretsPath('default'), secret(`big-${i}`, { data: { blob: big } }));
      assert.equal(r.status, 201, r.text);
      await new Promise((res) => setTimeout(res, 5));
    }
    await o.stop();
  });

  after(async () => {
    if (o) await cleanup(o);
    removeDir(dir);
  });

  test('lumberjack names, at most --audit-log-maxbackup backups, 0600, every line a whole event', () => {
    const names = readdirSync(dir).filter((n) => n !== 'policy.yaml').sort();
    assert.equal(names.length, 3, names.join(' '));
    assert.equal(names[names.length - 1], 'audit.log');
    for (const n of names.slice(0, -1)) assert.match(n, /^audit-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log$/);
    for (const n of names) {
      assert.equal(statSync(join(dir, n)).mode & 0o777, 0o600);
      assert.ok(statSync(join(dir, n)).size <= 1024 * 1024);
      for (const e of readAudit(join(dir, n))) assert.equal(e.verb, 'create');
    }
  });

  test('opaque audit reads the backups and the live log, oldest first', async () => {
    const r = await opaqueAudit(['--audit-log-path', join(dir, 'audit.log'), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const inFiles = readdirSync(dir).filter((n) => n.endsWith('.log')).reduce((n, f) => n + readAudit(join(dir, f)).length, 0);
    assert.equal(evs.length, inFiles);
    const names = evs.map((e) => Number(e.objectRef.name.slice(4)));
    assert.equal(names[names.length - 1], 9, 'the newest is last');
    names.forEach((n, i) => i && assert.equal(n, names[i - 1]! + 1));
    assert.match(r.stderr, /from 3 files\)/);
  });
});
