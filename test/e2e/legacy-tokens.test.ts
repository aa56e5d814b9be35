// Legacy secret-based service-account tokens on a real server: the tokens controller fills
// kubernetes.io/service-account-token Secrets (token, ca.crt, namespace, uid annotation) and deletes
// those whose ServiceAccount is gone; the token works with kubectl and stamps the last-used label;
// the clean-up controller (short period and interval here) marks unused auto-generated tokens invalid
// — the authenticator then refuses them with kube's message — and deletes them once the invalid-since
// date is older than the period.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, kubectl, startOpaque, type Opaque } from '../helpers/opaque.js';
import { eventually } from './api-lib.js';
import { decodeClaims, kubectlAs, UNAUTHORIZED, withToken } from './sa-lib.js';

let o: Opaque;
const today = () => new Date().toISOString().slice(0, 10);
const secretPath = (name: string) => `/api/v1/namespaces/default/secrets/${name}`;
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

before(async () => {
  o = await startOpaque({
    args: ['--authorization-mode=AlwaysAllow', '--legacy-service-account-token-clean-up-period=2s', '--legacy-service-account-token-clean-up-interval=500ms'],
  });
});

after(async () => {
  if (o) await cleanup(o);
});

async function tokenSecret(name: string, sa: string): Promise<void> {
  const r = await http(o, 'POST', '/api/v1/namespaces/default/secrets', {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name, annotations: { 'kubernetes.io/service-account.name': sa } },
  });
  assert.equal(r.status, 201, r.text);
}

async function filled(name: string): Promise<any> {
  return eventually(async () => {
    const r = await http(o, 'GET', secretPath(name));
    return r.json?.data?.token ? r.json : undefined;
  }, 10_000, `token in secret ${name}`);
}

/** Lists the secret in its ServiceAccount's .secrets: kube treats such tokens as auto-generated. */
async function listInServiceAccount(sa: string, secret: string): Promise<void> {
  const r = await kubectl(o, ['patch', 'sa', sa, '-p', JSON.stringify({ secrets: [{ name: secret }] })]);
  assert.equal(r.code, 0, r.stderr);
}

