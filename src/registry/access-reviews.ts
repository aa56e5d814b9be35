// authorization.k8s.io/v1 access reviews, answered by the server's authorizer and never stored:
// SelfSubjectAccessReview (kubectl auth can-i), SubjectAccessReview, LocalSubjectAccessReview and
// SelfSubjectRulesReview (kubectl auth can-i --list), with kube's validation and response shapes.

import { errors } from '../api/errors.js';
import { FieldPath, type FieldError, invalid } from '../api/field-errors.js';
import type { KObject } from '../api/types.js';
import type { AuthorizationAttributes, Authorizer, UserInfo } from '../auth/types.js';
import type { ResourceInfo } from './types.js';
import type { VirtualRequest, VirtualResource, VirtualResponse } from './virtual.js';

const GROUP = 'authorization.k8s.io';

interface ResourceAttributes {
  namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string;
}
interface NonResourceAttributes { path?: string; verb?: string }
interface AccessReviewSpec {
  resourceAttributes?: ResourceAttributes | null;
  nonResourceAttributes?: NonResourceAttributes | null;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ResourceRuleInfo { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }
export interface NonResourceRuleInfo { verbs: string[]; nonResourceURLs?: string[] }

/** Lists what a user may do in a namespace (kube's authorizer.RuleResolver). */
export interface RulesLister {
  rulesFor(user: UserInfo, namespace: string): { resourceRules: ResourceRuleInfo[]; nonResourceRules: NonResourceRuleInfo[]; incomplete: boolean; errors: string[] };
}

function info(kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return { group: GROUP, version: 'v1', kind, listKind: `${kind}List`, resource, singular: '', namespaced, verbs: ['create'] };
}

function validateSpec(spec: AccessReviewSpec, self: boolean): FieldError[] {
  const p = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(invalid(p.child('nonResourceAttributes'), spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push(invalid(p.child('resourceAttributes'), 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  if (!self && !spec.user && !spec.groups?.length) {
    errs.push(invalid(p.child('user'), spec.user ?? '', 'at least one of user or group must be specified'));
  }
  return errs;
}

function metadataMustBeEmpty(obj: KObject): FieldError[] {
  const { managedFields: _m, creationTimestamp, ...rest } = obj.metadata ?? {};
  const empty = Object.keys(rest).length === 0 && (creationTimestamp === undefined || creationTimestamp === null);
  return empty ? [] : [invalid(FieldPath.root('metadata'), obj.metadata, 'must be empty')];
}

/** authorizationutil.ResourceAttributesFrom / NonResourceAttributesFrom. */
export function attributesFrom(user: UserInfo, spec: AccessReviewSpec): AuthorizationAttributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user, verb: r.verb ?? '', isResourceRequest: true, path: '', namespace: r.namespace ?? '', apiGroup: r.group ?? '',
      apiVersion: r.version || '*', resource: r.resource ?? '', subresource: r.subresource ?? '', name: r.name ?? '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return { user, verb: n.verb ?? '', isResourceRequest: false, path: n.path ?? '', namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
}

async function answer(authz: Authorizer, review: KObject, user: UserInfo): Promise<VirtualResponse> {
  const spec = (review as { spec: AccessReviewSpec }).spec;
  const d = await authz.authorize(attributesFrom(user, spec));
  const status: Record<string, unknown> = { allowed: d.decision === 'allow' };
  if (d.decision === 'deny') status['denied'] = true;
  if (d.reason) status['reason'] = d.reason;
  const { status: _old, ...rest } = review as KObject & { status?: unknown };
  return { code: 201, object: { ...rest, metadata: { ...(review.metadata ?? {}), creationTimestamp: null } as never, status } as KObject };
}

function specOf(body: KObject | undefined): AccessReviewSpec {
  const spec = (body as { spec?: AccessReviewSpec } | undefined)?.spec;
  return spec && typeof spec === 'object' ? spec : {};
}

function reject(kind: string, errs: FieldError[]): void {
  if (errs.length) throw errors.invalid(kind, GROUP, '', errs);
}

export function accessReviews(authz: () => Authorizer, rules: RulesLister): VirtualResource[] {
  const selfSAR: VirtualResource = {
    info: info('SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
    create(req: VirtualRequest) {
      const body = req.body!;
      const spec = specOf(body);
      reject('SelfSubjectAccessReview', [...validateSpec(spec, true), ...metadataMustBeEmpty(body)]);
      return answer(authz(), { ...body, spec } as KObject, req.user);
    },
  };
  const subjectOf = (spec: AccessReviewSpec): UserInfo => {
    const u: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [] };
    if (spec.uid) u.uid = spec.uid;
    if (spec.extra) u.extra = spec.extra;
    return u;
  };
  const sar: VirtualResource = {
    info: info('SubjectAccessReview', 'subjectaccessreviews', false),
    create(req) {
      const body = req.body!;
      const spec = specOf(body);
      reject('SubjectAccessReview', [...validateSpec(spec, false), ...metadataMustBeEmpty(body)]);
      return answer(authz(), { ...body, spec } as KObject, subjectOf(spec));
    },
  };
  const localSAR: VirtualResource = {
    info: info('LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
    create(req) {
      const body = req.body!;
      const spec = specOf(body);
      const errs = validateSpec(spec, false);
      if (spec.nonResourceAttributes) errs.push(invalid(FieldPath.root('spec').child('nonResourceAttributes'), spec.nonResourceAttributes, 'disallowed on this kind of request'));
      const { namespace: _n, ...restMeta } = body.metadata ?? {};
      errs.push(...metadataMustBeEmpty({ ...body, metadata: restMeta }));
      reject('LocalSubjectAccessReview', errs);
      if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? '') !== req.namespace) {
        throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${req.namespace}`);
      }
      return answer(authz(), { ...body, spec } as KObject, subjectOf(spec));
    },
  };
  const selfSRR: VirtualResource = {
    info: info('SelfSubjectRulesReview', 'selfsubjectrulesreviews', false),
    create(req) {
      const ns = (specOf(req.body) as { namespace?: string }).namespace;
      if (!ns) throw errors.badRequest('no namespace on request');
      const r = rules.rulesFor(req.user, ns);
      const status: Record<string, unknown> = { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: r.incomplete };
      if (r.errors.length) status['evaluationError'] = r.errors.length === 1 ? r.errors[0] : `[${r.errors.join(', ')}]`;
      return {
        code: 201,
        object: { apiVersion: `${GROUP}/v1`, kind: 'SelfSubjectRulesReview', metadata: { creationTimestamp: null } as never, spec: {}, status } as KObject,
      };
    },
  };
  return [selfSAR, sar, localSAR, selfSRR];
}
