// Authentication at the HTTPS front door of a real `opaque server`: client certificates from the
// data dir's CA are the only credentials; anything else is kube's 401 Status. Health and version
// endpoints are public.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCA, issueCertificate, loadCA } from '../../src/pki/certs.js';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { assertAlive, b64, secret, secretsPath, snapshot } from './api-lib.js';

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

let o: Opaque;
let ca: Buffer;
const agents: Agent[] = [];

function agent(opts: { cert?: string | Buffer; key?: string | Buffer } = {}): Agent {
  const a = new Agent({ ca, ...opts, keepAlive: false });
  agents.push(a);
  return a;
}

before(async () => {
  o = await startOpaque();
  ca = readFileSync(join(o.dataDir, 'pki', 'ca.crt'));
});

after(async () => {
  for (const a of agents) a.destroy();
  if (o) await cleanup(o);
});

/** Every resource and discovery request refused with exactly kube's 401, and nothing written. */
async function assertRejected(a: Agent, what: string): Promise<void> {
  const before = await snapshot(o);
  const reqs: Array<[string, string, object | undefined]> = [
    ['GET', secretsPath('default'), undefined],
    ['GET', secretsPath('default', 'anything'), undefined],
    ['GET', '/api/v1/secrets', undefined],
    ['GET', '/api', undefined],
    ['GET', '/apis', undefined],
    ['GET', '/api/v1', undefined],
    ['GET', '/openapi/v3', undefined],
    ['GET', '/metrics', undefined],
    ['POST', secretsPath('default'), secret('intruder', { data: { k: b64('v') } })],
    ['DELETE', '/api/v1/namespaces/default', undefined],
    ['GET', `${secretsPath('default')}?watch=true&timeoutSeconds=1`, undefined],
  ];
  for (const [method, path, body] of reqs) {
    const r = await http(o, method, path, body, {}, a);
    assert.equal(r.status, 401, `${what}: ${method} ${path} → HTTP ${r.status} ${r.text.slice(0, 300)}`);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(r.json, UNAUTHORIZED, `${what}: ${method} ${path}`);
  }
  assert.deepEqual(await snapshot(o), before, `${what}: nothing may be stored`);
}

describe('client certificates', () => {
  test('the admin certificate from the data dir is accepted (control)', async () => {
    const a = agent({ cert: readFileSync(join(o.dataDir, 'pki', 'admin.crt')), key: readFileSync(join(o.dataDir, 'pki', 'admin.key')) });
    const r = await http(o, 'GET', secretsPath('default'), undefined, {}, a);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, 'SecretList');
  });

  test('no client certificate: 401 Unauthorized Status', async () => {
    await assertRejected(agent(), 'no certificate');
    await assertAlive(o);
  });

  test('a client certificate from a different CA: 401, even with the admin identity', async () => {
    const other = await createCA('opaque-ca');
    const pair = await issueCertificate(other, { commonName: 'opaque-admin', organizations: ['system:masters'], usage: 'client' });
    await assertRejected(agent({ cert: pair.cert, key: pair.key }), 'foreign CA');
    await assertAlive(o);
  });

  test('an expired client certificate from the right CA: 401', async () => {
    const real = await loadCA(readFileSync(join(o.dataDir, 'pki', 'ca.crt'), 'utf8'), readFileSync(join(o.dataDir, 'pki', 'ca.key'), 'utf8'));
    const pair = await issueCertificate(real, { commonName: 'opaque-admin', organizations: ['system:masters'], usage: 'client', validDays: -1 });
    await assertRejected(agent({ cert: pair.cert, key: pair.key }), 'expired certificate');
  });

  test('a certificate from the right CA without client-auth usage (the serving certificate): 401', async () => {
    const a = agent({ cert: readFileSync(join(o.dataDir, 'pki', 'serving.crt')), key: readFileSync(join(o.dataDir, 'pki', 'serving.key')) });
    await assertRejected(a, 'server-auth-only certificate');
  });

  test('a rejected request does not poison the connection or the server for others', async () => {
    const bad = agent();
    const good = o.agent();
    for (let i = 0; i < 5; i++) {
      const [r1, r2] = await Promise.all([http(o, 'GET', secretsPath('default'), undefined, {}, bad), http(o, 'GET', secretsPath('default'), undefined, {}, good)]);
      assert.equal(r1.status, 401);
      assert.equal(r2.status, 200);
    }
  });

  test('public-path look-alikes do not bypass authentication', async () => {
    const a = agent();
    for (const path of [
      '/healthz/../api/v1/namespaces/default/secrets',
      '/readyz/../../api/v1/secrets',
      '/livez%2F..%2Fapi%2Fv1%2Fsecrets',
      '/version/../api/v1/secrets',
      '/healthzz',
      '//api/v1/secrets',
      '/api/v1/secrets?x=/healthz',
    ]) {
      const r = await http(o, 'GET', path, undefined, {}, a);
      assert.ok(r.status === 401 || r.status === 404, `${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(!/"kind":"SecretList"/.test(r.text), `${path} leaked a list`);
    }
  });
});

describe('public endpoints', () => {
  test('/readyz, /livez and /healthz answer ok without credentials', async () => {
    const a = agent();
    for (const path of ['/readyz', '/livez', '/healthz']) {
      const r = await http(o, 'GET', path, undefined, {}, a);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.equal(r.text, 'ok');
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
  });

  test('?verbose lists every check and the verdict', async () => {
    const a = agent();
    for (const ep of ['readyz', 'livez', 'healthz']) {
      const r = await http(o, 'GET', `/${ep}?verbose`, undefined, {}, a);
      assert.equal(r.status, 200, r.text);
      const lines = r.text.trimEnd().split('\n');
      assert.equal(lines.at(-1), `${ep} check passed`);
      const checks = lines.slice(0, -1);
      assert.ok(checks.length >= 1, r.text);
      for (const l of checks) assert.match(l, /^\[\+\][\w-]+ ok$/, r.text);
      assert.ok(checks.includes('[+]ping ok'), r.text);
      // A single check by name, and excluding one.
      const name = checks[0]!.slice(3, -3);
      const one = await http(o, 'GET', `/${ep}/${name}`, undefined, {}, a);
      assert.equal(one.status, 200);
      assert.equal(one.text, 'ok');
      const ex = await http(o, 'GET', `/${ep}?verbose&exclude=${name}`, undefined, {}, a);
      assert.equal(ex.status, 200);
      assert.ok(ex.text.includes(`[+]${name} excluded: ok`), ex.text);
    }
  });

  test('/version answers the version JSON, with and without credentials', async () => {
    for (const a of [agent(), o.agent()]) {
      const r = await http(o, 'GET', '/version', undefined, {}, a);
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const v = r.json;
      assert.match(v.major, /^\d+$/);
      assert.match(v.minor, /^\d+\+?$/);
      assert.match(v.gitVersion, /^v\d+\.\d+\.\d+/);
      assert.ok(v.gitVersion.startsWith(`v${v.major}.${v.minor.replace('+', '')}.`), JSON.stringify(v));
      for (const k of ['gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']) assert.equal(typeof v[k], 'string', k);
      assert.match(v.platform, /^[a-z0-9]+\/[a-z0-9]+$/);
    }
  });
});
