// `opaque check` and `opaque token` against a real server, as an operator or a cron job runs them:
// exit codes (0 ok, 1 failing, 2 warnings), what each finding says for an admin, a ServiceAccount, bad
// credentials, an untrusted server and a stopped one; tokens with their claims, a kubeconfig around
// one that kubectl uses, and a token bound to a Secret that stops working when the Secret goes.

import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCA } from '../../src/pki/certs.js';
import { kubeconfigYaml } from '../../src/pki/kubeconfig.js';
import { cleanup, http, kubectl, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { secretsPath } from './api-lib.js';

let o: Opaque;
let dir: string;

before(async () => {
  o = await startOpaque();
  dir = tempDir('cli');
  for (const [path, body] of [
    ['/api/v1/namespaces', { metadata: { name: 'ci' } }],
    ['/api/v1/namespaces/ci/serviceaccounts', { metadata: { name: 'runner' } }],
    [secretsPath('ci'), { metadata: { name: 'anchor' } }],
  ] as const) {
    assert.equal((await http(o, 'POST', path, body)).status, 201, path);
  }
});

after(async () => {
  await cleanup(o);
});

const opaque = (args: string[], kubeconfig = o.kubeconfig) =>
  run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), ...args], { env: { ...process.env, KUBECONFIG: kubeconfig } });

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/** The finding line of one check in the text output. */
const line = (out: string, check: string) => out.split('\n').find((l) => l.slice(6).startsWith(`${check} `)) ?? '';

test('check: an admin sees every check pass, exit 0; near-expiry certificates warn, exit 2; json says the same', async () => {
  const r = await opaque(['check']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /all checks pass\n$/);
  assert.match(line(r.stdout, 'server'), new RegExp(`${o.url}, Kubernetes API v1\\.\\d+\\.\\d+`));
  assert.match(line(r.stdout, 'serving certificate'), /^ok {4}serving certificate +CN=opaque-server, trusted by the kubeconfig, expires \d{4}-\d\d-\d\d \(in 36\d days\)$/);
  assert.match(line(r.stdout, 'client certificate'), /^ok .*CN=opaque-admin, O=system:masters, expires/);
  assert.match(line(r.stdout, 'CA'), /^ok .*CN=opaque-ca, expires .*\(in 36\d\d days\)/);
  assert.match(line(r.stdout, 'identity'), /^ok .*opaque-admin \(groups system:masters, system:authenticated\)/);
  assert.match(line(r.stdout, 'readyz'), /^ok .*ping, storage, .*encryption-config/);
  assert.match(line(r.stdout, 'storage'), /^ok .*(embedded SQLite|etcd, (\d) of \2 members answering)$/);
  assert.match(line(r.stdout, 'encryption'), /^ok .*secrets written with k8s:enc:secretbox:v1:/);

  const warn = await opaque(['check', '--warn-days', '400']);
  assert.equal(warn.code, 2, warn.stdout);
  assert.match(line(warn.stdout, 'serving certificate'), /^WARN/);
  assert.match(line(warn.stdout, 'client certificate'), /^WARN/);
  assert.match(warn.stdout, /\n2 warnings\n$/);

  const json = await opaque(['check', '-o', 'json']);
  assert.equal(json.code, 0);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.result, 'ok');
  assert.deepEqual(doc.findings.find((f: { check: string }) => f.check === 'livez')?.level, 'ok');
});

