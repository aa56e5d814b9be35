// authentication.k8s.io/v1 create-only resources: TokenReview (is this token valid, and for whom —
// kube's pkg/registry/authentication/tokenreview) and SelfSubjectReview (who am I; `kubectl auth
// whoami`). Neither stores anything.

import { errors } from '../api/errors.js';
import type { KObject } from '../api/types.js';
import { authenticateToken, intersect, type TokenAuthenticator } from '../auth/token.js';
import type { UserInfo } from '../auth/types.js';
import { nowRFC3339 } from './meta.js';
import type { ResourceInfo } from './types.js';
import type { VirtualRequest, VirtualResource, VirtualResponse } from './virtual.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;

function info(kind: string, resource: string): ResourceInfo {
  return {
    group: GROUP, version: 'v1', kind, listKind: `${kind}List`, resource, singular: resource.replace(/s$/, ''),
    namespaced: false, verbs: ['create'],
  };
}

/** The JSON UserInfo shape: empty fields left out, as Go's omitempty does. */
function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (u.username) out['username'] = u.username;
  if (u.uid) out['uid'] = u.uid;
  if (u.groups.length) out['groups'] = u.groups;
  if (u.extra && Object.keys(u.extra).length) out['extra'] = u.extra;
  return out;
}

function withAuthenticated(u: UserInfo): UserInfo {
  return u.groups.includes('system:authenticated') ? u : { ...u, groups: [...u.groups, 'system:authenticated'] };
}

export class TokenReviewResource implements VirtualResource {
  readonly info = info('TokenReview', 'tokenreviews');

  constructor(
    private readonly auths: TokenAuthenticator[],
    private readonly apiAudiences: () => string[],
  ) {}

  async create(r: VirtualRequest): Promise<VirtualResponse> {
    const body = r.body as KObject & { spec?: { token?: string; audiences?: string[] } };
    const token = body.spec?.token ?? '';
    if (!token) throw errors.badRequest('token is required for TokenReview in authentication');
    const requested = body.spec?.audiences?.length ? body.spec.audiences : this.apiAudiences();
    const outcome = await authenticateToken(this.auths, token, requested);
    const status: Record<string, unknown> = { authenticated: outcome.ok };
    if (outcome.ok) {
      const auds = intersect(requested, outcome.result.audiences);
      status['user'] = userInfoJson(withAuthenticated(outcome.result.user));
      status['audiences'] = auds.length ? auds : outcome.result.audiences;
    } else {
      status['user'] = {};
      status['error'] = outcome.error;
    }
    const { status: _ignored, ...rest } = body;
    return { code: 201, object: { ...rest, apiVersion: API_VERSION, kind: 'TokenReview', metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, status } };
  }
}

export class SelfSubjectReviewResource implements VirtualResource {
  readonly info = info('SelfSubjectReview', 'selfsubjectreviews');

  create(r: VirtualRequest): VirtualResponse {
    return {
      code: 201,
      object: {
        kind: 'SelfSubjectReview', apiVersion: API_VERSION,
        metadata: { creationTimestamp: nowRFC3339() },
        status: { userInfo: userInfoJson(r.user) },
      },
    };
  }
}
