// Runs authenticators in order; adds system:authenticated like kube's union authenticator, and falls
// back to system:anonymous only when anonymous access is enabled.

import type { IncomingMessage } from 'node:http';
import { errors } from '../api/errors.js';
import { bearerToken } from './token.js';
import type { Authenticator, UserInfo } from './types.js';

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export class AuthenticatorChain {
  constructor(
    private readonly authenticators: Authenticator[],
    private readonly anonymous: boolean,
  ) {}

  /** Synchronous when every authenticator consulted answers synchronously (the hot path). */
  authenticate(req: IncomingMessage, from = 0): UserInfo | Promise<UserInfo> {
    for (let i = from; i < this.authenticators.length; i++) {
      const user = this.authenticators[i]!.authenticate(req);
      if (user instanceof Promise) {
        return user.then((u) => (u ? withAuthenticated(u) : this.authenticate(req, i + 1)));
      }
      if (user) return withAuthenticated(user);
    }
    // A bearer token nobody accepts is a failed login, never an anonymous request (kube's bearertoken
    // authenticator errors, and the anonymous fallback only applies when no credential was sent).
    if (this.anonymous && !bearerToken(req)) return ANONYMOUS;
    throw errors.unauthorized();
  }
}

function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated') ? user : { ...user, groups: [...user.groups, 'system:authenticated'] };
}
