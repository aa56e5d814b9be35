// Authentication and authorization contracts. Authenticators run in order and the first that
// recognises a credential wins; the authorizer decides on kube's attribute set (user + RequestInfo).

import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../registry/types.js';

export type { UserInfo };

export interface Authenticator {
  readonly name: string;
  /** Answers asynchronously (token verification against keys and storage). */
  readonly deferred?: boolean;
  /** undefined: no credential of this kind present; throws Unauthorized for a bad credential. */
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined> | UserInfo | undefined;
}

export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface Decision {
  decision: 'allow' | 'deny' | 'noOpinion';
  reason: string;
}

export interface Authorizer {
  authorize(a: AuthorizationAttributes): Promise<Decision> | Decision;
}