describe('legacy service-account token secrets', () => {
  test('the controller fills token, ca.crt and namespace; the token works with kubectl and records its last use', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'legacy'])).code, 0);
    await tokenSecret('legacy-token', 'legacy');
    const s = await filled('legacy-token');
    const saUID = (await http(o, 'GET', '/api/v1/namespaces/default/serviceaccounts/legacy')).json.metadata.uid;
    assert.equal(s.metadata.annotations['kubernetes.io/service-account.uid'], saUID);
    assert.equal(unb64(s.data['ca.crt']), readFileSync(join(o.dataDir, 'pki', 'ca.crt'), 'utf8'));
    assert.equal(unb64(s.data.namespace), 'default');
    const token = unb64(s.data.token);
    const c = decodeClaims(token);
    assert.deepEqual(c, {
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'default',
      'kubernetes.io/serviceaccount/secret.name': 'legacy-token',
      'kubernetes.io/serviceaccount/service-account.name': 'legacy',
      'kubernetes.io/serviceaccount/service-account.uid': saUID,
      sub: 'system:serviceaccount:default:legacy',
    });
    assert.equal(s.metadata.labels?.['kubernetes.io/legacy-token-last-used'], undefined);
    const w = await kubectlAs(o, token, ['auth', 'whoami', '-o', 'json']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(JSON.parse(w.stdout).status.userInfo.username, 'system:serviceaccount:default:legacy');
    const g = await kubectlAs(o, token, ['get', 'secret', 'legacy-token']);
    assert.equal(g.code, 0, g.stderr);
    await eventually(async () => (await http(o, 'GET', secretPath('legacy-token'))).json.metadata.labels?.['kubernetes.io/legacy-token-last-used'] === today(), 5_000, 'last-used label');
  });

  test('an auto-generated token (listed by its ServiceAccount) works with kube\'s warning; a manual one without', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'listed'])).code, 0);
    await tokenSecret('listed-token', 'listed');
    const token = unb64((await filled('listed-token')).data.token);
    const first = await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(first.status, 200);
    assert.equal(first.headers['warning'], undefined);
    // Used before it is listed, so the clean-up (2 s period here) sees a recent use and leaves it be.
    await eventually(async () => (await http(o, 'GET', secretPath('listed-token'))).json.metadata.labels?.['kubernetes.io/legacy-token-last-used'], 5_000, 'last-used label');
    await listInServiceAccount('listed', 'listed-token');
    const r = await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(r.status, 200);
    assert.equal(r.headers['warning'], '299 - "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens."');
  });

  test('the token must match the stored copy; a token whose Secret is gone is refused', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'short-lived'])).code, 0);
    await tokenSecret('short-lived-token', 'short-lived');
    const token = unb64((await filled('short-lived-token')).data.token);
    assert.equal((await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
    const r = await kubectl(o, ['patch', 'secret', 'short-lived-token', '-p', JSON.stringify({ data: { token: Buffer.from('other').toString('base64') } })]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets')).json, UNAUTHORIZED);
  });

  test('a Secret for a missing ServiceAccount is deleted, and deleting a ServiceAccount deletes its token Secrets', async () => {
    await tokenSecret('orphan-token', 'nobody');
    await eventually(async () => (await http(o, 'GET', secretPath('orphan-token'))).status === 404, 10_000, 'orphan token secret deleted');
    assert.equal((await kubectl(o, ['create', 'sa', 'doomed'])).code, 0);
    await tokenSecret('doomed-token', 'doomed');
    const token = unb64((await filled('doomed-token')).data.token);
    assert.equal((await kubectl(o, ['delete', 'sa', 'doomed'])).code, 0);
    assert.deepEqual((await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets')).json, UNAUTHORIZED);
    await eventually(async () => (await http(o, 'GET', secretPath('doomed-token'))).status === 404, 10_000, 'token secret of a deleted SA deleted');
  });

  test('an unused auto-generated token is marked invalid, refused with kube\'s reason, and works again without the label', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'idle'])).code, 0);
    await tokenSecret('idle-token', 'idle');
    await tokenSecret('manual-token', 'idle');
    const token = unb64((await filled('idle-token')).data.token);
    await filled('manual-token');
    await listInServiceAccount('idle', 'idle-token');
    const marked = await eventually(async () => {
      const s = (await http(o, 'GET', secretPath('idle-token'))).json;
      return s.metadata.labels?.['kubernetes.io/legacy-token-invalid-since'] ? s : undefined;
    }, 15_000, 'invalid-since label');
    assert.equal(marked.metadata.labels['kubernetes.io/legacy-token-invalid-since'], today());
    // A token its ServiceAccount does not list was created by hand: the cleaner leaves it alone.
    const manual = (await http(o, 'GET', secretPath('manual-token'))).json;
    assert.equal(manual.metadata.labels?.['kubernetes.io/legacy-token-invalid-since'], undefined);
    assert.deepEqual((await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets')).json, UNAUTHORIZED);
    const review = await http(o, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    assert.equal(review.json.status.authenticated, false);
    assert.equal(review.json.status.error,
      "the token in secret default/idle-token for service account default/idle has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token");
    // The refused use still counts as a use.
    await eventually(async () => (await http(o, 'GET', secretPath('idle-token'))).json.metadata.labels?.['kubernetes.io/legacy-token-last-used'] === today(), 5_000, 'last-used after a refused use');
    const un = await kubectl(o, ['label', 'secret', 'idle-token', 'kubernetes.io/legacy-token-invalid-since-']);
    assert.equal(un.code, 0, un.stderr);
    assert.equal((await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
  });

  test('a token invalid for longer than the period is deleted', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'stale'])).code, 0);
    await tokenSecret('stale-token', 'stale');
    await filled('stale-token');
    const l = await kubectl(o, ['label', 'secret', 'stale-token', 'kubernetes.io/legacy-token-invalid-since=2020-01-01']);
    assert.equal(l.code, 0, l.stderr);
    await listInServiceAccount('stale', 'stale-token');
    await eventually(async () => (await http(o, 'GET', secretPath('stale-token'))).status === 404, 15_000, 'stale token deleted');
  });
});
