// Service-account JWTs: issuing (TokenRequest tokens and legacy secret tokens) and verifying the
// signature. Claims follow kube's pkg/serviceaccount: bound tokens carry iss (the first issuer),
// sub, aud, exp, iat, nbf, jti and a "kubernetes.io" claim; legacy tokens carry the issuer
// "kubernetes/serviceaccount", sub and four "kubernetes.io/serviceaccount/…" claims and never expire.

import { randomUUID } from 'node:crypto';
import { compactVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { aggregateText } from '../api/selectors/go-format.js';
import type { SigningKey, VerificationKey } from './sa-keys.js';
import { TokenError } from './token.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export interface ServiceAccountTokenConfig {
  /** --service-account-issuer values: the first issues, all are accepted. */
  issuers: string[];
  /** --api-audiences (default: the issuers). */
  apiAudiences: string[];
  /** --service-account-max-token-expiration in seconds; 0: no limit. */
  maxExpirationSeconds: number;
  signing: SigningKey;
  /** The signing key's public half plus --service-account-key-file keys. */
  verifying: VerificationKey[];
}

export interface Ref {
  name: string;
  uid: string;
}

export interface BoundClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': { namespace: string; serviceaccount: Ref; pod?: Ref; secret?: Ref; node?: Ref; warnafter?: number };
}

export interface LegacyClaims {
  iss: string;
  sub: string;
  'kubernetes.io/serviceaccount/namespace': string;
  'kubernetes.io/serviceaccount/secret.name': string;
  'kubernetes.io/serviceaccount/service-account.name': string;
  'kubernetes.io/serviceaccount/service-account.uid': string;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function sign(cfg: ServiceAccountTokenConfig, claims: object): Promise<string> {
  const k = cfg.signing;
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: k.alg, kid: k.kid }).sign(k.privateKey);
}

export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: Ref;
  secret?: Ref;
  audiences: string[];
  expirationSeconds: number;
  /** Seconds since the epoch. */
  now: number;
}

export function issueBoundToken(cfg: ServiceAccountTokenConfig, r: BoundTokenRequest): Promise<string> {
  const k8s: BoundClaims['kubernetes.io'] = { namespace: r.namespace, serviceaccount: r.serviceAccount };
  if (r.secret) k8s.secret = r.secret;
  // Keys in the order go-jose writes them (sorted), so tokens read like kube's.
  const claims: BoundClaims = {
    aud: r.audiences, exp: r.now + r.expirationSeconds, iat: r.now, iss: cfg.issuers[0]!, jti: randomUUID(),
    'kubernetes.io': k8s, nbf: r.now, sub: serviceAccountUsername(r.namespace, r.serviceAccount.name),
  } as BoundClaims;
  return sign(cfg, claims);
}

export function issueLegacyToken(cfg: ServiceAccountTokenConfig, namespace: string, sa: Ref, secretName: string): Promise<string> {
  const claims: LegacyClaims = {
    iss: LEGACY_ISSUER,
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': sa.name,
    'kubernetes.io/serviceaccount/service-account.uid': sa.uid,
    sub: serviceAccountUsername(namespace, sa.name),
  };
  return sign(cfg, claims);
}

/** The issuer of a JWT without verifying it (kube's hasCorrectIssuer); undefined for anything else. */
export function unverifiedIssuer(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload?.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the signature as kube's jwtTokenAuthenticator does: with the keys whose id is the token's
 * kid (none: "no keys found"), or with every key when the token names none.
 */
export async function verifySignature(cfg: ServiceAccountTokenConfig, token: string): Promise<Record<string, unknown>> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new TokenError(CRYPTO_FAILURE);
  }
  const keys = kid ? cfg.verifying.filter((k) => k.kid === kid) : cfg.verifying;
  if (!keys.length) throw new TokenError('invalid signature, no keys found');
  for (const k of keys) {
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, k.key, { algorithms: [k.alg] }));
    } catch {
      continue;
    }
    try {
      const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
      if (claims && typeof claims === 'object' && !Array.isArray(claims)) return claims as Record<string, unknown>;
    } catch {
      // fall through: a signed payload that is not a JSON object
    }
    throw new TokenError('service account token claims could not be decoded');
  }
  // kube aggregates one error per key; the aggregate's text names each distinct message once.
  throw new TokenError(aggregateText(keys.map(() => CRYPTO_FAILURE)));
}

// go-jose's ErrCryptoFailure, which kube passes on for a signature that does not verify.
const CRYPTO_FAILURE = 'go-jose/go-jose: error in cryptographic primitive';
