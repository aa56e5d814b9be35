// Durability of a real `opaque server` process: clean shutdown and restart, kill -9 right after
// acknowledged writes (a write is acknowledged only once it is durable), one server per data dir,
// and the PKI files on disk (modes, SANs, identities).

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { cleanup, http, removeDir, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { assertAlive, b64, create, createNamespace, secret, secretsPath, sleep } from './api-lib.js';

const NS = 'durable';

async function restart(prev: Opaque): Promise<Opaque> {
  const dataDir = prev.dataDir;
  await cleanup(prev, false);
  return startOpaque({ dataDir });
}

async function kill9AndRestart(prev: Opaque): Promise<Opaque> {
  const dataDir = prev.dataDir;
  await prev.kill9();
  await cleanup(prev, false);
  return startOpaque({ dataDir });
}

async function assertStored(o: Opaque, ns: string, expected: any, what: string): Promise<void> {
  const g = await http(o, 'GET', secretsPath(ns, expected.metadata.name));
  assert.equal(g.status, 200, `${what}: ${expected.metadata.name} lost (HTTP ${g.status})`);
  assert.equal(g.json.metadata.uid, expected.metadata.uid, what);
  assert.equal(g.json.metadata.resourceVersion, expected.metadata.resourceVersion, what);
  assert.deepEqual(g.json.data, expected.data, what);
}

describe('restart', () => {
  test('SIGTERM exits 0; after a restart on the same data dir everything is there and revisions keep increasing', async () => {
    let o = await startOpaque();
    try {
      await createNamespace(o, NS);
      const made: any[] = [];
      for (let i = 0; i < 20; i++) {
        made.push(await create(o, NS, secret(`s${i}`, {
          type: i % 2 ? 'example.com/custom' : 'Opaque',
          metadata: { labels: { i: String(i) }, annotations: { note: 'n'.repeat(i * 10) } },
          data: { bin: Buffer.from([0, 1, 2, 255, i]).toString('base64'), text: b64(`value ${i}`) },
        })));
      }
      // Some history: updates and a delete.
      const upd = await http(o, 'PUT', secretsPath(NS, 's0'), { ...made[0], data: { text: b64('updated') } });
      assert.equal(upd.status, 200, upd.text);
      made[0] = upd.json;
      assert.equal((await http(o, 'DELETE', secretsPath(NS, 's19'))).status, 200);
      made.pop();
      const listBefore = await http(o, 'GET', secretsPath(NS));
      const maxRV = Math.max(...made.map((m) => Number(m.metadata.resourceVersion)));
      const caBefore = readFileSync(join(o.dataDir, 'pki', 'ca.crt'), 'utf8');
      const adminBefore = readFileSync(join(o.dataDir, 'pki', 'admin.crt'), 'utf8');

      const code = await o.stop();
      assert.equal(code, 0, `exit code after SIGTERM: ${o.stderr().slice(-1000)}`);
      o = await restart(o);

      for (const m of made) await assertStored(o, NS, m, 'after restart');
      assert.equal((await http(o, 'GET', secretsPath(NS, 's19'))).status, 404, 'deleted stays deleted');
      const listAfter = await http(o, 'GET', secretsPath(NS));
      assert.deepEqual(listAfter.json.items, listBefore.json.items);
      assert.ok(Number(listAfter.json.metadata.resourceVersion) >= Number(listBefore.json.metadata.resourceVersion));
      const next = await create(o, NS, secret('after-restart'));
      assert.ok(Number(next.metadata.resourceVersion) > maxRV, `new revision ${next.metadata.resourceVersion} must exceed ${maxRV}`);
      assert.ok(Number(next.metadata.resourceVersion) > Number(listBefore.json.metadata.resourceVersion));
      // The namespace and the PKI survive as well; the old credentials still work.
      assert.equal((await http(o, 'GET', `/api/v1/namespaces/${NS}`)).json.status.phase, 'Active');
      assert.equal(readFileSync(join(o.dataDir, 'pki', 'ca.crt'), 'utf8'), caBefore);
      assert.equal(readFileSync(join(o.dataDir, 'pki', 'admin.crt'), 'utf8'), adminBefore);
      // And a second clean stop works too.
      o = await restart(o);
      await assertStored(o, NS, next, 'after a second restart');
    } finally {
      await cleanup(o);
    }
  });
});

describe('kill -9', () => {
  test('a write acknowledged just before kill -9 survives (create, update, delete; several timings)', async () => {
    let o = await startOpaque();
    try {
      await createNamespace(o, NS);
      const timings: Array<[string, () => Promise<void>]> = [
        ['at once', async () => {}],
        ['next tick', () => new Promise((r) => setImmediate(r))],
        ['after 2 ms', () => sleep(2)],
        ['after 10 ms', () => sleep(10)],
        ['after 50 ms', () => sleep(50)],
      ];
      const acknowledged: any[] = [];
      for (const [i, [when, wait]] of timings.entries()) {
        const c = await http(o, 'POST', secretsPath(NS), secret(`k${i}`, { data: { k: b64(`v${i}`) } }));
        assert.equal(c.status, 201, c.text);
        await wait();
        o.proc.kill('SIGKILL');
        acknowledged.push(c.json);
        o = await kill9AndRestart(o);
        for (const a of acknowledged) await assertStored(o, NS, a, `create acknowledged ${when} before kill -9`);
      }
      // An update and a delete, each acknowledged and then killed.
      const u = await http(o, 'PUT', secretsPath(NS, 'k0'), { ...acknowledged[0], data: { k: b64('changed') } });
      assert.equal(u.status, 200, u.text);
      o.proc.kill('SIGKILL');
      o = await kill9AndRestart(o);
      await assertStored(o, NS, u.json, 'update acknowledged before kill -9');
      const d = await http(o, 'DELETE', secretsPath(NS, 'k1'));
      assert.equal(d.status, 200, d.text);
      o.proc.kill('SIGKILL');
      o = await kill9AndRestart(o);
      assert.equal((await http(o, 'GET', secretsPath(NS, 'k1'))).status, 404, 'delete acknowledged before kill -9');
      // Revisions continue after crashes.
      const after = await create(o, NS, secret('after-crash'));
      assert.ok(Number(after.metadata.resourceVersion) > Number(u.json.metadata.resourceVersion));
      await assertAlive(o);
    } finally {
      await cleanup(o);
    }
  });

  test('a burst of 50 concurrent creates with kill -9 mid-burst: every acknowledged create survives', async (t) => {
    let o = await startOpaque();
    try {
      await createNamespace(o, NS);
      for (const round of [0, 1]) {
        // Round 0 kills after half the acknowledgements arrived, round 1 after all of them.
        const killAt = round === 0 ? 25 : 50;
        const acked: any[] = [];
        let failed = 0;
        const server = o;
        await Promise.all(Array.from({ length: 50 }, (_, i) =>
          http(server, 'POST', secretsPath(NS), secret(`burst-${round}-${i}`, { data: { k: b64(`payload ${round} ${i}`), big: Buffer.alloc(2048, i).toString('base64') } }))
            .then((r) => {
              if (r.status === 201) {
                acked.push(r.json);
                if (acked.length === killAt) server.proc.kill('SIGKILL');
              } else failed++;
            }, () => {
              failed++;
            })));
        assert.ok(acked.length >= killAt, `round ${round}: ${acked.length} acknowledged, ${failed} failed`);
        t.diagnostic(`round ${round}: ${acked.length} acknowledged before/while the kill, ${failed} cut off`);
        o = await kill9AndRestart(o);
        for (const a of acked) await assertStored(o, NS, a, `round ${round}: acknowledged create`);
        const list = await http(o, 'GET', secretsPath(NS, undefined, `labelSelector=`));
        const rvs = list.json.items.map((i: any) => i.metadata.resourceVersion);
        assert.equal(new Set(rvs).size, rvs.length, 'resourceVersions stay unique');
        // Unacknowledged creates either happened completely or not at all.
        for (const it of list.json.items.filter((i: any) => i.metadata.name.startsWith(`burst-${round}-`))) {
          const n = Number(it.metadata.name.split('-')[2]);
          assert.equal(Buffer.from(it.data.k, 'base64').toString(), `payload ${round} ${n}`);
          assert.equal(it.data.big, Buffer.alloc(2048, n).toString('base64'));
        }
      }
      await assertAlive(o);
    } finally {
      await cleanup(o);
    }
  });
});

describe('one server per data dir', () => {
  test('a second server on the same data dir refuses to start while the first runs', async () => {
    let o = await startOpaque();
    try {
      const c = await create(o, 'default', secret('first'));
      const kubeconfig = readFileSync(o.kubeconfig, 'utf8');
      const home = tempDir('second');
      try {
        const second = await run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'server', '--data-dir', o.dataDir, '--secure-port', '0', '--log-level', 'warn'], { timeoutMs: 30_000, env: { ...process.env, HOME: home } });
        assert.notEqual(second.code, 0, `the second server must fail: ${second.stdout} ${second.stderr}`);
        assert.notEqual(second.code, null, 'the second server must exit on its own');
        assert.match(second.stdout + second.stderr, /in use by another opaque server/);
        assert.doesNotMatch(second.stdout, /serving the Kubernetes API/);
      } finally {
        removeDir(home);
      }
      // The first one is unharmed, and so is what it wrote.
      await assertAlive(o);
      await assertStored(o, 'default', c, 'after the refused second start');
      assert.equal(readFileSync(o.kubeconfig, 'utf8'), kubeconfig, 'the kubeconfig was not rewritten');
      // Once the first stops, the data dir can be used again.
      o = await restart(o);
      await assertStored(o, 'default', c, 'after handing over the data dir');
    } finally {
      await cleanup(o);
    }
  });
});

