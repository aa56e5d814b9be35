// The listener's certificates change without a restart: files replaced under a running server are
// served to new connections, a broken pair is refused and the old one kept, a client CA added to
// --client-ca-file lets its users in, and the data dir's own serving and admin certificates are
// reissued when they come within 30 days of expiry (admin.kubeconfig follows).

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { test } from 'node:test';
import { parse } from 'yaml';
import { createCA, issueCertificate, loadCA, type CA, type KeyPairPem } from '../../src/pki/certs.js';
import { cleanup, http, logged, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { eventually } from './api-lib.js';

const DAY = 86_400_000;

/** The certificate a new TLS connection is shown. */
function presented(o: Opaque): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: o.port, rejectUnauthorized: false }, () => {
      const x = s.getPeerX509Certificate();
      s.destroy();
      if (x) resolve(x);
      else reject(new Error('no certificate presented'));
    });
    s.on('error', reject);
  });
}

const daysLeft = (x: X509Certificate | string) => (Date.parse(new X509Certificate(typeof x === 'string' ? x : x.raw).validTo) - Date.now()) / DAY;

/** Writes a pair the way cert-manager and most tools do: aside, then renamed over. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.new`, text, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

async function dataDirCA(o: Opaque): Promise<CA> {
  const pki = join(o.dataDir, 'pki');
  return loadCA(readFileSync(join(pki, 'ca.crt'), 'utf8'), readFileSync(join(pki, 'ca.key'), 'utf8'));
}

const serverPair = (ca: CA, name: string, validDays = 365) =>
  issueCertificate(ca, { commonName: name, dnsNames: ['localhost'], ips: ['127.0.0.1'], usage: 'server', validDays });

test('the data dir\'s serving and admin certificates are reissued near expiry, while serving', async () => {
  const o = await startOpaque();
  try {
    const first = await presented(o);
    assert.ok(daysLeft(first) > 300);
    const ca = await dataDirCA(o);
    const pki = join(o.dataDir, 'pki');

    // A serving certificate 10 days from expiry (as a year-old one would be) is replaced at once.
    const expiring = await serverPair(ca, 'opaque-server', 10);
    replace(join(pki, 'serving.key'), expiring.key);
    replace(join(pki, 'serving.crt'), expiring.cert);
    const renewed = await eventually(async () => {
      const x = await presented(o);
      return x.serialNumber !== first.serialNumber && daysLeft(x) > 300 ? x : undefined;
    }, 10_000, 'a renewed serving certificate');
    assert.ok(renewed.verify(new X509Certificate(ca.cert).publicKey), 'issued by the same CA');
    assert.equal((await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, freshAdminAgent(o))).status, 200);

    // The admin client certificate too; admin.kubeconfig carries the new one and works.
    const expiringAdmin = await issueCertificate(ca, { commonName: 'opaque-admin', organizations: ['system:masters'], usage: 'client', validDays: 10 });
    replace(join(pki, 'admin.key'), expiringAdmin.key);
    replace(join(pki, 'admin.crt'), expiringAdmin.cert);
    const cert = await eventually(async () => {
      const c = readFileSync(join(pki, 'admin.crt'), 'utf8');
      return daysLeft(c) > 300 ? c : undefined;
    }, 10_000, 'a renewed admin certificate');
    const kc = await eventually(async () => {
      const user = parse(readFileSync(o.kubeconfig, 'utf8')).users[0].user;
      return Buffer.from(user['client-certificate-data'], 'base64').toString('utf8') === cert ? user : undefined;
    }, 10_000, 'admin.kubeconfig to carry the renewed certificate');
    const agent = new Agent({
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: Buffer.from(kc['client-certificate-data'], 'base64'),
      key: Buffer.from(kc['client-key-data'], 'base64'),
    });
    assert.equal((await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, agent)).status, 200);
    agent.destroy();
  } finally {
    await cleanup(o);
  }
});

function freshAdminAgent(o: Opaque): Agent {
  const pki = join(o.dataDir, 'pki');
  return new Agent({ ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) });
}

test('--tls-cert-file and --client-ca-file are read again when replaced; a broken pair keeps the one in use', async () => {
  const dir = tempDir('certs');
  const outside = await createCA('outside-ca');
  const first = await serverPair(outside, 'first');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const clientCaFile = join(dir, 'clients.crt');
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key, { mode: 0o600 });
  const otherCA = await createCA('other-clients');
  writeFileSync(clientCaFile, outside.cert);
  const o = await startOpaque({ args: ['--tls-cert-file', certFile, '--tls-private-key-file', keyFile, '--client-ca-file', clientCaFile] });
  try {
    const cn = async () => (await presented(o)).subject;
    assert.match(await cn(), /CN=first/);

    const second = await serverPair(outside, 'second');
    replace(keyFile, second.key);
    replace(certFile, second.cert);
    await eventually(async () => /CN=second/.test(await cn()), 10_000, 'the replaced certificate to be served');

    // A certificate whose key is not beside it: refused, logged, the one in use stays.
    const third: KeyPairPem = await serverPair(outside, 'third');
    replace(certFile, third.cert);
    await logged(o, /serving certificates not reloaded/);
    assert.match(await cn(), /CN=second/);
    replace(keyFile, third.key);
    await eventually(async () => /CN=third/.test(await cn()), 10_000, 'the completed pair to be served');

    // A user whose CA is not trusted yet is unauthenticated; once the CA is in the file, it is someone.
    const carol = await issueCertificate(otherCA, { commonName: 'carol', usage: 'client' });
    const asCarol = () => {
      const agent = new Agent({ rejectUnauthorized: false, cert: carol.cert, key: carol.key });
      return http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, agent).finally(() => agent.destroy());
    };
    assert.equal((await asCarol()).status, 401);
    replace(clientCaFile, outside.cert + otherCA.cert);
    const r = await eventually(async () => {
      const res = await asCarol();
      return res.status !== 401 ? res : undefined;
    }, 10_000, 'the added client CA to be trusted');
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /User "carol" cannot list resource "secrets"/);

    // Taking the CA out again shuts carol out, also on a connection opened while it was trusted.
    const kept = new Agent({ rejectUnauthorized: false, cert: carol.cert, key: carol.key, keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, kept)).status, 403);
      replace(clientCaFile, outside.cert);
      await eventually(async () => (await asCarol()).status === 401, 10_000, 'new connections to refuse the removed CA');
      const after = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, kept);
      assert.equal(after.status, 401, after.text);
      assert.equal(Object.values(kept.sockets).flat().length + Object.values(kept.freeSockets).flat().length, 1, 'the same connection');
    } finally {
      kept.destroy();
    }
  } finally {
    await cleanup(o);
  }
});

test('a client certificate that expires stops working on a connection opened before', async () => {
  const o = await startOpaque();
  const agent = new Agent({ ca: readFileSync(join(o.dataDir, 'pki', 'ca.crt')), keepAlive: true, maxSockets: 1, ...(await shortLived(o)) });
  try {
    const first = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, agent);
    assert.equal(first.status, 403, 'dave is someone while his certificate is valid');
    const notAfter = Date.parse(new X509Certificate(agent.options.cert as string).validTo);
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter - Date.now()) + 1_100));
    const later = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, agent);
    assert.equal(later.status, 401, later.text);
  } finally {
    agent.destroy();
    await cleanup(o);
  }
});

/** A client certificate for dave valid for about eight more seconds (room for a slow first request). */
async function shortLived(o: Opaque): Promise<{ cert: string; key: string }> {
  return issueCertificate(await dataDirCA(o), { commonName: 'dave', usage: 'client', validDays: 8 / 86_400 });
}
