// Bootstrap tokens on a real server: `<id>.<secret>` authenticates as system:bootstrap:<id> with
// system:bootstrappers and the Secret's extra groups (kubectl auth whoami); a wrong secret, an
// expired token, usage-bootstrap-authentication not "true" or a bad extra group get kube's bare 401;
// the token cleaner deletes expired bootstrap-token Secrets, including one that expires while served.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { eventually } from './api-lib.js';
import { kubectlAs, UNAUTHORIZED, withToken } from './sa-lib.js';

let o: Opaque;

before(async () => {
  o = await startOpaque({ args: ['--authorization-mode=AlwaysAllow'] });
});

after(async () => {
  if (o) await cleanup(o);
});

const path = (name = '') => `/api/v1/namespaces/kube-system/secrets${name ? `/${name}` : ''}`;
const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

async function bootstrapSecret(id: string, secret: string, extra: Record<string, string> = {}): Promise<void> {
  const r = await http(o, 'POST', path(), {
    apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: `bootstrap-token-${id}` },
    stringData: { 'token-id': id, 'token-secret': secret, 'usage-bootstrap-authentication': 'true', expiration: inOneHour(), ...extra },
  });
  assert.equal(r.status, 201, r.text);
}

describe('bootstrap tokens', () => {
  test('a valid token authenticates as system:bootstrap:<id> with its groups (kubectl auth whoami)', async () => {
    await bootstrapSecret('abcdef', '0123456789abcdef', { 'auth-extra-groups': 'system:bootstrappers:worker,system:bootstrappers:edge' });
    const w = await kubectlAs(o, 'abcdef.0123456789abcdef', ['auth', 'whoami', '-o', 'json']);
    assert.equal(w.code, 0, w.stderr);
    const u = JSON.parse(w.stdout).status.userInfo;
    assert.equal(u.username, 'system:bootstrap:abcdef');
    assert.deepEqual(u.groups, ['system:bootstrappers', 'system:bootstrappers:edge', 'system:bootstrappers:worker', 'system:authenticated']);
    const review = await http(o, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'abcdef.0123456789abcdef' } });
    assert.equal(review.json.status.authenticated, true);
    assert.deepEqual(review.json.status.audiences, [o.url]);
  });

  test('refused: wrong secret, unknown id, expired, usage not "true", bad extra group', async () => {
    await bootstrapSecret('exp001', 'aaaaaaaaaaaaaaaa', { expiration: '2020-01-01T00:00:00Z' });
    await bootstrapSecret('nouse1', 'bbbbbbbbbbbbbbbb', { 'usage-bootstrap-authentication': 'false' });
    await bootstrapSecret('badgrp', 'cccccccccccccccc', { 'auth-extra-groups': 'system:masters' });
    for (const token of ['abcdef.0123456789abcdee', 'zzzzzz.0123456789abcdef', 'exp001.aaaaaaaaaaaaaaaa', 'nouse1.bbbbbbbbbbbbbbbb', 'badgrp.cccccccccccccccc']) {
      const r = await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets');
      assert.equal(r.status, 401, token);
      assert.deepEqual(r.json, UNAUTHORIZED, token);
    }
    // The valid token still works: refusals are per token.
    assert.equal((await withToken(o, 'abcdef.0123456789abcdef', 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
  });

  test('the cleaner deletes expired bootstrap tokens, and others when they expire', async () => {
    await bootstrapSecret('old001', 'dddddddddddddddd', { expiration: '2021-06-01T00:00:00Z' });
    await eventually(async () => (await http(o, 'GET', path('bootstrap-token-old001'))).status === 404, 10_000, 'expired token deleted');
    const soon = new Date(Date.now() + 3_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await bootstrapSecret('soon01', 'eeeeeeeeeeeeeeee', { expiration: soon });
    assert.equal((await withToken(o, 'soon01.eeeeeeeeeeeeeeee', 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
    await eventually(async () => (await http(o, 'GET', path('bootstrap-token-soon01'))).status === 404, 15_000, 'token deleted at expiry');
    assert.equal((await withToken(o, 'soon01.eeeeeeeeeeeeeeee', 'GET', '/api/v1/namespaces/default/secrets')).status, 401);
    // The long-lived one stays.
    assert.equal((await http(o, 'GET', path('bootstrap-token-abcdef'))).status, 200);
  });
});
