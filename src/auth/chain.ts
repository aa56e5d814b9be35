// Runs authenticators in order; adds system:authenticated like kube's union authenticator, and falls
// back to system:anonymous only when anonymous access is enabled.

import type { IncomingMessage } from 'node:http';
import { errors } from '../api/errors.js';
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
    // A rejected bearer token never gets here: its authenticator answers 401 itself, as kube's does.
    if (this.anonymous) return ANONYMOUS;
    throw errors.unauthorized();
  }

  /**
   * Who sent the request, as far as credentials checked without waiting tell (client certificates);
   * for endpoints that need no authentication. Never starts a deferred (token) verification.
   */
  identify(req: IncomingMessage): UserInfo | undefined {
    for (const a of this.authenticators) {
      if (a.deferred) return undefined;
      const user = a.authenticate(req);
      if (user instanceof Promise) {
        user.catch(() => {});
        return undefined;
      }
      if (user) return withAuthenticated(user);
    }
    return undefined;
  }
}

function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated') ? user : { ...user, groups: [...user.groups, 'system:authenticated'] };
}
