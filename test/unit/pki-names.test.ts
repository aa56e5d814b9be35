// A certificate's names are compared by value, as Go's x509.VerifyHostname compares them: an address
// by its bytes whatever its spelling (::1, 0:0:0:0:0:0:0:1, IPv4-mapped forms), a DNS name without
// regard to case. The data dir's serving certificate is reissued only when it really lacks a name,
// and a freshly issued one that still "fails" is kept rather than reissued for ever.

import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCA, issueCertificate } from '../../src/pki/certs.js';
import { ensurePki, ReissueGuard } from '../../src/pki/files.js';
import { canonicalIP, certificateNames, missingNames } from '../../src/pki/names.js';
import { tempDir } from '../helpers/opaque.js';

test('an address has one canonical text whatever its spelling', () => {
  for (const spelling of ['::1', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '::0:1']) {
    assert.equal(canonicalIP(spelling), '::1', spelling);
  }
  for (const spelling of ['10.0.0.1', '::ffff:10.0.0.1', '::FFFF:a00:1', '0:0:0:0:0:ffff:0a00:0001']) {
    assert.equal(canonicalIP(spelling), '10.0.0.1', spelling);
  }
  assert.equal(canonicalIP('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIP('fe80::1%eth0'), 'fe80::1');
  // ::10.0.0.1 (IPv4-compatible, deprecated) is not ::ffff:10.0.0.1.
  assert.equal(canonicalIP('::10.0.0.1'), '::a00:1');
  assert.equal(canonicalIP('localhost'), undefined);
  assert.equal(canonicalIP('10.0.0'), undefined);
});

test('a certificate names what it was issued for, read by value from its DER', async () => {
  const ca = await createCA('test-ca');
  const pair = await issueCertificate(ca, {
    commonName: 's', dnsNames: ['localhost', 'Api.Example.com', 'a,b'], ips: ['127.0.0.1', '::1', '::ffff:10.0.0.1', '2001:db8::1'], usage: 'server',
  });
  // OpenSSL's text spells these differently from how they were asked for: the old text comparison failed here.
  const text = new X509Certificate(pair.cert).subjectAltName ?? '';
  assert.match(text, /IP Address:0:0:0:0:0:0:0:1/);
  assert.match(text, /DNS:"a\\u002cb"/);
  // An IPv4-mapped address is written as its 4 bytes, as Go writes it (the library alone wrote ::ffff:10).
  assert.match(text, /IP Address:10\.0\.0\.1(,|$)/);

  const names = certificateNames(pair.cert);
  assert.deepEqual(names.dns, ['localhost', 'api.example.com', 'a,b']);
  assert.deepEqual(names.ips, ['127.0.0.1', '::1', '10.0.0.1', '2001:db8::1']);
  assert.deepEqual(missingNames(names, {
    dns: ['LOCALHOST', 'api.example.com.', 'a,b'], ips: ['0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '10.0.0.1', '2001:DB8:0:0:0:0:0:1'],
  }), []);
  assert.deepEqual(missingNames(names, { dns: ['other.example.com'], ips: ['::2', '10.0.0.2'] }), ['DNS:other.example.com', 'IP:::2', 'IP:10.0.0.2']);
  await assert.rejects(issueCertificate(ca, { commonName: 's', ips: ['not-an-ip'], usage: 'server' }), /"not-an-ip" is not an IP address/);
});

test('the serving certificate is kept across checks while it names the bind address', async () => {
  for (const bind of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '0.0.0.0', 'opaque.example.com']) {
    const dir = tempDir('pki');
    try {
      const pki = await ensurePki(dir, bind);
      const first = readFileSync(pki.servingCert, 'utf8');
      const firstKey = readFileSync(pki.servingKey, 'utf8');
      for (let i = 0; i < 3; i++) await ensurePki(dir, bind);
      assert.equal(readFileSync(pki.servingCert, 'utf8'), first, `bind ${bind}: serving.crt was reissued`);
      assert.equal(readFileSync(pki.servingKey, 'utf8'), firstKey, `bind ${bind}: serving.key was rewritten`);
      // A new bind address the certificate does not cover does get a new one, which covers both.
      const moved = await ensurePki(dir, '192.0.2.7');
      const after = certificateNames(readFileSync(moved.servingCert, 'utf8'));
      assert.notEqual(readFileSync(moved.servingCert, 'utf8'), first);
      assert.ok(after.ips.includes('192.0.2.7'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a missing serving key gets a new pair', async () => {
  const dir = tempDir('pki');
  try {
    const pki = await ensurePki(dir, '127.0.0.1');
    const first = readFileSync(pki.servingCert, 'utf8');
    rmSync(pki.servingKey);
    await ensurePki(dir, '127.0.0.1');
    assert.notEqual(readFileSync(pki.servingCert, 'utf8'), first);
    assert.ok(new X509Certificate(readFileSync(pki.servingCert)).checkPrivateKey(createPrivateKey(readFileSync(pki.servingKey))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a certificate that fails its own check right after issue is kept once, and the problem reported once', async () => {
  const ca = await createCA('test-ca');
  const cert = new X509Certificate((await issueCertificate(ca, { commonName: 's', usage: 'server' })).cert);
  const reported: string[] = [];
  const guard = new ReissueGuard((problem) => reported.push(problem));
  assert.equal(guard.keeps(cert, 'does not name IP:::1'), false);
  guard.issued(cert, undefined);
  assert.equal(guard.keeps(cert, 'does not name IP:::1'), false, 'a certificate that passed is not kept');
  guard.issued(cert, 'does not name IP:::1');
  guard.issued(cert, 'does not name IP:::1');
  assert.equal(guard.keeps(cert, 'does not name IP:::1'), true);
  assert.deepEqual(reported, ['does not name IP:::1']);
  // A different problem later (it comes close to expiry) is acted on.
  assert.equal(guard.keeps(cert, `expires ${cert.validTo}`), false);
  assert.equal(guard.keeps(undefined, 'missing'), false);
});
