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

  async authenticate(req: IncomingMessage): Promise<UserInfo> {
    for (const a of this.authenticators) {
      const user = await a.authenticate(req);
      if (user) {
        if (user.groups.includes('system:authenticated')) return user;
        return { ...user, groups: [...user.groups, 'system:authenticated'] };
      }
    }
    if (this.anonymous) return ANONYMOUS;
    throw errors.unauthorized();
  }
}
