// The data dir's serving certificate stays the same while nothing calls for a new one: an idle server
// checks its certificates again and again (every check interval, and whenever a watched file is
// written) and presents the one certificate to every connection, so clients that pin it keep working.
// It used to read its own ::1 as missing and reissue at every check, which woke the file watch and
// reissued again, every ~215 ms for ever.

import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { test } from 'node:test';
import { cleanup, logged, startOpaque, type Opaque } from '../helpers/opaque.js';

const CHECK_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fingerprint(o: Opaque): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: o.port, rejectUnauthorized: false }, () => {
      const x = s.getPeerX509Certificate();
      s.destroy();
      if (x) resolve(x.fingerprint256);
      else reject(new Error('no certificate presented'));
    });
    s.on('error', reject);
  });
}

/** The certificates `n` connections spread over `ms` were shown. */
async function presentedOver(o: Opaque, n: number, ms: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    seen.add(await fingerprint(o));
    await sleep(ms / n);
  }
  return seen;
}

const checks = (o: Opaque) => (o.stderr().match(/serving certificates checked/g) ?? []).length;
const reissues = (o: Opaque) => (o.stderr().match(/serving certificates reloaded|fails its own check/g) ?? []).length;

async function idleServer(): Promise<Opaque> {
  return startOpaque({ args: ['--log-level', 'debug'], env: { OPAQUE_CERT_CHECK_INTERVAL_MS: String(CHECK_MS) } });
}

test('an idle server presents one serving certificate over many certificate checks', async () => {
  const o = await idleServer();
  try {
    const file = join(o.dataDir, 'pki', 'serving.crt');
    const pem = readFileSync(file, 'utf8');
    const first = await fingerprint(o);
    const before = checks(o);
    const seen = await presentedOver(o, 150, 15 * CHECK_MS);
    assert.deepEqual([...seen], [first], 'every connection was shown the first certificate');
    assert.equal(readFileSync(file, 'utf8'), pem, 'serving.crt was rewritten');
    assert.equal(reissues(o), 0, `the server reissued or reloaded its certificate:\n${o.stderr()}`);
    // The checks did run meanwhile: the test is not passing for want of them.
    assert.ok(checks(o) - before >= 8, `only ${checks(o) - before} certificate checks ran in ${15 * CHECK_MS} ms`);
  } finally {
    await cleanup(o);
  }
});

test('a watched file written with the same content wakes a check, and the certificate stays', async () => {
  const o = await idleServer();
  try {
    const pki = join(o.dataDir, 'pki');
    const pem = readFileSync(join(pki, 'serving.crt'), 'utf8');
    const first = await fingerprint(o);
    // As a tool that rewrites the CA bundle in place would: aside, then renamed over.
    const ca = readFileSync(join(pki, 'ca.crt'));
    writeFileSync(join(pki, 'ca.crt.new'), ca);
    renameSync(join(pki, 'ca.crt.new'), join(pki, 'ca.crt'));
    await sleep(1_000);
    const seen = await presentedOver(o, 60, 1_500);
    assert.deepEqual([...seen], [first], 'every connection was shown the first certificate');
    assert.equal(readFileSync(join(pki, 'serving.crt'), 'utf8'), pem, 'serving.crt was rewritten');
    assert.equal(reissues(o), 0, `the server reissued or reloaded its certificate:\n${o.stderr()}`);
    await logged(o, /serving certificates checked/);
  } finally {
    await cleanup(o);
  }
});
