// `opaque registry-credentials` speaks the docker-credential-* protocol from image pull Secrets on a
// real server: `get` reads a server URL on stdin and prints Username/Secret JSON for the most
// specific match (dockerconfigjson made by kubectl, legacy dockercfg), answers "credentials not
// found" with exit 1, reads a pod's imagePullSecrets, warns about unreadable ones, refuses store.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, http, kubectl, removeDir, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { writeManifest } from './agent-support.js';

let o: Opaque;
let dir: string;
const helper = (args: string[], input: string, env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'registry-credentials', ...args, '--kubeconfig', o.kubeconfig], { input, env: { ...process.env, ...env } });

before(async () => {
  o = await startOpaque();
  dir = tempDir('regcred');
  for (const [name, server, user] of [['regcred', 'reg.example.com', 'host-user'], ['teamcred', 'reg.example.com/team', 'team-user'], ['hub', 'https://index.docker.io/v1/', 'hub-user']]) {
    const r = await kubectl(o, ['create', 'secret', 'docker-registry', name!, `--docker-server=${server}`, `--docker-username=${user}`, `--docker-password=${user}-pw`]);
    assert.equal(r.code, 0, r.stderr);
  }
  const legacy = { 'legacy.example.com:5000': { auth: Buffer.from('old:old-pw').toString('base64') } };
  const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'legacy' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': Buffer.from(JSON.stringify(legacy)).toString('base64') } });
  assert.equal(r.status, 201, r.text);
});
after(async () => {
  await cleanup(o);
  removeDir(dir);
});

describe('registry-credentials', () => {
  it('get prints the most specific credentials for a server', async () => {
    const all = ['--secret', 'regcred', '--secret', 'teamcred', '--secret', 'hub', '--secret', 'legacy'];
    const host = await helper(['get', ...all], 'reg.example.com\n');
    assert.equal(host.code, 0, host.stderr);
    assert.deepEqual(JSON.parse(host.stdout), { ServerURL: 'reg.example.com', Username: 'host-user', Secret: 'host-user-pw' });
    const team = await helper(['get', ...all], 'reg.example.com/team/app');
    assert.equal(JSON.parse(team.stdout).Username, 'team-user');
    const hub = await helper(['get', ...all], 'https://index.docker.io/v1/');
    assert.equal(JSON.parse(hub.stdout).Secret, 'hub-user-pw');
    const legacy = await helper(['get', ...all], 'legacy.example.com:5000');
    assert.deepEqual(JSON.parse(legacy.stdout), { ServerURL: 'legacy.example.com:5000', Username: 'old', Secret: 'old-pw' });
    const wrongPort = await helper(['get', ...all], 'legacy.example.com');
    assert.equal(wrongPort.code, 1);
    assert.equal(wrongPort.stdout, 'credentials not found in native keychain\n');
  });

  it('reads imagePullSecrets from a manifest, or the secrets from the environment', async () => {
    const file = writeManifest(dir, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { imagePullSecrets: [{ name: 'teamcred' }, { name: 'missing' }], containers: [{ name: 'c', command: ['true'] }] } });
    const r = await helper(['get', '-f', file], 'reg.example.com/team/x');
    assert.equal(JSON.parse(r.stdout).Username, 'team-user');
    assert.match(r.stderr, /FailedToRetrieveImagePullSecret: .*missing: secrets "missing" not found/);
    const env = await helper(['get'], 'reg.example.com', { OPAQUE_REGISTRY_SECRETS: 'regcred' });
    assert.equal(JSON.parse(env.stdout).Username, 'host-user');
    const list = await helper(['list', '--secret', 'regcred', '--secret', 'legacy'], '');
    assert.deepEqual(JSON.parse(list.stdout), { 'reg.example.com': 'host-user', 'legacy.example.com:5000': 'old' });
  });

  it('refuses to store or erase', async () => {
    const r = await helper(['store', '--secret', 'regcred'], '{"ServerURL":"x","Username":"u","Secret":"s"}');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /read-only/);
  });
});
