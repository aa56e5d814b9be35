// Short-lived service-account tokens end to end: `kubectl create token` (protobuf TokenRequest) with
// audience, duration and a bound Secret; the JWT verified outside the server with jose from the OIDC
// discovery document and JWKS alone; the token used with kubectl and refused with kube's bare 401
// once expired, for the wrong audience, or after its ServiceAccount or bound Secret is deleted;
// TokenReview; kubectl auth whoami; kube's TokenRequest validation; --service-account-max-token-expiration.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify, customFetch } from 'jose';
import { fetch as undiciFetch, Agent as UndiciAgent } from 'undici';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, http, kubectl, startOpaque, type Opaque } from '../helpers/opaque.js';
import { assertStatus } from './api-lib.js';
import { decodeClaims, kubectlAs, mint, UNAUTHORIZED, withToken } from './sa-lib.js';

let o: Opaque;

before(async () => {
  // Non-admin identities act here, so authorization is explicitly permissive.
  o = await startOpaque({ args: ['--authorization-mode=AlwaysAllow', '--service-account-max-token-expiration=2h'] });
  for (const args of [['create', 'sa', 'robot'], ['create', 'secret', 'generic', 'anchor', '--from-literal=k=v']]) {
    const r = await kubectl(o, args);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  if (o) await cleanup(o);
});

async function createToken(args: string[]): Promise<string> {
  const r = await kubectl(o, ['create', 'token', ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.endsWith('\n'), 'kubectl prints the token without a newline');
  return r.stdout;
}

const saUID = async (name: string) => (await http(o, 'GET', `/api/v1/namespaces/default/serviceaccounts/${name}`)).json.metadata.uid;

describe('TokenRequest', () => {
  test('kubectl create token: kube\'s claims, default audience = the issuer, 1 h', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await createToken(['robot']);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    assert.equal(header.alg, 'RS256');
    assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/);
    const c = decodeClaims(token);
    assert.equal(c.iss, o.url);
    assert.deepEqual(c.aud, [o.url]);
    assert.equal(c.sub, 'system:serviceaccount:default:robot');
    assert.ok(c.iat >= before && c.iat <= before + 5);
    assert.equal(c.nbf, c.iat);
    assert.equal(c.exp - c.iat, 3600);
    assert.match(c.jti, /^[0-9a-f-]{36}$/);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: await saUID('robot') } });
    assert.equal((c['kubernetes.io'] as Record<string, unknown>)['warnafter'], undefined);
  });

  test('audience, duration and a bound Secret go into the token; the response is kube\'s', async () => {
    const token = await createToken(['robot', '--audience=vault', '--audience=ci', '--duration=15m', '--bound-object-kind=Secret', '--bound-object-name=anchor']);
    const c = decodeClaims(token);
    assert.deepEqual(c.aud, ['vault', 'ci']);
    assert.equal(c.exp - c.iat, 900);
    const anchorUID = (await http(o, 'GET', '/api/v1/namespaces/default/secrets/anchor')).json.metadata.uid;
    assert.deepEqual(c['kubernetes.io'].secret, { name: 'anchor', uid: anchorUID });
    const r = await http(o, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { audiences: ['x'] } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.kind, 'TokenRequest');
    assert.equal(r.json.apiVersion, 'authentication.k8s.io/v1');
    assert.equal(r.json.metadata.name, 'robot');
    assert.equal(r.json.metadata.namespace, 'default');
    assert.equal(r.json.spec.expirationSeconds, 3600);
    const exp = Date.parse(r.json.status.expirationTimestamp) / 1000;
    assert.equal(exp, decodeClaims(r.json.status.token).exp);
  });

  test('kube\'s errors: missing ServiceAccount, too short, too long, missing or mismatched bound objects', async () => {
    const missing = await kubectl(o, ['create', 'token', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nosuch" not found');
    const short = await kubectl(o, ['create', 'token', 'robot', '--duration=5m']);
    assert.match(short.stderr, /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
    const path = '/api/v1/namespaces/default/serviceaccounts/robot/token';
    assertStatus(await http(o, 'POST', path, { spec: { expirationSeconds: 2 ** 32 + 1 } }), 422, 'Invalid',
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds');
    assertStatus(await http(o, 'POST', path, { metadata: { name: 'other' }, spec: {} }), 422, 'Invalid',
      'TokenRequest.authentication.k8s.io "robot" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified');
    const pod = await kubectl(o, ['create', 'token', 'robot', '--bound-object-kind=Pod', '--bound-object-name=web-0']);
    assert.equal(pod.stderr.trim(), 'error: failed to create token: pods "web-0" not found');
    const sec = await kubectl(o, ['create', 'token', 'robot', '--bound-object-kind=Secret', '--bound-object-name=gone']);
    assert.equal(sec.stderr.trim(), 'error: failed to create token: secrets "gone" not found');
    assertStatus(await http(o, 'POST', path, { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } }), 400, 'BadRequest',
      'cannot bind token to object of type /v1, Kind=ConfigMap');
    assertStatus(await http(o, 'POST', path, { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'anchor', uid: 'not-it' } } }), 409, 'Conflict',
      /^Operation cannot be fulfilled on Secret "anchor": the UID in the bound object reference \(not-it\) does not match the UID in record/);
  });

  test('--service-account-max-token-expiration shortens longer requests with a warning', async () => {
    const r = await http(o, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 86_400 } });
    assert.equal(r.status, 201);
    assert.equal(r.json.spec.expirationSeconds, 7200);
    assert.match(String(r.headers['warning']), /requested expiration of 86400 seconds shortened to 7200 seconds/);
    const c = decodeClaims(r.json.status.token);
    assert.equal(c.exp - c.iat, 7200);
  });
});