describe('PKI on disk', () => {
  test('modes: keys and kubeconfig 0600, pki and data dir 0700', async () => {
    const o = await startOpaque();
    try {
      const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
      const pki = join(o.dataDir, 'pki');
      assert.equal(mode(o.dataDir), '700', 'data dir');
      assert.equal(mode(pki), '700', 'pki dir');
      for (const key of ['ca.key', 'serving.key', 'admin.key']) assert.equal(mode(join(pki, key)), '600', key);
      assert.equal(mode(o.kubeconfig), '600', 'admin.kubeconfig');
      for (const crt of ['ca.crt', 'serving.crt', 'admin.crt']) assert.equal(statSync(join(pki, crt)).mode & 0o022, 0, `${crt} not group/world writable`);
    } finally {
      await cleanup(o);
    }
  });

  test('certificates: serving SANs localhost and 127.0.0.1 and served as such; admin is CN=opaque-admin, O=system:masters', async () => {
    const o = await startOpaque();
    try {
      const pki = join(o.dataDir, 'pki');
      const ca = new X509Certificate(readFileSync(join(pki, 'ca.crt')));
      const serving = new X509Certificate(readFileSync(join(pki, 'serving.crt')));
      const admin = new X509Certificate(readFileSync(join(pki, 'admin.crt')));
      assert.equal(ca.ca, true, 'the CA is a CA');
      assert.equal(serving.ca, false);
      assert.equal(admin.ca, false);

      const sans = (serving.subjectAltName ?? '').split(', ');
      assert.ok(sans.includes('DNS:localhost'), serving.subjectAltName);
      assert.ok(sans.includes('IP Address:127.0.0.1'), serving.subjectAltName);
      assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey), 'serving certificate issued by the CA');
      assert.ok(serving.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), `serverAuth usage: ${serving.keyUsage}`);
      assert.ok(Date.parse(serving.validTo) > Date.now() + 30 * 86400_000, 'valid for a while');
      assert.equal(serving.checkHost('localhost'), 'localhost');
      assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');

      const subject = admin.subject.split('\n').sort();
      assert.deepEqual(subject, ['CN=opaque-admin', 'O=system:masters']);
      assert.ok(admin.checkIssued(ca) && admin.verify(ca.publicKey), 'admin certificate issued by the CA');
      assert.ok(admin.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), `clientAuth usage: ${admin.keyUsage}`);

      // What the port presents is that serving certificate, and it verifies for localhost.
      const peer = await new Promise<X509Certificate>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: o.port, servername: 'localhost', ca: readFileSync(join(pki, 'ca.crt')) }, () => {
          const cert = s.getPeerX509Certificate();
          s.end();
          if (!s.authorized) reject(new Error(`not authorized: ${s.authorizationError}`));
          else resolve(cert!);
        });
        s.on('error', reject);
      });
      assert.equal(peer.fingerprint256, serving.fingerprint256);

      // The admin kubeconfig embeds exactly these credentials and the URL.
      const kc = parseYaml(readFileSync(o.kubeconfig, 'utf8'));
      const cluster = kc.clusters.find((c: any) => c.name === kc.contexts.find((x: any) => x.name === kc['current-context']).context.cluster).cluster;
      assert.equal(cluster.server, o.url);
      assert.equal(Buffer.from(cluster['certificate-authority-data'], 'base64').toString(), readFileSync(join(pki, 'ca.crt'), 'utf8'));
      const user = kc.users[0].user;
      assert.equal(Buffer.from(user['client-certificate-data'], 'base64').toString(), readFileSync(join(pki, 'admin.crt'), 'utf8'));
      assert.equal(Buffer.from(user['client-key-data'], 'base64').toString(), readFileSync(join(pki, 'admin.key'), 'utf8'));
    } finally {
      await cleanup(o);
    }
  });
});
