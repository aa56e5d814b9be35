// Bootstrap tokens (kube's plugin/pkg/auth/authenticator/token/bootstrap): `<id>.<secret>` is looked
// up as kube-system/bootstrap-token-<id> (type bootstrap.kubernetes.io/token) and authenticates as
// system:bootstrap:<id> in system:bootstrappers plus the secret's auth-extra-groups. A token in that
// format that fails any check is refused; the reason stays in the log at debug level, as kube keeps it
// out of responses.

import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Secret } from '../api/types.js';
import type { Registry } from '../registry/index.js';
import { TokenError, type TokenAuthenticator, type TokenResult } from './token.js';

export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_NAMESPACE = 'kube-system';
export const BOOTSTRAP_SECRET_PREFIX = 'bootstrap-token-';
const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** The secret's data value as text ('' when absent). */
export function secretValue(s: Secret, key: string): string {
  const v = s.data?.[key];
  return v === undefined ? '' : Buffer.from(v, 'base64').toString('utf8');
}

/** kube's HasExpired: an unparseable expiration counts as expired. */
export function bootstrapTokenExpired(s: Secret, now = Date.now()): boolean {
  const exp = secretValue(s, 'expiration');
  if (!exp) return false;
  const t = Date.parse(exp);
  return Number.isNaN(t) || t < now;
}

export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  readonly name = 'bootstrap-token';

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async authenticateToken(token: string): Promise<TokenResult | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const [, id, secretPart] = m as unknown as [string, string, string];
    const refuse = (why: string): never => {
      this.log.debug({ tokenId: id }, `bootstrap token refused: ${why}`);
      throw new TokenError(INVALID);
    };
    const s = (await this.registry.secrets.tryGet(BOOTSTRAP_NAMESPACE, BOOTSTRAP_SECRET_PREFIX + id)) as Secret | undefined;
    if (!s) return refuse('no such secret');
    if (s.metadata?.deletionTimestamp) return refuse('secret is being deleted');
    if (s.type !== BOOTSTRAP_TOKEN_TYPE || !s.data) return refuse('wrong secret type or no data');
    const stored = Buffer.from(secretValue(s, 'token-secret'));
    const given = Buffer.from(secretPart);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return refuse('token secret does not match');
    if (secretValue(s, 'token-id') !== id) return refuse('token id does not match');
    if (bootstrapTokenExpired(s)) return refuse('token has expired');
    if (secretValue(s, 'usage-bootstrap-authentication') !== 'true') return refuse('not marked usage-bootstrap-authentication');
    const groups = new Set(['system:bootstrappers']);
    for (const g of secretValue(s, 'auth-extra-groups').split(',')) {
      const group = g.trim();
      if (!group) continue;
      if (!EXTRA_GROUP.test(group)) return refuse(`bad extra group ${JSON.stringify(group)}`);
      groups.add(group);
    }
    return { user: { username: `system:bootstrap:${id}`, groups: [...groups].sort() }, audiences: [] };
  }
}

// kube's bootstrap authenticator gives no reason; the bearer wrapper reports only this.
const INVALID = 'invalid bearer token';
