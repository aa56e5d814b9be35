// Issuer and key flags on a real server: several --service-account-issuer values (the first issues,
// all are accepted), --api-audiences, and --service-account-key-file keys that verify tokens signed
// elsewhere (a key rollover), published in the JWKS next to the signing key.

import assert from 'node:assert/strict';
import { generateKeyPairSync, createHash, type KeyObject } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { cleanup, http, kubectl, startOpaque, tempDir, removeDir, type Opaque } from '../helpers/opaque.js';
import { decodeClaims, withToken } from './sa-lib.js';

let o: Opaque;
let args: string[];
const dir = tempDir('issuers');
const oldKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = (k: KeyObject) => createHash('sha256').update(k.export({ format: 'der', type: 'spki' })).digest('base64url');

before(async () => {
  const keyFile = join(dir, 'old.pub');
  writeFileSync(keyFile, oldKey.publicKey.export({ format: 'pem', type: 'spki' }) as string);
  o = await startOpaque({
    args: args = [
      '--authorization-mode=AlwaysAllow',
      '--service-account-issuer=https://issuer.example.com', '--service-account-issuer=https://old-issuer.example.com',
      '--api-audiences=api.example.com,https://issuer.example.com',
      '--service-account-key-file', keyFile,
    ],
  });
  assert.equal((await kubectl(o, ['create', 'sa', 'robot'])).code, 0);
});

after(async () => {
  if (o) await cleanup(o);
  removeDir(dir);
});

async function tokenFor(pair: { privateKey: KeyObject; publicKey: KeyObject }, alg: string, iss: string): Promise<string> {
  const uid = (await http(o, 'GET', '/api/v1/namespaces/default/serviceaccounts/robot')).json.metadata.uid;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud: ['api.example.com'], exp: now + 600, iat: now, nbf: now, iss, jti: 'x', sub: 'system:serviceaccount:default:robot',
    'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid } },
  }).setProtectedHeader({ alg, kid: kid(pair.publicKey) }).sign(pair.privateKey);
}

describe('issuers, audiences and verification keys', () => {
  test('the first issuer issues; the API audiences are the TokenRequest default', async () => {
    const r = await kubectl(o, ['create', 'token', 'robot']);
    assert.equal(r.code, 0, r.stderr);
    const c = decodeClaims(r.stdout);
    assert.equal(c.iss, 'https://issuer.example.com');
    assert.deepEqual(c.aud, ['api.example.com', 'https://issuer.example.com']);
    assert.equal((await withToken(o, r.stdout, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
  });

  test('a token from the other issuer signed with the extra key is accepted; a stranger key is not', async () => {
    const old = await tokenFor(oldKey, 'ES256', 'https://old-issuer.example.com');
    assert.equal((await withToken(o, old, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
    const stranger = await tokenFor(strangerKey, 'RS256', 'https://issuer.example.com');
    assert.equal((await withToken(o, stranger, 'GET', '/api/v1/namespaces/default/secrets')).status, 401);
    const unknownIssuer = await tokenFor(oldKey, 'ES256', 'https://someone.example.com');
    assert.equal((await withToken(o, unknownIssuer, 'GET', '/api/v1/namespaces/default/secrets')).status, 401);
  });

  test('discovery names the first issuer and publishes both keys', async () => {
    const d = await http(o, 'GET', '/.well-known/openid-configuration');
    assert.equal(d.json.issuer, 'https://issuer.example.com');
    assert.deepEqual(d.json.id_token_signing_alg_values_supported, ['ES256', 'RS256']);
    const j = await http(o, 'GET', '/openid/v1/jwks');
    const kids = j.json.keys.map((k: { kid: string; alg: string; kty: string }) => `${k.kty}/${k.alg}/${k.kid}`);
    assert.ok(kids.includes(`EC/ES256/${kid(oldKey.publicKey)}`), JSON.stringify(kids));
    assert.equal(kids.length, 2);
  });

  test('the signing key persists (<data-dir>/pki/sa.key, 0600): tokens survive a restart', async () => {
    const r = await kubectl(o, ['create', 'token', 'robot']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(o.dataDir, 'pki', 'sa.key')).mode & 0o777, 0o600);
    const dataDir = o.dataDir;
    await cleanup(o, false);
    o = await startOpaque({ dataDir, args });
    assert.equal((await withToken(o, r.stdout, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
  });
});
