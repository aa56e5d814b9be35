// Authorization stage. AlwaysAllow for now; the RBAC authorizer plugs in behind the same interface.
// The 403 text is worded exactly as kube-apiserver's (responsewriters.forbiddenMessage).

import { errors, StatusError } from '../api/errors.js';
import type { AuthorizationAttributes, Authorizer, Decision } from './types.js';

export const alwaysAllow: Authorizer = {
  authorize(): Decision {
    return { decision: 'allow', reason: '' };
  },
};

export const alwaysDeny: Authorizer = {
  authorize(): Decision {
    return { decision: 'noOpinion', reason: 'Everything is forbidden.' };
  },
};

/** kube's union authorizer: the first allow or deny wins; no opinion from all of them denies. */
export function union(authorizers: Authorizer[]): Authorizer {
  if (authorizers.length === 1) return authorizers[0]!;
  return {
    authorize(a) {
      const reasons: string[] = [];
      const next = (i: number): Promise<Decision> | Decision => {
        for (; i < authorizers.length; i++) {
          const d = authorizers[i]!.authorize(a);
          if (d instanceof Promise) {
            const at = i;
            return d.then((r) => (r.decision !== 'noOpinion' ? r : (r.reason && reasons.push(r.reason), next(at + 1))));
          }
          if (d.decision !== 'noOpinion') return d;
          if (d.reason) reasons.push(d.reason);
        }
        return { decision: 'noOpinion', reason: reasons.join('\n') };
      };
      return next(0);
    },
  };
}

/** system:masters bypasses every authorizer, as kube's privileged-group authorizer does. */
const PRIVILEGED: Decision = { decision: 'allow', reason: '' };

export function withPrivilegedGroup(inner: Authorizer): Authorizer {
  return {
    authorize(a) {
      if (a.user.groups.includes('system:masters')) return PRIVILEGED;
      return inner.authorize(a);
    },
  };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function forbiddenError(a: AuthorizationAttributes, reason: string): StatusError {
  const who = `User "${a.user.username}"`;
  if (!a.isResourceRequest) {
    const msg = `${who} cannot ${a.verb} path "${a.path}"`;
    return new StatusError(403, 'Forbidden', escape(`forbidden: ${reason ? `${msg}: ${reason}` : msg}`), {});
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  let msg = `${who} cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
  if (reason) msg += `: ${reason}`;
  return errors.forbidden({ group: a.apiGroup, resource: a.resource }, a.name || undefined, escape(msg));
}
