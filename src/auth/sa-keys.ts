// Service-account token keys. The signing key is <data-dir>/pki/sa.key (RSA 2048, PKCS#8, 0600),
// generated on first start and kept across restarts so issued tokens stay valid. Extra public keys
// (kube's --service-account-key-file; PEM public keys, private keys or certificates) only verify.
// Key ids are computed as kube-apiserver does: base64url (no padding) of SHA-256 over the PKIX DER.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivate } from '../pki/files.js';

export interface VerificationKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'ES384' | 'ES512';
  key: KeyObject;
}

export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

export function keyId(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('base64url');
}

function algFor(pub: KeyObject): VerificationKey['alg'] {
  if (pub.asymmetricKeyType === 'rsa') return 'RS256';
  if (pub.asymmetricKeyType === 'ec') {
    const curve = pub.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new Error(`unsupported service account key type ${pub.asymmetricKeyType ?? 'unknown'}: use RSA or ECDSA P-256/P-384/P-521`);
}

function verificationKey(pub: KeyObject): VerificationKey {
  return { kid: keyId(pub), alg: algFor(pub), key: pub };
}

/** The signing key at <data-dir>/pki/sa.key, created on first use. */
export function ensureSigningKey(dataDir: string): SigningKey {
  const file = join(dataDir, 'pki', 'sa.key');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writePrivate(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  }
  return signingKeyFromFile(file);
}

/** A PEM private key (RSA or ECDSA) as the signing key: kube's --service-account-signing-key-file. */
export function signingKeyFromFile(file: string): SigningKey {
  const privateKey = createPrivateKey(readFileSync(file));
  return { ...verificationKey(createPublicKey(privateKey)), privateKey };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every key in a PEM file, as kube's keyutil.PublicKeysFromFile reads it. */
export function verificationKeysFromFile(file: string): VerificationKey[] {
  const text = readFileSync(file, 'utf8');
  const keys: VerificationKey[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const type = m[1]!;
    let pub: KeyObject;
    if (type === 'CERTIFICATE') pub = new X509Certificate(m[0]).publicKey;
    else if (type.includes('PRIVATE KEY')) pub = createPublicKey(createPrivateKey(m[0]));
    else if (type.includes('PUBLIC KEY')) pub = createPublicKey(m[0]);
    else continue;
    keys.push(verificationKey(pub));
  }
  if (!keys.length) throw new Error(`${file} holds no PEM public key, private key or certificate`);
  return keys;
}

/** The JSON Web Key Set published at /openid/v1/jwks (kube's shape: use, kty, kid, alg and the key). */
export function jwks(keys: VerificationKey[]): { keys: Record<string, unknown>[] } {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const k of keys) {
    if (seen.has(k.kid)) continue;
    seen.add(k.kid);
    const jwk = k.key.export({ format: 'jwk' }) as Record<string, unknown>;
    out.push({ use: 'sig', kty: jwk['kty'], kid: k.kid, alg: k.alg, ...jwk });
  }
  return { keys: out };
}
