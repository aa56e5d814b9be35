// The audit log never holds a Secret value at the default (Metadata) level: secrets with known values
// are written and read every way a client can (kubectl, JSON, YAML, apply, update, patches, watch) and
// through the error paths (undecodable bodies, invalid objects, conflicts, 401, 403, 404, dry run);
// then every file the server wrote — the audit log, everything else in the data dir, its stdout and
// stderr — is searched for each value and its base64.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, kubectl, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, secret, secretsPath } from './api-lib.js';
import { readAudit, userAgent } from './audit-lib.js';

let o: Opaque;
let stdout = '';
const values: string[] = [];
const canary = (short = false) => {
  // Short ones fit in the 30-byte body summaries that decode errors quote.
  const v = short ? `sv${randomBytes(4).toString('hex')}` : `canary-${randomBytes(12).toString('hex')}`;
  values.push(v);
  return v;
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

before(async () => {
  o = await startOpaque({ args: ['--authorization-mode', 'AlwaysDeny', '--log-level', 'debug'] });
  o.proc.stdout!.on('data', (d) => (stdout += d));
  const alice = await userAgent(o, 'alice', ['dev']);
  const anonymous = new Agent({ rejectUnauthorized: false, keepAlive: false });
  const expect = async (code: number, p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    assert.equal(r.status, code, r.text.slice(0, 300));
  };
  const k = async (args: string[], input?: string) => {
    const r = await kubectl(o, args, { input });
    assert.equal(r.code, 0, r.stderr);
    return r;
  };

  await k(['create', 'secret', 'generic', 'kc', `--from-literal=k=${canary()}`]);
  await expect(201, http(o, 'POST', secretsPath('default'), secret('js', { data: { k: b64(canary()) }, stringData: { s: canary() } })));
  await expect(201, http(o, 'POST', secretsPath('default'), `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ym\nstringData:\n  k: ${canary()}\n`, { 'content-type': 'application/yaml' }));
  await k(['apply', '--server-side', '-f', '-'], `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ap\nstringData:\n  k: ${canary()}\n`);
  const cur = (await http(o, 'GET', secretsPath('default', 'js'))).json;
  await expect(200, http(o, 'PUT', secretsPath('default', 'js'), { ...cur, data: { k: b64(canary()) } }));
  await expect(200, http(o, 'PATCH', secretsPath('default', 'js'), { stringData: { m: canary() } }, { 'content-type': 'application/merge-patch+json' }));
  await expect(200, http(o, 'PATCH', secretsPath('default', 'js'), [{ op: 'add', path: '/data/j', value: b64(canary()) }], { 'content-type': 'application/json-patch+json' }));
  await k(['patch', 'secret', 'kc', '-p', JSON.stringify({ stringData: { p: canary() } })]);

  // Error paths, each carrying a value.
  await expect(400, http(o, 'POST', secretsPath('default'), `{"data":{"k":"${b64(canary())}"`));
  await expect(400, http(o, 'POST', secretsPath('default'), `{"stringData":{"k":"${canary(true)}"}`));
  await expect(400, http(o, 'POST', secretsPath('default'), `{"stringData":{"k":"${canary(true)}"},]`));
  await expect(400, http(o, 'POST', secretsPath('default'), `{"kind":"Secret","stringData":{"k":"${canary()}"}, "x": }`));
  await expect(400, http(o, 'POST', secretsPath('default'), `stringData: {k: ${canary()}\n  - [`, { 'content-type': 'application/yaml' }));
  await expect(400, http(o, 'POST', secretsPath('default'), secret('bad64', { data: { k: `${canary()}!!` } })));
  await expect(422, http(o, 'POST', secretsPath('default'), secret('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64(canary()) } })));
  await expect(422, http(o, 'POST', secretsPath('default'), secret('Bad_Name', { stringData: { k: canary() } })));
  await expect(409, http(o, 'POST', secretsPath('default'), secret('js', { stringData: { k: canary() } })));
  await expect(409, http(o, 'PUT', secretsPath('default', 'js'), { ...cur, stringData: { k: canary() } }));
  await expect(401, http(o, 'POST', secretsPath('default'), secret('anon', { stringData: { k: canary() } }), {}, anonymous));
  await expect(403, http(o, 'POST', secretsPath('default'), secret('alice', { stringData: { k: canary() } }), {}, alice));
  await expect(404, http(o, 'PUT', secretsPath('default', 'missing'), secret('missing', { stringData: { k: canary() } })));
  await expect(404, http(o, 'POST', secretsPath('nonexistent-ns'), secret('x', { stringData: { k: canary() } })));
  await expect(201, http(o, 'POST', `${secretsPath('default')}?dryRun=All`, secret('dry', { stringData: { k: canary() } })));
  await expect(415, http(o, 'POST', secretsPath('default'), `k=${canary()}`, { 'content-type': 'text/plain' }));

  // Reads return the values to the client; they must not reach the log.
  await k(['get', 'secrets', '-o', 'yaml']);
  await k(['get', 'secret', 'js', '-o', 'json']);
  await expect(200, http(o, 'GET', `${secretsPath('default')}?watch=true&timeoutSeconds=1`));
  await k(['delete', 'secret', 'js']);
  alice.destroy();
  anonymous.destroy();
  assert.equal(await o.stop(), 0);
});

after(async () => {
  if (o) await cleanup(o);
});

test('the audit log recorded the session (the search below is meaningful)', () => {
  const events = readAudit(join(o.dataDir, 'audit.log'));
  assert.ok(events.length >= 25, `${events.length} events`);
  const codes = new Set(events.map((e) => e.responseStatus?.code));
  for (const c of [200, 201, 400, 401, 403, 404, 409, 415, 422]) assert.ok(codes.has(c), `an event with code ${c}`);
  assert.ok(values.length >= 20);
});

test('no value, plain or base64, in any file the server wrote or in its output', () => {
  const files = filesUnder(o.dataDir);
  assert.ok(files.some((f) => f.endsWith('audit.log')));
  const haystacks: Array<[string, string]> = [
    ...files.map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
    ['stdout', stdout],
    ['stderr', o.stderr()],
  ];
  const found: string[] = [];
  for (const v of values) {
    for (const needle of [v, b64(v)]) {
      for (const [where, text] of haystacks) if (text.includes(needle)) found.push(`${needle} in ${where}`);
    }
  }
  assert.deepEqual(found, []);
});
