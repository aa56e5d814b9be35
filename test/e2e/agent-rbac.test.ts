// `opaque run` under least privilege: --print-role prints a Role with get and watch on exactly the
// Secrets the pod references; bound to a client-certificate user (from `opaque kubeconfig`), the
// agent runs the pod and follows updates by watch, while that identity cannot read, list or
// watch a Secret the pod does not reference — and a pod referencing one waits with the 403.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { cleanup, kubectl, removeDir, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { mountedFile, putSecret, startAgent, stopAgents, waitForContent, writeManifest } from './agent-support.js';

let o: Opaque;
let dir: string;
let agentKc: string;
const BIN = join(ROOT, 'bin', 'opaque.js');

const pod = (name: string, secretEnv: string, secretVol: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: {
    containers: [{
      name: 'c',
      command: ['sh', '-c', 'echo DB=$DB; echo API=$(cat $OPAQUE_ROOT/etc/api/token); trap "exit 0" TERM; while :; do sleep 0.1; done'],
      env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: secretEnv, key: 'password' } } }],
      volumeMounts: [{ name: 'api', mountPath: '/etc/api' }],
    }],
    volumes: [{ name: 'api', secret: { secretName: secretVol } }],
  },
});

before(async () => {
  dir = tempDir('agent-rbac');
  writeFileSync(join(dir, 'tokens.csv'), 'agent2-token-0123456789,agent2,2002\n', { mode: 0o600 });
  o = await startOpaque({ args: ['--token-auth-file', join(dir, 'tokens.csv')] });
  await putSecret(o, 'app-db', { password: 'db-pw' });
  await putSecret(o, 'app-api', { token: 't1' });
  await putSecret(o, 'payroll', { password: 'not-yours' });
  agentKc = join(dir, 'agent1.kubeconfig');
  const r = await run(process.execPath, [BIN, 'kubeconfig', '--user', 'agent1', '--data-dir', o.dataDir, '-o', agentKc]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await stopAgents();
  await cleanup(o);
  removeDir(dir);
});

describe('least privilege', () => {
  it('--print-role grants get and watch on exactly the referenced secrets', async () => {
    const file = writeManifest(dir, pod('app', 'app-db', 'app-api'));
    const r = await run(process.execPath, [BIN, 'run', '--print-role', '-f', file, '--subject', 'User:agent1']);
    assert.equal(r.code, 0, r.stderr);
    const [role, binding] = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['app-api', 'app-db'], verbs: ['get', 'watch'] }]);
    assert.deepEqual([role.kind, role.metadata.namespace, binding.kind, binding.roleRef.name], ['Role', 'default', 'RoleBinding', role.metadata.name]);
    assert.deepEqual(binding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'agent1' }]);
    const applied = await kubectl(o, ['apply', '-f', '-'], { input: r.stdout });
    assert.equal(applied.code, 0, applied.stderr);
  });

  it('the agent runs the pod with that role and follows updates by watch', async () => {
    const a = startAgent(o, pod('app', 'app-db', 'app-api'), ['--kubeconfig', agentKc]);
    await a.waitFor(/^\[c\] DB=db-pw$/m);
    await a.waitFor(/^\[c\] API=t1$/m);
    await putSecret(o, 'app-api', { token: 't2' });
    await waitForContent(mountedFile(a, 'app', 'c', 'etc/api/token'), 't2', 5000, a);
    assert.doesNotMatch(a.err(), /forbidden/i);
    await a.stop();
    removeDir(a.dir);
  });

  it('that identity cannot read, list or watch a secret the pod does not reference', async () => {
    const as = (args: string[]) => kubectl(o, args, { env: { KUBECONFIG: agentKc } });
    const get = await as(['get', 'secret', 'payroll']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /secrets "payroll" is forbidden: User "agent1" cannot get resource "secrets" in API group "" in the namespace "default"/);
    const list = await as(['get', 'secrets']);
    assert.match(list.stderr, /cannot list resource "secrets"/);
    const watch = await as(['get', 'secrets', '--field-selector', 'metadata.name=payroll', '--watch', '--request-timeout', '5s']);
    assert.match(watch.stderr, /forbidden/);
    const mine = await as(['get', 'secret', 'app-db', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(mine.stdout, 'base64').toString(), 'db-pw');
  });

  it('a token file identity (the ServiceAccount token seam) works the same way', async () => {
    await putSecret(o, 'agent2-only', { password: 'for-agent2' });
    const file = writeManifest(dir, pod('tok', 'agent2-only', 'app-api'), 'tok.yaml');
    const role = await run(process.execPath, [BIN, 'run', '--print-role', '-f', file, '--subject', 'User:agent2']);
    assert.equal((await kubectl(o, ['apply', '-f', '-'], { input: role.stdout })).code, 0);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'agent2-token-0123456789\n', { mode: 0o600 });
    // The kubeconfig (agent1, who may not read agent2-only) gives only the server and CA here.
    const a = startAgent(o, file, ['--kubeconfig', agentKc, '--token-file', tokenFile]);
    await a.waitFor(/^\[c\] DB=for-agent2$/m);
    assert.match(a.err(), /as token file /);
    await a.stop();
    removeDir(a.dir);
  });

  it('a ServiceAccount token from `kubectl create token` in a token file, bound by --print-role --subject ServiceAccount', async () => {
    assert.equal((await kubectl(o, ['create', 'serviceaccount', 'filer'])).code, 0);
    await putSecret(o, 'filer-only', { password: 'for-filer' });
    const file = writeManifest(dir, pod('filer', 'filer-only', 'app-api'), 'filer.yaml');
    const role = await run(process.execPath, [BIN, 'run', '--print-role', '-f', file, '--subject', 'ServiceAccount:default:filer']);
    assert.equal((await kubectl(o, ['apply', '-f', '-'], { input: role.stdout })).code, 0);
    const token = await kubectl(o, ['create', 'token', 'filer', '--duration=10m']);
    assert.equal(token.code, 0, token.stderr);
    const tokenFile = join(dir, 'filer-token');
    writeFileSync(tokenFile, token.stdout, { mode: 0o600 });
    const a = startAgent(o, file, ['--kubeconfig', agentKc, '--token-file', tokenFile]);
    await a.waitFor(/^\[c\] DB=for-filer$/m);
    await a.stop();
    removeDir(a.dir);
  });

  it('--service-account-token: the launcher identity may only request tokens; the pod\'s ServiceAccount reads its secrets', async () => {
    assert.equal((await kubectl(o, ['create', 'serviceaccount', 'app-sa'])).code, 0);
    await putSecret(o, 'sa-db', { password: 'for-app-sa' });
    const manifest = { ...pod('sa-app', 'sa-db', 'app-api') };
    (manifest.spec as Record<string, unknown>)['serviceAccountName'] = 'app-sa';
    const file = writeManifest(dir, manifest, 'sa-app.yaml');
    const role = await run(process.execPath, [BIN, 'run', '--print-role', '-f', file, '--subject', 'ServiceAccount:default:app-sa']);
    assert.equal((await kubectl(o, ['apply', '-f', '-'], { input: role.stdout })).code, 0);
    // The launcher (a kubelet stand-in) may create tokens for app-sa and nothing else.
    const launcherKc = join(dir, 'launcher.kubeconfig');
    assert.equal((await run(process.execPath, [BIN, 'kubeconfig', '--user', 'launcher', '--data-dir', o.dataDir, '-o', launcherKc])).code, 0);
    for (const args of [
      ['create', 'role', 'token-for-app-sa', '--verb=create', '--resource=serviceaccounts/token', '--resource-name=app-sa'],
      ['create', 'rolebinding', 'launcher-tokens', '--role=token-for-app-sa', '--user=launcher'],
    ]) {
      const r = await kubectl(o, args);
      assert.equal(r.code, 0, r.stderr);
    }
    const direct = await kubectl(o, ['get', 'secret', 'sa-db'], { env: { KUBECONFIG: launcherKc } });
    assert.match(direct.stderr, /User "launcher" cannot get resource "secrets"/);
    const a = startAgent(o, file, ['--kubeconfig', launcherKc, '--service-account-token', '--token-expiration', '10m']);
    await a.waitFor(/^\[c\] DB=for-app-sa$/m);
    assert.match(a.err(), /as ServiceAccount default\/app-sa \(TokenRequest/);
    await a.stop();
    removeDir(a.dir);
  });

  it('a pod referencing an unbound secret waits with the 403 as its message', async () => {
    const a = startAgent(o, pod('greedy', 'payroll', 'app-api'), ['--kubeconfig', agentKc]);
    await a.waitFor(/container "c" waiting: CreateContainerConfigError: secrets "payroll" is forbidden: User "agent1" cannot get resource "secrets"/);
    assert.doesNotMatch(a.out(), /not-yours/);
    await a.stop();
    removeDir(a.dir);
  });
});