test('token: prints a ServiceAccount JWT with the asked lifetime, audiences and bound Secret', async () => {
  const plain = await opaque(['token', 'runner', '-n', 'ci']);
  assert.equal(plain.code, 0, plain.stderr);
  const c = claims(plain.stdout.trim());
  assert.equal(c.sub, 'system:serviceaccount:ci:runner');
  assert.equal(c.exp - c.iat, 3600, 'the server default of one hour');
  assert.deepEqual(c.aud, [o.url]);

  const custom = await opaque(['token', 'runner', '-n', 'ci', '--duration', '2h', '--audience', 'vault', '--audience', 'ci-system']);
  assert.equal(custom.code, 0, custom.stderr);
  const cc = claims(custom.stdout.trim());
  assert.equal(cc.exp - cc.iat, 7200);
  assert.deepEqual(cc.aud, ['vault', 'ci-system']);

  const bound = await opaque(['token', 'runner', '-n', 'ci', '--bound-object-kind', 'Secret', '--bound-object-name', 'anchor']);
  assert.equal(bound.code, 0, bound.stderr);
  assert.equal(claims(bound.stdout.trim())['kubernetes.io'].secret.name, 'anchor');

  for (const [args, message] of [
    [['token', 'nobody', '-n', 'ci'], /404: serviceaccounts "nobody" not found/],
    [['token', 'runner', '-n', 'ci', '--duration', '5m'], /422: .*may not specify a duration less than 10 minutes/],
    [['token', 'runner', '-n', 'ci', '--duration', 'soon'], /invalid duration "soon"/],
    [['token', 'runner', '-n', 'ci', '--bound-object-kind', 'Pod', '--bound-object-name', 'p'], /only Secret objects exist/],
    [['token', 'runner', '-n', 'ci', '--bound-object-name', 'anchor'], /go together/],
  ] as const) {
    const r = await opaque([...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message);
  }
});

test('token --output-kubeconfig: a private kubeconfig kubectl and check use; bound to a Secret, it dies with it', async () => {
  const file = join(dir, 'runner.kubeconfig');
  const r = await opaque(['token', 'runner', '-n', 'ci', '--duration', '1h', '--bound-object-kind', 'Secret', '--bound-object-name', 'anchor', '--output-kubeconfig', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .* for ServiceAccount ci\/runner, valid until /);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const who = await kubectl({ ...o, kubeconfig: file }, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(who.stdout, 'system:serviceaccount:ci:runner', who.stderr);
  const denied = await kubectl({ ...o, kubeconfig: file }, ['get', 'secrets']);
  assert.match(denied.stderr, /cannot list resource "secrets" in API group "" in the namespace "ci"/, 'the context namespace is the ServiceAccount\'s');

  const check = await opaque(['check'], file);
  assert.equal(check.code, 0, check.stdout);
  assert.match(line(check.stdout, 'token'), /^ok .*bearer token \(JWT\), expires .* \(in (59|60) min\)$/);
  assert.match(line(check.stdout, 'identity'), /system:serviceaccount:ci:runner/);
  assert.match(line(check.stdout, 'storage'), /^ {6}storage +not shown: \/metrics refused/);

  assert.equal((await http(o, 'DELETE', secretsPath('ci', 'anchor'))).status, 200);
  const gone = await opaque(['check'], file);
  assert.equal(gone.code, 1, gone.stdout);
  assert.match(line(gone.stdout, 'identity'), /^FAIL .*the credentials were refused \(401\)/);
});

test('check: an untrusted serving certificate and a stopped server fail, exit 1', async () => {
  const stranger = await createCA('someone-else');
  const file = join(dir, 'wrong-ca.kubeconfig');
  writeFileSync(file, kubeconfigYaml({ server: o.url, caPem: stranger.cert, user: 'x', token: 'whatever' }), { mode: 0o600 });
  const r = await opaque(['check'], file);
  assert.equal(r.code, 1, r.stdout);
  assert.match(line(r.stdout, 'serving certificate'), /^FAIL .*NOT trusted: /);

  const other = await startOpaque();
  const kubeconfig = other.kubeconfig;
  const copy = join(dir, 'stopped.kubeconfig');
  writeFileSync(copy, readFileSync(kubeconfig));
  await cleanup(other);
  const stopped = await opaque(['check'], copy);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stdout, /^FAIL {2}connection +cannot reach https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/m);
});
