// The listener's TLS settings, as kube-apiserver's: TLS 1.2 at least, and on TLS 1.2 only ECDHE
// suites with an AEAD (AES-GCM, ChaCha20-Poly1305) unless --tls-cipher-suites names others in Go's
// names; TLS 1.3 with its three suites; --tls-min-version VersionTLS10…13. Real handshakes from
// node:tls (OpenSSL), with the data dir's ECDSA serving key and with an RSA one from --tls-cert-file,
// and the settings survive a certificate reload.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { test } from 'node:test';
import { cleanup, http, logged, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { eventually } from './api-lib.js';

interface Offer {
  /** OpenSSL names; TLS_* ones are TLS 1.3 suites. */
  ciphers: string;
  min?: SecureVersion;
  max?: SecureVersion;
}

type Outcome = { protocol: string; cipher: string; fingerprint: string } | { refused: string };

/** One handshake with exactly this offer. SECLEVEL=0 lets the client offer what the server must refuse. */
function handshake(o: Opaque, offer: Offer): Promise<Outcome> {
  // OpenSSL wants a TLS 1.2 suite beside a security level; a TLS 1.3-only offer has none.
  const ciphers = offer.ciphers.split(':').every((c) => c.startsWith('TLS_')) ? offer.ciphers : `${offer.ciphers}:@SECLEVEL=0`;
  return new Promise((resolve) => {
    const s = connect({
      host: '127.0.0.1', port: o.port, rejectUnauthorized: false,
      ciphers, minVersion: offer.min ?? 'TLSv1', maxVersion: offer.max ?? 'TLSv1.3',
    }, () => {
      resolve({ protocol: s.getProtocol() ?? '', cipher: s.getCipher().name, fingerprint: s.getPeerX509Certificate()?.fingerprint256 ?? '' });
      s.destroy();
    });
    s.on('error', (err) => resolve({ refused: err.message }));
  });
}

async function assertAccepts(o: Opaque, offer: Offer, protocol: string, cipher = offer.ciphers.split(':')[0]!): Promise<void> {
  const r = await handshake(o, offer);
  assert.ok('protocol' in r, `${offer.ciphers} (${offer.max ?? 'any version'}) was refused: ${'refused' in r ? r.refused : ''}`);
  assert.deepEqual([r.protocol, r.cipher], [protocol, cipher], `offer ${offer.ciphers}`);
}

async function assertRefuses(o: Opaque, offer: Offer): Promise<void> {
  const r = await handshake(o, offer);
  assert.ok('refused' in r, `${offer.ciphers} (${offer.max ?? 'any version'}) was accepted: ${JSON.stringify(r)}`);
}

const tls12 = (ciphers: string): Offer => ({ ciphers, min: 'TLSv1.2', max: 'TLSv1.2' });
const tls13 = (ciphers: string): Offer => ({ ciphers, min: 'TLSv1.3', max: 'TLSv1.3' });

/** A self-signed RSA serving pair, written aside and renamed into place as cert-manager does. */
function writeRsaPair(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', `${key}.new`, '-out', `${cert}.new`], { stdio: 'ignore' });
  renameSync(`${key}.new`, key);
  renameSync(`${cert}.new`, cert);
  return { cert, key };
}

test('by default: TLS 1.2 with ECDHE and an AEAD only, TLS 1.3, nothing older (ECDSA serving key)', async () => {
  const o = await startOpaque();
  try {
    for (const c of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      await assertAccepts(o, tls12(c), 'TLSv1.2');
    }
    for (const c of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      await assertAccepts(o, tls13(c), 'TLSv1.3');
    }
    // The CBC suites (SHA1, SHA256, SHA384), CCM, CCM8 and ARIA that OpenSSL's default list let in.
    for (const c of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384',
      'ECDHE-ECDSA-AES128-CCM', 'ECDHE-ECDSA-AES256-CCM', 'ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-ARIA128-GCM-SHA256',
      'ECDHE-ECDSA-ARIA256-GCM-SHA384', 'ECDHE-ECDSA-CAMELLIA128-SHA256']) {
      await assertRefuses(o, tls12(c));
    }
    // TLS 1.3's CCM suites are not Go's.
    await assertRefuses(o, tls13('TLS_AES_128_CCM_SHA256'));
    await assertRefuses(o, tls13('TLS_AES_128_CCM_8_SHA256'));
    // Nothing below TLS 1.2, whatever the suite.
    await assertRefuses(o, { ciphers: 'ALL', max: 'TLSv1.1' });
    await assertRefuses(o, { ciphers: 'ALL', max: 'TLSv1' });
    // The server's order decides, as Go's does: AES-128 before AES-256 whatever the client prefers.
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'), 'TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256');
    // A client that prefers ChaCha20 (no AES hardware) gets it, as from Go.
    await assertAccepts(o, tls12('ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256'), 'TLSv1.2', 'ECDHE-ECDSA-CHACHA20-POLY1305');
    // An unrestricted modern client lands on TLS 1.3.
    await assertAccepts(o, { ciphers: 'DEFAULT' }, 'TLSv1.3', 'TLS_AES_128_GCM_SHA256');
  } finally {
    await cleanup(o);
  }
});

