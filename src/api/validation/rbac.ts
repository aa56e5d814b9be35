// RBAC validation as kube-apiserver's pkg/apis/rbac/validation: names are path segments, rules need
// verbs and (for resources) groups and resources, non-resource URLs only in cluster rules, bindings
// reference a Role or ClusterRole of the RBAC group, subjects are well formed, roleRef is immutable.
// Defaulting (SetDefaults_Subject / RoleRef apiGroup) happens in normalizeBinding.

import { FieldPath, type FieldError, invalid, notSupported, required } from '../field-errors.js';
import {
  RBAC_GROUP, type ClusterRole, type LabelSelectorSpec, type PolicyRule, type Role, type RoleBinding, type Subject,
} from '../rbac/types.js';
import { goValue, goStringSlice } from './go-value.js';
import { isDNS1123Subdomain, isQualifiedName, isValidPathSegmentName } from './names.js';
import { validateLabels, validateObjectMetaCreate } from './objectmeta.js';

const RBAC_META = { nameFn: 'path-segment' as const, coreFinalizers: false };

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(p.child('verbs'), 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    const urls = goStringSlice(rule.nonResourceURLs);
    if (namespaced) errs.push(invalid(p.child('nonResourceURLs'), urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(p.child('nonResourceURLs'), urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(p.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(p.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  const p = FieldPath.root('rules');
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r ?? {}, namespaced, p.index(i)));
}

export function validateRole(role: Role): FieldError[] {
  return [...validateObjectMetaCreate(role.metadata, { namespaced: true, ...RBAC_META }), ...validateRules(role.rules, true)];
}

/** apimachinery's unversioned ValidateLabelSelector, as aggregation rules are checked. */
export function validateLabelSelector(sel: LabelSelectorSpec, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((r, i) => {
    const rp = p.child('matchExpressions').index(i);
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (!r.values?.length) errs.push(required(rp.child('values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (r.values?.length) errs.push(forbiddenValues(rp));
        break;
      default:
        errs.push(invalid(rp.child('operator'), r.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(r.key ?? '')) errs.push(invalid(rp.child('key'), r.key ?? '', msg));
  });
  errs.push(...validateLabels(sel.matchLabels, p.child('matchLabels')));
  return errs;
}

function forbiddenValues(p: FieldPath): FieldError {
  return { type: 'FieldValueForbidden', field: p.child('values').toString(), detail: 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' };
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = [...validateObjectMetaCreate(role.metadata, { namespaced: false, ...RBAC_META }), ...validateRules(role.rules, false)];
  const agg = role.aggregationRule;
  if (agg) {
    const p = FieldPath.root('aggregationRule').child('clusterRoleSelectors');
    if (!agg.clusterRoleSelectors?.length) errs.push(required(p, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    (agg.clusterRoleSelectors ?? []).forEach((s, i) => errs.push(...validateLabelSelector(s ?? {}, p.index(i))));
  }
  return errs;
}

function validateSubject(s: Subject, namespaced: boolean, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(p.child('name')));
  const group = s.apiGroup ?? '';
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const msg of isDNS1123Subdomain(s.name)) errs.push(invalid(p.child('name'), s.name, msg));
      if (group) errs.push(notSupported(p.child('apiGroup'), group, ['']));
      if (!namespaced && !s.namespace) errs.push(required(p.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (group !== RBAC_GROUP) errs.push(notSupported(p.child('apiGroup'), group, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(p.child('kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: RoleBinding, namespaced: boolean): FieldError[] {
  const errs = validateObjectMetaCreate(b.metadata, { namespaced, ...RBAC_META });
  const ref = b.roleRef ?? { apiGroup: '', kind: '', name: '' };
  const rp = FieldPath.root('roleRef');
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported(rp.child('apiGroup'), ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported(rp.child('kind'), ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required(rp.child('name')));
  else for (const msg of isValidPathSegmentName(ref.name)) errs.push(invalid(rp.child('name'), ref.name, msg));
  const sp = FieldPath.root('subjects');
  (b.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s ?? { kind: '', name: '' }, namespaced, sp.index(i))));
  return errs;
}

export const validateRoleBinding = (b: RoleBinding): FieldError[] => validateBinding(b, true);
export const validateClusterRoleBinding = (b: RoleBinding): FieldError[] => validateBinding(b, false);

/** roleRef cannot change (delete and recreate the binding instead). */
export function validateBindingUpdate(b: RoleBinding, old: RoleBinding): FieldError[] {
  const a = b.roleRef ?? {};
  const o = old.roleRef ?? {};
  if (a.apiGroup === o.apiGroup && a.kind === o.kind && a.name === o.name) return [];
  const text = `rbac.RoleRef{APIGroup:${JSON.stringify(a.apiGroup ?? '')}, Kind:${JSON.stringify(a.kind ?? '')}, Name:${JSON.stringify(a.name ?? '')}}`;
  return [invalid(FieldPath.root('roleRef'), goValue(text, a), 'cannot change roleRef')];
}

/** v1 defaults: roleRef.apiGroup and User/Group subjects' apiGroup are the RBAC group. */
export function defaultBinding(b: RoleBinding): void {
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}
