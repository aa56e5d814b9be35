// Service-account token authentication (kube's pkg/serviceaccount jwt.go, claims.go, legacy.go).
// A JWT whose issuer is one of ours is checked: signature, times (60 s leeway), audience, then the
// objects it names are looked up on every use — the ServiceAccount (same uid, not deleted) and the
// bound Secret — so deleting either stops the token at the next request; nothing is cached.
// Legacy tokens (issuer kubernetes/serviceaccount) must still be stored, byte for byte, in their
// Secret; a use stamps the Secret's last-used label (once a day) and an invalid-since label refuses it.

import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { KObject, Secret } from '../api/types.js';
import { SYSTEM_USER } from '../controllers/namespace.js';
import type { Registry } from '../registry/index.js';
import { type BoundClaims, LEGACY_ISSUER, type LegacyClaims, serviceAccountUsername, type ServiceAccountTokenConfig, unverifiedIssuer, verifySignature } from './sa-jwt.js';
import { intersect, TokenError, type TokenAuthenticator, type TokenResult } from './token.js';
import type { UserInfo } from './types.js';

export const LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';
export const INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';
const LEEWAY_S = 60;
const AUTO_GENERATED_WARNING = 'Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.';

export function serviceAccountUser(namespace: string, name: string, uid: string, extra: Record<string, string[]> = {}): UserInfo {
  const u: UserInfo = { username: serviceAccountUsername(namespace, name), uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
  if (Object.keys(extra).length) u.extra = extra;
  return u;
}

/** YYYY-MM-DD in UTC, the label format kube uses. */
export function utcDate(ms = Date.now()): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  readonly name = 'serviceaccount';

  constructor(
    private readonly cfg: ServiceAccountTokenConfig,
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async authenticateToken(token: string, audiences: string[]): Promise<TokenResult | undefined> {
    const iss = unverifiedIssuer(token);
    if (iss === undefined) return undefined;
    const legacy = iss === LEGACY_ISSUER;
    if (!legacy && !this.cfg.issuers.includes(iss)) return undefined;
    const claims = await verifySignature(this.cfg, token);
    // Checked after the signature, as kube re-checks the issuer it first read unverified.
    if (claims['iss'] !== iss) throw new TokenError(`token issuer ${JSON.stringify(claims['iss'] ?? '')} is invalid`);
    // The audience is checked before the claims, in kube's order; legacy tokens have the API audiences.
    const auds = this.audiences(legacy ? undefined : claims['aud'], audiences);
    return legacy ? this.legacy(token, claims as unknown as LegacyClaims, auds) : this.bound(claims as unknown as BoundClaims, auds);
  }

  /** Token audiences (the API audiences when it names none) that the caller accepts. */
  private audiences(claimed: unknown, requested: string[]): string[] {
    const list = Array.isArray(claimed) ? claimed.filter((a): a is string => typeof a === 'string') : typeof claimed === 'string' ? [claimed] : [];
    const tokenAuds = list.length ? list : this.cfg.apiAudiences;
    const auds = intersect(tokenAuds, requested);
    if (!auds.length) throw new TokenError(`token audiences ${goQuoteList(tokenAuds)} is invalid for the target audiences ${goQuoteList(requested)}`);
    return auds;
  }

  private async bound(c: BoundClaims, audiences: string[]): Promise<TokenResult> {
    const now = Date.now() / 1000;
    if (typeof c.exp !== 'number' || now > c.exp + LEEWAY_S) throw new TokenError('service account token has expired');
    if (typeof c.nbf === 'number' && now + LEEWAY_S < c.nbf) throw new TokenError('service account token is not valid yet');
    if (typeof c.iat === 'number' && now + LEEWAY_S < c.iat) throw new TokenError('service account token is issued in the future');
    const k = c['kubernetes.io'];
    const ns = str(k?.namespace);
    const saRef = k?.serviceaccount;
    if (!ns || !saRef || !str(saRef.name)) throw new TokenError('service account token claims could not be validated');
    const sa = await this.registry.serviceAccounts.tryGet(ns, saRef.name);
    if (!sa) throw new TokenError(`serviceaccounts "${saRef.name}" not found`);
    if (deletedBefore(sa, now)) throw new TokenError(`ServiceAccount ${ns}/${saRef.name} has been deleted`);
    if (sa.metadata?.uid !== saRef.uid) throw new TokenError(`ServiceAccount UID (${sa.metadata?.uid ?? ''}) does not match claim (${str(saRef.uid)})`);
    if (k.secret) {
      const secret = await this.registry.secrets.tryGet(ns, str(k.secret.name));
      if (!secret || deletedBefore(secret, now)) throw new TokenError('service account token has been invalidated');
      if (secret.metadata?.uid !== k.secret.uid) throw new TokenError(`Secret UID (${secret.metadata?.uid ?? ''}) does not match claim (${str(k.secret.uid)})`);
    }
    // Pods and nodes are not served here, so a token bound to one cannot be valid.
    if (k.pod || k.node) throw new TokenError('service account token has been invalidated');
    const extra: Record<string, string[]> = {};
    if (typeof c.jti === 'string' && c.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    return { user: serviceAccountUser(ns, saRef.name, saRef.uid, extra), audiences };
  }

  private async legacy(token: string, c: LegacyClaims, audiences: string[]): Promise<TokenResult> {
    const ns = str(c['kubernetes.io/serviceaccount/namespace']);
    const secretName = str(c['kubernetes.io/serviceaccount/secret.name']);
    const saName = str(c['kubernetes.io/serviceaccount/service-account.name']);
    const saUID = str(c['kubernetes.io/serviceaccount/service-account.uid']);
    if (!str(c.sub)) throw new TokenError('sub claim is missing');
    if (!ns) throw new TokenError('namespace claim is missing');
    if (!secretName) throw new TokenError('secretName claim is missing');
    if (!saName) throw new TokenError('serviceAccountName claim is missing');
    if (!saUID) throw new TokenError('serviceAccountUID claim is missing');
    if (c.sub !== serviceAccountUsername(ns, saName)) throw new TokenError('sub claim is invalid');
    const secret = (await this.registry.secrets.tryGet(ns, secretName)) as Secret | undefined;
    if (!secret || secret.metadata?.deletionTimestamp) throw new TokenError('Token has been invalidated');
    const stored = Buffer.from(secret.data?.['token'] ?? '', 'base64');
    const given = Buffer.from(token, 'utf8');
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) throw new TokenError("Token does not match server's copy");
    const sa = await this.registry.serviceAccounts.tryGet(ns, saName);
    if (!sa) throw new TokenError(`serviceaccounts "${saName}" not found`);
    if (sa.metadata?.deletionTimestamp) throw new TokenError(`ServiceAccount ${ns}/${saName} has been deleted`);
    if (sa.metadata?.uid !== saUID) throw new TokenError(`ServiceAccount UID (${sa.metadata?.uid ?? ''}) does not match claim (${saUID})`);
    this.markUsed(secret);
    if (secret.metadata?.labels?.[INVALID_SINCE_LABEL]) {
      throw new TokenError(
        `the token in secret ${ns}/${secretName} for service account ${ns}/${saName} has been marked invalid. ` +
          'Use tokens from the TokenRequest API or manually created secret-based tokens, ' +
          `or remove the '${INVALID_SINCE_LABEL}' label from the secret to temporarily allow use of this token`,
      );
    }
    // kube warns when the token is an auto-generated one (its ServiceAccount lists the Secret).
    const autoGenerated = ((sa as { secrets?: { name?: string }[] }).secrets ?? []).some((r) => r.name === secretName);
    return { user: serviceAccountUser(ns, saName, saUID), audiences, warnings: autoGenerated ? [AUTO_GENERATED_WARNING] : undefined };
  }

  /** Stamps today's date unless the label already says today (or tomorrow, for clock skew), as kube does. */
  private markUsed(secret: Secret): void {
    const now = Date.now();
    const today = utcDate(now);
    const last = secret.metadata?.labels?.[LAST_USED_LABEL];
    if (last === today || last === utcDate(now + 86_400_000)) return;
    const m = secret.metadata!;
    // In the background: a slow write must not hold up the request it authenticates.
    void this.registry.secrets
      .update(m.namespace, m.name!, (cur: KObject) => {
        const cm = cur.metadata!;
        if (cm.uid !== m.uid) return cur;
        cm.labels = { ...(cm.labels ?? {}), [LAST_USED_LABEL]: today };
        return cur;
      }, { dryRun: false, user: SYSTEM_USER, warnings: [], fieldManager: 'kube-apiserver' })
      .catch((err) => this.log.warn({ namespace: m.namespace, secret: m.name, err: (err as Error).message }, 'could not record the last use of a legacy service account token'));
  }
}

function deletedBefore(obj: KObject, nowS: number): boolean {
  const d = obj.metadata?.deletionTimestamp;
  return !!d && Date.parse(d) / 1000 < nowS - LEEWAY_S;
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoteList(l: string[]): string {
  return `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
}
