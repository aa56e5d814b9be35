// @kubernetes/client-node with ServiceAccounts and tokens: an application creates a ServiceAccount,
// asks for a token (TokenRequest), then acts with that token alone; TokenReview and
// SelfSubjectReview through the typed AuthenticationV1Api; a deleted ServiceAccount's token is refused.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, startOpaque, type Opaque } from '../helpers/opaque.js';
import { clients, k8s, type Clients } from './client-node-support.js';

let o: Opaque;
let admin: Clients;

before(async () => {
  o = await startOpaque({ args: ['--authorization-mode=AlwaysAllow'] });
  admin = clients(o);
});

after(async () => {
  if (o) await cleanup(o);
});

function tokenConfig(token: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: o.url, caFile: join(o.dataDir, 'pki', 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u', namespace: 'default' }],
    currentContext: 'c',
  });
  return kc;
}

describe('client-node with service-account tokens', () => {
  test('create a ServiceAccount, request a token, act with it, review it, and lose it with the account', async () => {
    const sa = await admin.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'app' } } });
    assert.equal(sa.metadata?.name, 'app');
    const tr = await admin.core.createNamespacedServiceAccountToken({
      namespace: 'default', name: 'app', body: { spec: { audiences: [], expirationSeconds: 1200 } },
    });
    const token = tr.status?.token;
    assert.ok(token);
    assert.ok(tr.status?.expirationTimestamp instanceof Date);

    const kc = tokenConfig(token);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'made-by-app' }, stringData: { k: 'v' } } });
    const list = await core.listNamespacedSecret({ namespace: 'default' });
    assert.ok(list.items.some((s) => s.metadata?.name === 'made-by-app'));

    const who = await kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    assert.equal(who.status?.userInfo?.username, 'system:serviceaccount:default:app');

    const review = await admin.kc.makeApiClient(k8s.AuthenticationV1Api).createTokenReview({ body: { spec: { token } } });
    assert.equal(review.status?.authenticated, true);
    assert.equal(review.status?.user?.uid, sa.metadata?.uid);

    await admin.core.deleteNamespacedServiceAccount({ namespace: 'default', name: 'app' });
    await assert.rejects(core.listNamespacedSecret({ namespace: 'default' }), (e: unknown) => e instanceof k8s.ApiException && e.code === 401);
  });
});
