// kubectl create secret generic|docker-registry|tls against a real Opaque server: what kubectl prints
// and what ends up stored (read back with kubectl get -o json and raw HTTPS).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/opaque.js';
import { b64, ok, startSuite, unb64, type Suite } from './kubectl-common.js';

describe('kubectl create secret', { timeout: 120_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('create');
  });
  after(async () => {
    await s?.stop();
  });

  it('generic --from-literal prints secret/<name> created and stores base64 data with type Opaque', async () => {
    const r = await s.k(['create', 'secret', 'generic', 'lit', '--from-literal=username=admin', '--from-literal=password=S3cr3t']);
    ok(r);
    assert.equal(r.stdout, 'secret/lit created\n');
    assert.equal(r.stderr, '');
    const obj = await s.getJson('secret', 'lit');
    assert.equal(obj.kind, 'Secret');
    assert.equal(obj.apiVersion, 'v1');
    assert.equal(obj.type, 'Opaque');
    assert.deepEqual(obj.data, { password: b64('S3cr3t'), username: b64('admin') });
    assert.equal(obj.metadata.namespace, 'default');
    assert.match(obj.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(obj.metadata.resourceVersion, /^\d+$/);
    assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(obj.stringData, undefined);
    // the same object over raw HTTPS
    const raw = await s.http('GET', '/api/v1/namespaces/default/secrets/lit');
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.json.data, obj.data);
  });

  it('generic --from-file keeps a dotfile name as the key and honours key=path renames', async () => {
    const env = s.file('.env', 'A=1\nB=2\n');
    const conf = s.file('conf.txt', 'hello world');
    const r = await s.k(['create', 'secret', 'generic', 'files', `--from-file=${env}`, `--from-file=renamed=${conf}`, `--from-file=${conf}`]);
    ok(r);
    assert.equal(r.stdout, 'secret/files created\n');
    const obj = await s.getJson('secret', 'files');
    assert.deepEqual(Object.keys(obj.data).sort(), ['.env', 'conf.txt', 'renamed']);
    assert.equal(unb64(obj.data['.env']), 'A=1\nB=2\n');
    assert.equal(unb64(obj.data['renamed']), 'hello world');
    assert.equal(unb64(obj.data['conf.txt']), 'hello world');
    assert.equal(obj.type, 'Opaque');
  });

  it('generic --from-env-file skips comments and keeps values with spaces', async () => {
    const envFile = s.file('x.env', 'K1=v1\n# a comment line\n\nK2=v2 with space\n');
    const r = await s.k(['create', 'secret', 'generic', 'envf', `--from-env-file=${envFile}`]);
    ok(r);
    assert.equal(r.stdout, 'secret/envf created\n');
    const obj = await s.getJson('secret', 'envf');
    assert.deepEqual(obj.data, { K1: b64('v1'), K2: b64('v2 with space') });
  });

  it('docker-registry stores a kubernetes.io/dockerconfigjson secret with the auths entry', async () => {
    const r = await s.k(['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u',
      '--docker-password=p', '--docker-email=u@example.com']);
    ok(r);
    assert.equal(r.stdout, 'secret/reg created\n');
    const obj = await s.getJson('secret', 'reg');
    assert.equal(obj.type, 'kubernetes.io/dockerconfigjson');
    assert.deepEqual(Object.keys(obj.data), ['.dockerconfigjson']);
    const cfg = JSON.parse(unb64(obj.data['.dockerconfigjson']));
    assert.deepEqual(cfg, { auths: { 'r.example': { username: 'u', password: 'p', email: 'u@example.com', auth: b64('u:p') } } });
  });

  it('tls from an openssl-generated certificate and key stores a kubernetes.io/tls secret', async () => {
    const key = `${s.dir}/tls.key.pem`;
    const crt = `${s.dir}/tls.crt.pem`;
    const gen = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=opaque-e2e']);
    assert.equal(gen.code, 0, gen.stderr);
    const r = await s.k(['create', 'secret', 'tls', 'web-tls', `--cert=${crt}`, `--key=${key}`]);
    ok(r);
    assert.equal(r.stdout, 'secret/web-tls created\n');
    assert.equal(r.stderr, '', 'a valid key pair produces no warning');
    const obj = await s.getJson('secret', 'web-tls');
    assert.equal(obj.type, 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(obj.data).sort(), ['tls.crt', 'tls.key']);
    assert.match(unb64(obj.data['tls.crt']), /^-----BEGIN CERTIFICATE-----/);
    assert.match(unb64(obj.data['tls.key']), /^-----BEGIN PRIVATE KEY-----/);
  });

  it('creating an existing name fails with `failed to create secret secrets "db" already exists` and keeps the original', async () => {
    ok(await s.k(['create', 'secret', 'generic', 'db', '--from-literal=password=first']));
    const before = await s.getJson('secret', 'db');
    const r = await s.k(['create', 'secret', 'generic', 'db', '--from-literal=password=second']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: failed to create secret secrets "db" already exists\n');
    const afterObj = await s.getJson('secret', 'db');
    assert.equal(unb64(afterObj.data.password), 'first');
    assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('creating in a missing namespace fails with `namespaces "nope" not found`', async () => {
    const r = await s.k(['create', 'secret', 'generic', 'lost', '-n', 'nope', '--from-literal=a=b']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: failed to create secret namespaces "nope" not found\n');
    const raw = await s.http('GET', '/api/v1/namespaces/nope/secrets/lost');
    assert.equal(raw.status, 404);
  });

  it('create -n <namespace> puts the secret in that namespace only', async () => {
    ok(await s.k(['create', 'namespace', 'create-ns']));
    const r = await s.k(['create', 'secret', 'generic', 'scoped', '-n', 'create-ns', '--from-literal=a=b']);
    ok(r);
    assert.equal(r.stdout, 'secret/scoped created\n');
    const obj = await s.getJson('secret', 'scoped', 'create-ns');
    assert.equal(obj.metadata.namespace, 'create-ns');
    assert.equal((await s.http('GET', '/api/v1/namespaces/default/secrets/scoped')).status, 404);
  });

  it('create -f with stringData stores it folded into base64 data', async () => {
    const f = s.file('cf.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: fromfile\n  labels:\n    tier: web\nstringData:\n  user: alice\n');
    const r = await s.k(['create', '-f', f]);
    ok(r);
    assert.equal(r.stdout, 'secret/fromfile created\n');
    const obj = await s.getJson('secret', 'fromfile');
    assert.deepEqual(obj.data, { user: b64('alice') });
    assert.equal(obj.stringData, undefined);
    assert.deepEqual(obj.metadata.labels, { tier: 'web' });
  });
});
