// Bearer tokens. A TokenAuthenticator checks one kind of token (service-account JWTs, bootstrap
// tokens, …) for a set of audiences; BearerTokenAuthenticator runs them, in order, on the request's
// `Authorization: Bearer` header, and TokenReview runs the same list on a token it is given. As in
// kube's union authenticator the first that accepts wins; rejections are collected so a TokenReview
// can say why, while a request only ever gets a bare 401.

import type { IncomingMessage } from 'node:http';
import { errors } from '../api/errors.js';
import type { Authenticator, UserInfo } from './types.js';

/** A token this authenticator owns but refuses; the message is safe to show in a TokenReview. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenResult {
  user: UserInfo;
  /** The audiences (among those requested) the token is valid for. */
  audiences: string[];
  /** Warnings for the client (kube's warning.AddWarning from an authenticator). */
  warnings?: string[];
}

export interface TokenAuthenticator {
  readonly name: string;
  /** undefined: not a token of this kind. Throws TokenError for one of its tokens that is not valid. */
  authenticateToken(token: string, audiences: string[]): Promise<TokenResult | undefined> | TokenResult | undefined;
}

export type TokenOutcome = { ok: true; result: TokenResult } | { ok: false; error: string };

/** kube's invalidToken error, reported when no authenticator recognises a token. */
export const INVALID_BEARER_TOKEN = 'invalid bearer token';

export async function authenticateToken(auths: TokenAuthenticator[], token: string, audiences: string[]): Promise<TokenOutcome> {
  const rejected: string[] = [];
  for (const a of auths) {
    try {
      const result = await a.authenticateToken(token, audiences);
      if (result) return { ok: true, result };
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      rejected.push(err.message);
    }
  }
  // utilerrors.NewAggregate prints one error bare and several as "[a, b]".
  const error = rejected.length === 0 ? INVALID_BEARER_TOKEN : rejected.length === 1 ? rejected[0]! : `[${rejected.join(', ')}]`;
  return { ok: false, error };
}

/** kube's bearertoken.Authenticator header parsing: other schemes and empty tokens are not ours. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = (req.headers.authorization ?? '').trim();
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

const requestWarnings = new WeakMap<IncomingMessage, string[]>();

/** Warnings an authenticator raised for this request (taken once, to send as Warning headers). */
export function takeAuthenticationWarnings(req: IncomingMessage): string[] | undefined {
  const w = requestWarnings.get(req);
  requestWarnings.delete(req);
  return w;
}

export class BearerTokenAuthenticator implements Authenticator {
  readonly name = 'bearer-token';
  readonly deferred = true;

  constructor(
    private readonly auths: TokenAuthenticator[],
    private readonly apiAudiences: () => string[],
  ) {}

  authenticate(req: IncomingMessage): Promise<UserInfo> | undefined {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    return authenticateToken(this.auths, token, this.apiAudiences()).then((o) => {
      // A bearer token nobody accepts is a 401 even when anonymous access is on, as in kube.
      if (!o.ok) throw errors.unauthorized();
      if (o.result.warnings?.length) requestWarnings.set(req, o.result.warnings);
      return o.result.user;
    });
  }
}

/** Audiences in both lists, in the order of the first (kube's Audiences.Intersect). */
export function intersect(a: string[], b: string[]): string[] {
  return a.filter((x) => b.includes(x));
}

/** kube's WrapAudienceAgnosticToken: a token kind without audiences is valid for the API audiences only. */
export function audienceAgnostic(inner: TokenAuthenticator, apiAudiences: () => string[]): TokenAuthenticator {
  return {
    name: inner.name,
    async authenticateToken(token, audiences) {
      const auds = intersect(apiAudiences(), audiences);
      if (!auds.length) return undefined;
      const r = await inner.authenticateToken(token, audiences);
      return r ? { ...r, audiences: auds } : undefined;
    },
  };
}