test('an RSA serving key: ECDHE-RSA with an AEAD only, no RSA key exchange, and the same after a reload', async () => {
  const dir = tempDir('rsa');
  const pair = writeRsaPair(dir, 'opaque-rsa-1');
  const o = await startOpaque({ args: ['--tls-cert-file', pair.cert, '--tls-private-key-file', pair.key] });
  try {
    const check = async () => {
      for (const c of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
        await assertAccepts(o, tls12(c), 'TLSv1.2');
      }
      for (const c of ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES256-SHA384',
        'ECDHE-ARIA128-GCM-SHA256', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA', 'AES128-SHA256',
        'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'AES128-CCM']) {
        await assertRefuses(o, tls12(c));
      }
      await assertRefuses(o, { ciphers: 'ALL', max: 'TLSv1.1' });
      await assertAccepts(o, tls13('TLS_AES_256_GCM_SHA384'), 'TLSv1.3');
    };
    await check();
    const before = await handshake(o, tls13('TLS_AES_128_GCM_SHA256'));
    writeRsaPair(dir, 'opaque-rsa-2');
    await eventually(async () => {
      const r = await handshake(o, tls13('TLS_AES_128_GCM_SHA256'));
      return 'fingerprint' in r && 'fingerprint' in before && r.fingerprint !== before.fingerprint ? r : undefined;
    }, 10_000, 'the replaced serving certificate');
    await check();
  } finally {
    await cleanup(o);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--tls-min-version VersionTLS13 refuses TLS 1.2, also after a certificate reload', async () => {
  const o = await startOpaque({ args: ['--tls-min-version', 'VersionTLS13'] });
  try {
    await assertRefuses(o, tls12('ECDHE-ECDSA-AES128-GCM-SHA256'));
    await assertRefuses(o, tls12('ECDHE-ECDSA-CHACHA20-POLY1305'));
    for (const c of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      await assertAccepts(o, tls13(c), 'TLSv1.3');
    }
    assert.equal((await http(o, 'GET', '/readyz')).status, 200);

    const first = await handshake(o, tls13('TLS_AES_128_GCM_SHA256'));
    // Without its key the serving certificate is reissued from the data dir's CA and reloaded.
    rmSync(join(o.dataDir, 'pki', 'serving.key'));
    await eventually(async () => {
      const r = await handshake(o, tls13('TLS_AES_128_GCM_SHA256'));
      return 'fingerprint' in r && 'fingerprint' in first && r.fingerprint !== first.fingerprint ? r : undefined;
    }, 10_000, 'a reissued serving certificate');
    await assertRefuses(o, tls12('ECDHE-ECDSA-AES128-GCM-SHA256'));
  } finally {
    await cleanup(o);
  }
});

test('--tls-cipher-suites serves exactly the named TLS 1.2 suites; insecure ones with kube\'s warning', async () => {
  const o = await startOpaque({
    args: ['--tls-cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,TLS_AES_128_GCM_SHA256'],
  });
  try {
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES256-GCM-SHA384'), 'TLSv1.2');
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES128-SHA'), 'TLSv1.2');
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES128-SHA256'), 'TLSv1.2');
    for (const c of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-CCM']) {
      await assertRefuses(o, tls12(c));
    }
    // Go's preference order, not the flag's: the AEAD before CBC-SHA1 before CBC-SHA256.
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384'), 'TLSv1.2', 'ECDHE-ECDSA-AES256-GCM-SHA384');
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA'), 'TLSv1.2', 'ECDHE-ECDSA-AES128-SHA');
    // TLS 1.3 suites are not configurable, as in Go: all three stay on.
    await assertAccepts(o, tls13('TLS_CHACHA20_POLY1305_SHA256'), 'TLSv1.3');
    await assertAccepts(o, tls13('TLS_AES_256_GCM_SHA384'), 'TLSv1.3');
    await assertRefuses(o, { ciphers: 'ALL', max: 'TLSv1.1' });
    await logged(o, /Use of insecure cipher 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256' detected\./);
    assert.doesNotMatch(o.stderr(), /insecure cipher 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'/);
    assert.equal((await http(o, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
  } finally {
    await cleanup(o);
  }
});

test('--tls-min-version VersionTLS10 serves TLS 1.0 with a CBC suite, as kube does when asked', async () => {
  const o = await startOpaque({
    args: ['--tls-min-version', 'VersionTLS10', '--tls-cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  });
  try {
    await assertAccepts(o, { ciphers: 'ECDHE-ECDSA-AES128-SHA', max: 'TLSv1' }, 'TLSv1');
    await assertAccepts(o, { ciphers: 'ECDHE-ECDSA-AES128-SHA', max: 'TLSv1.1' }, 'TLSv1.1');
    await assertAccepts(o, tls12('ECDHE-ECDSA-AES128-GCM-SHA256'), 'TLSv1.2');
    await assertRefuses(o, tls12('ECDHE-ECDSA-AES256-SHA'));
  } finally {
    await cleanup(o);
  }
});

test('a cipher suite or TLS version kube does not know stops the start, naming it', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--tls-cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_CCM'], /Cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CCM not supported or doesn't exist/],
    [['--tls-cipher-suites', 'ECDHE-ECDSA-AES128-GCM-SHA256'], /Cipher suite ECDHE-ECDSA-AES128-GCM-SHA256 not supported or doesn't exist/],
    [['--tls-min-version', 'VersionTLS14'], /unknown tls version "VersionTLS14"/],
    [['--tls-min-version', 'TLSv1.2'], /unknown tls version "TLSv1.2"/],
    // A name kube knows that this build's OpenSSL cannot do: refused, not silently dropped.
    [['--tls-cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_RC4_128_SHA'], /Cipher suite TLS_RSA_WITH_RC4_128_SHA is not available/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(startOpaque({ args }), (err: Error) => {
      assert.match(err.message, /server exited with 1/);
      assert.match(err.message, message);
      return true;
    }, args.join(' '));
  }
});
