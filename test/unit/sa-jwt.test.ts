// ServiceAccount JWT signature checks as kube's jwt.go makes them: a token is tried against every
// verification key (or the ones its kid names), and the failures are aggregated as apimachinery's
// errors.NewAggregate prints them — each distinct message once, without brackets when only one.

import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { verifySignature, type ServiceAccountTokenConfig } from '../../src/auth/sa-jwt.js';
import { keyId, type SigningKey, type VerificationKey } from '../../src/auth/sa-keys.js';

function ecKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = createPublicKey(privateKey);
  return { kid: keyId(key), alg: 'ES256', key, privateKey };
}

const config = (signing: SigningKey, verifying: VerificationKey[]): ServiceAccountTokenConfig =>
  ({ issuers: ['https://opaque.test'], apiAudiences: ['https://opaque.test'], maxExpirationSeconds: 0, signing, verifying });

const sign = (k: SigningKey, kid?: string) =>
  new SignJWT({ sub: 'system:serviceaccount:default:x' }).setProtectedHeader({ alg: k.alg, ...(kid ? { kid } : {}) }).sign(k.privateKey);

test('a token signed by a known key verifies; by none of several keys, one aggregated message', async () => {
  const [a, b, stranger] = [ecKey(), ecKey(), ecKey()];
  const cfg = config(a, [a, b]);
  assert.equal((await verifySignature(cfg, await sign(b))).sub, 'system:serviceaccount:default:x');
  // No kid: every key is tried, each fails the same way; kube prints that error once.
  await assert.rejects(verifySignature(cfg, await sign(stranger)), { message: 'go-jose/go-jose: error in cryptographic primitive' });
  // A kid nobody has: no key to try.
  await assert.rejects(verifySignature(cfg, await sign(stranger, 'nope')), { message: 'invalid signature, no keys found' });
});