describe('using tokens', () => {
  test('an outside service verifies the JWT with jose from the discovery document and JWKS alone', async () => {
    const token = await createToken(['robot', '--audience=billing']);
    // The outside service trusts the server's CA and reads discovery with its own token.
    const caAgent = new UndiciAgent({ connect: { ca: readFileSync(join(o.dataDir, 'pki', 'ca.crt')) } });
    const reader = await createToken(['robot']);
    const fetchWith = (url: string | URL, init: Record<string, unknown> = {}) =>
      undiciFetch(url, { ...init, dispatcher: caAgent, headers: { ...(init['headers'] as object), authorization: `Bearer ${reader}` } } as never);
    const disco = await (await fetchWith(`${o.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.deepEqual(disco, {
      issuer: o.url, jwks_uri: `${o.url}/openid/v1/jwks`, response_types_supported: ['id_token'],
      subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
    });
    // Like kube's, discovery needs an authenticated caller (the reader above used its own token).
    const anonymous = await undiciFetch(`${o.url}/.well-known/openid-configuration`, { dispatcher: caAgent } as never);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const jwksRes = await fetchWith(disco['jwks_uri'] as string);
    assert.match(String(jwksRes.headers.get('content-type')), /^application\/jwk-set\+json/);
    assert.match(String(jwksRes.headers.get('cache-control')), /^public, max-age=\d+$/);
    const jwks = createRemoteJWKSet(new URL(disco['jwks_uri'] as string), { [customFetch]: fetchWith as never });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: disco['issuer'] as string, audience: 'billing' });
    assert.equal(payload.sub, 'system:serviceaccount:default:robot');
    assert.equal(protectedHeader.alg, 'RS256');
    await assert.rejects(jwtVerify(token, jwks, { issuer: disco['issuer'] as string, audience: 'someone-else' }), /aud/);
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await assert.rejects(jwtVerify(tampered, jwks, { issuer: disco['issuer'] as string, audience: 'billing' }));
    await caAgent.close();
  });

  test('the token works with kubectl and auth whoami shows the service account', async () => {
    const token = await createToken(['robot']);
    const w = await kubectlAs(o, token, ['auth', 'whoami', '-o', 'json']);
    assert.equal(w.code, 0, w.stderr);
    const info = JSON.parse(w.stdout).status.userInfo;
    assert.equal(info.username, 'system:serviceaccount:default:robot');
    assert.equal(info.uid, await saUID('robot'));
    assert.deepEqual(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(info.extra['authentication.kubernetes.io/credential-id'], [`JTI=${decodeClaims(token).jti}`]);
    const g = await kubectlAs(o, token, ['get', 'secrets']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /anchor/);
  });

  test('kubectl auth whoami for the admin certificate', async () => {
    const w = await kubectl(o, ['auth', 'whoami']);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /Username\s+opaque-admin/);
    assert.match(w.stdout, /Groups\s+\[system:masters system:authenticated\]/);
  });

  test('refused with a bare 401: expired, not yet valid, wrong audience, wrong issuer key, tampered', async () => {
    const uid = await saUID('robot');
    const now = Math.floor(Date.now() / 1000);
    const claims = (over: Record<string, unknown>) => ({
      aud: [o.url], exp: now + 600, iat: now, nbf: now, iss: o.url, jti: 'j', sub: 'system:serviceaccount:default:robot',
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid } }, ...over,
    });
    const good = await mint(o, claims({}));
    assert.equal((await withToken(o, good, 'GET', '/api/v1/namespaces/default/secrets')).status, 200, 'a minted token with valid claims works');
    const bad = {
      expired: await mint(o, claims({ exp: now - 120, iat: now - 800, nbf: now - 800 })),
      'not yet valid': await mint(o, claims({ nbf: now + 600, iat: now })),
      'wrong audience': await createToken(['robot', '--audience=elsewhere']),
      'uid of another service account': await mint(o, claims({ 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid: 'other' } } })),
      tampered: good.slice(0, good.lastIndexOf('.') + 1) + Buffer.alloc(256, 1).toString('base64url'),
      garbage: 'not-a-token',
    };
    for (const [what, token] of Object.entries(bad)) {
      const r = await withToken(o, token, 'GET', '/api/v1/namespaces/default/secrets');
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.deepEqual(r.json, UNAUTHORIZED, what);
    }
  });

  test('deleting the ServiceAccount or the bound Secret stops its tokens at once', async () => {
    assert.equal((await kubectl(o, ['create', 'sa', 'temp'])).code, 0);
    assert.equal((await kubectl(o, ['create', 'secret', 'generic', 'lease', '--from-literal=a=b'])).code, 0);
    const plain = await createToken(['temp']);
    const bound = await createToken(['robot', '--bound-object-kind=Secret', '--bound-object-name=lease']);
    const path = '/api/v1/namespaces/default/secrets';
    assert.equal((await withToken(o, plain, 'GET', path)).status, 200);
    assert.equal((await withToken(o, bound, 'GET', path)).status, 200);
    assert.equal((await kubectl(o, ['delete', 'secret', 'lease'])).code, 0);
    assert.deepEqual((await withToken(o, bound, 'GET', path)).json, UNAUTHORIZED);
    assert.equal((await kubectl(o, ['delete', 'sa', 'temp'])).code, 0);
    assert.deepEqual((await withToken(o, plain, 'GET', path)).json, UNAUTHORIZED);
    // A new ServiceAccount with the same name has another uid: the old tokens stay dead.
    assert.equal((await kubectl(o, ['create', 'sa', 'temp'])).code, 0);
    assert.equal((await withToken(o, plain, 'GET', path)).status, 401);
  });
});

describe('TokenReview', () => {
  const review = (spec: Record<string, unknown>) =>
    http(o, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec });

  test('a good token: authenticated, the user and the audiences', async () => {
    const token = await createToken(['robot', '--audience=vault']);
    const r = await review({ token, audiences: ['vault'] });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.kind, 'TokenReview');
    assert.equal(r.json.status.authenticated, true);
    assert.equal(r.json.status.user.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(r.json.status.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(r.json.status.audiences, ['vault']);
    assert.equal(r.json.spec.token, token);
  });

  test('bad tokens: not authenticated, with kube\'s reason', async () => {
    const token = await createToken(['robot', '--audience=vault']);
    const wrongAud = await review({ token });
    assert.equal(wrongAud.json.status.authenticated, false);
    assert.equal(wrongAud.json.status.error, `token audiences ["vault"] is invalid for the target audiences ["${o.url}"]`);
    const uid = await saUID('robot');
    const now = Math.floor(Date.now() / 1000);
    const expired = await mint(o, {
      aud: [o.url], exp: now - 3600, iat: now - 7200, nbf: now - 7200, iss: o.url, jti: 'j', sub: 'system:serviceaccount:default:robot',
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid } },
    });
    assert.equal((await review({ token: expired })).json.status.error, 'service account token has expired');
    const tampered = expired.slice(0, expired.lastIndexOf('.') + 1) + Buffer.alloc(256, 7).toString('base64url');
    assert.equal((await review({ token: tampered })).json.status.error, 'go-jose/go-jose: error in cryptographic primitive');
    const [h, p, sig] = expired.split('.') as [string, string, string];
    const otherKid = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), kid: 'someone-elses-key' })).toString('base64url');
    assert.equal((await review({ token: `${otherKid}.${p}.${sig}` })).json.status.error, 'invalid signature, no keys found');
    const unknown = await review({ token: 'abc' });
    assert.equal(unknown.json.status.authenticated, false);
    assert.equal(unknown.json.status.error, 'invalid bearer token');
    assertStatus(await review({}), 400, 'BadRequest', 'token is required for TokenReview in authentication');
  });

  test('kubectl create -f of a TokenReview (YAML) works', async () => {
    const token = await createToken(['robot']);
    // kubectl validates create-only kinds (no PATCH operation) client-side from OpenAPI v2, which is not served.
    const r = await kubectl(o, ['create', '--validate=false', '-o', 'json', '-f', '-'], {
      input: `apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: ${token}\n`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status.authenticated, true);
  });
});
