// --etcd-cafile, --etcd-certfile and --etcd-keyfile against an etcd member that serves TLS and
// requires client certificates: with them Opaque stores and serves; without a client certificate,
// or trusting another CA, it refuses to start with a clear error instead of serving.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCA, issueCertificate } from '../../src/pki/certs.js';
import { cleanup, kubectl, removeDir, startOpaque, tempDir } from '../helpers/opaque.js';
import { startEtcd, type EtcdCluster, type EtcdTls } from '../helpers/etcd.js';

let etcd: EtcdCluster;
let dir: string;
let tls: EtcdTls;
let otherCa: string;

before(async () => {
  dir = tempDir('etcd-tls');
  const ca = await createCA('etcd-test-ca');
  const server = await issueCertificate(ca, { commonName: 'etcd', ips: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' });
  const client = await issueCertificate(ca, { commonName: 'opaque', usage: 'client' });
  const files: Record<string, string> = { 'ca.crt': ca.cert, 'server.crt': server.cert, 'server.key': server.key, 'client.crt': client.cert, 'client.key': client.key };
  for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v, { mode: 0o600 });
  otherCa = join(dir, 'other-ca.crt');
  writeFileSync(otherCa, (await createCA('someone-else')).cert);
  tls = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key'), serverCertFile: join(dir, 'server.crt'), serverKeyFile: join(dir, 'server.key') };
  etcd = await startEtcd(1, tls);
});
after(async () => {
  await etcd?.stop();
  if (dir) removeDir(dir);
});

test('with the etcd TLS flags Opaque stores in a TLS etcd that requires client certificates', async () => {
  const o = await startOpaque({ args: ['--etcd-servers', etcd.endpoints, '--etcd-cafile', tls.caFile, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile] });
  try {
    const c = await kubectl(o, ['create', 'secret', 'generic', 'over-tls', '--from-literal=k=v']);
    assert.equal(c.code, 0, c.stderr);
    const g = await kubectl(o, ['get', 'secret', 'over-tls', '-o', 'jsonpath={.data.k}']);
    assert.equal(Buffer.from(g.stdout, 'base64').toString(), 'v');
  } finally {
    await cleanup(o);
  }
});

test('without a client certificate, or trusting another CA, the server refuses to start', async () => {
  await assert.rejects(startOpaque({ args: ['--etcd-servers', etcd.endpoints, '--etcd-cafile', tls.caFile] }), /server exited with 1: .*etcd/s);
  await assert.rejects(startOpaque({ args: ['--etcd-servers', etcd.endpoints, '--etcd-cafile', otherCa, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile] }), /server exited with 1: .*etcd/s);
  await assert.rejects(startOpaque({ args: ['--etcd-servers', etcd.endpoints, '--etcd-certfile', tls.certFile] }), /--etcd-certfile and --etcd-keyfile must be given together/);
  await assert.rejects(startOpaque({ args: ['--etcd-cafile', tls.caFile] }), /need --etcd-servers/);
  await assert.rejects(startOpaque({ args: ['--etcd-servers', 'ftp://x'] }), /must use http:\/\/ or https:\/\//);
});
