// Impersonation (kube's WithImpersonation): Impersonate-User / -Group / -Uid / -Extra-<key> headers
// turn the request into one made as another identity, after the real caller is authorized for the
// `impersonate` verb on each requested users/serviceaccounts/groups/uids/userextras entry.

import type { IncomingMessage } from 'node:http';
import { errors } from '../api/errors.js';
import { forbiddenError } from './authorizer.js';
import type { AuthorizationAttributes, Authorizer, UserInfo } from './types.js';

const SA_PREFIX = 'system:serviceaccount:';

interface Requested {
  kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  name: string;
  namespace?: string;
  extraKey?: string;
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headersDistinct[name];
  return v ? v.filter((x) => x !== undefined) : [];
}

/** kube's unescapeExtraKey: percent-decoding, leaving bad escapes as they are. */
function unescapeExtraKey(k: string): string {
  try {
    return decodeURIComponent(k);
  } catch {
    return k;
  }
}

function requested(req: IncomingMessage): Requested[] {
  const out: Requested[] = [];
  const user = headerValues(req, 'impersonate-user')[0] ?? '';
  if (user) {
    const sa = user.startsWith(SA_PREFIX) ? user.slice(SA_PREFIX.length).split(':') : [];
    if (sa.length === 2 && sa[0] && sa[1]) out.push({ kind: 'ServiceAccount', namespace: sa[0], name: sa[1] });
    else out.push({ kind: 'User', name: user });
  }
  const groups = headerValues(req, 'impersonate-group');
  for (const g of groups) out.push({ kind: 'Group', name: g });
  let extras = false;
  for (const h of Object.keys(req.headersDistinct)) {
    if (!h.startsWith('impersonate-extra-')) continue;
    extras = true;
    const key = unescapeExtraKey(h.slice('impersonate-extra-'.length));
    for (const v of headerValues(req, h)) out.push({ kind: 'UserExtra', name: v, extraKey: key });
  }
  const uid = headerValues(req, 'impersonate-uid')[0] ?? '';
  if (uid) out.push({ kind: 'UID', name: uid });
  if ((groups.length || extras || uid) && !user) {
    const what = out.map((r) => `${r.kind} ${JSON.stringify(r.name)}`).join(', ');
    throw errors.internal(`requested [${what}] without impersonating a user`);
  }
  return out;
}

/** The identity the request acts as; undefined when it impersonates nobody. */
export async function impersonate(req: IncomingMessage, caller: UserInfo, authz: Authorizer): Promise<UserInfo | undefined> {
  const asked = requested(req);
  if (!asked.length) return undefined;
  const groupsSpecified = headerValues(req, 'impersonate-group').length > 0;
  let username = '';
  let uid = '';
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  for (const r of asked) {
    const attrs: AuthorizationAttributes = {
      user: caller, verb: 'impersonate', isResourceRequest: true, path: '', namespace: r.namespace ?? '',
      apiGroup: r.kind === 'UserExtra' || r.kind === 'UID' ? 'authentication.k8s.io' : '', apiVersion: 'v1',
      resource: '', subresource: '', name: r.name,
    };
    switch (r.kind) {
      case 'ServiceAccount':
        attrs.resource = 'serviceaccounts';
        username = `${SA_PREFIX}${r.namespace}:${r.name}`;
        if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
        break;
      case 'User':
        attrs.resource = 'users';
        username = r.name;
        break;
      case 'Group':
        attrs.resource = 'groups';
        groups.push(r.name);
        break;
      case 'UserExtra':
        attrs.resource = 'userextras';
        attrs.subresource = r.extraKey!;
        (extra[r.extraKey!] ??= []).push(r.name);
        break;
      case 'UID':
        attrs.resource = 'uids';
        uid = r.name;
        break;
    }
    const d = await authz.authorize(attrs);
    if (d.decision !== 'allow') throw forbiddenError(attrs, d.reason);
  }
  if (username !== 'system:anonymous') {
    if (!groups.some((g) => g === 'system:authenticated' || g === 'system:unauthenticated')) groups.push('system:authenticated');
  } else if (!groups.includes('system:unauthenticated')) {
    groups.push('system:unauthenticated');
  }
  const user: UserInfo = { username, groups };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}

