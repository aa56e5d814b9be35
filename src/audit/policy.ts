// Policy evaluation (kube's pkg/audit/policy/checker.go): rules in order, the first match decides the
// level, no match means None. Rules are compiled once into Sets so a request costs a handful of
// lookups — this runs for every request on the hot path.

import type { Level, Policy, PolicyRule, Stage } from './types.js';

export interface PolicyAttributes {
  user?: { username: string; groups: string[] };
  verb: string;
  isResourceRequest: boolean;
  path: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface RequestAuditConfig {
  level: Level;
  omitStages: ReadonlySet<Stage>;
  omitManagedFields: boolean;
}

type Matcher = (a: PolicyAttributes) => boolean;

const setOrNull = (l: string[]) => (l.length ? new Set(l) : null);

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function resourceMatcher(r: PolicyRule): Matcher {
  const namespaces = setOrNull(r.namespaces);
  const groups = r.resources.map((g) => ({ group: g.group, resources: g.resources, names: setOrNull(g.resourceNames) }));
  return (a) => {
    if (!a.isResourceRequest) return false;
    if (namespaces && !namespaces.has(a.namespace)) return false;
    if (!groups.length) return true;
    const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    for (const g of groups) {
      if (g.group !== a.apiGroup) continue;
      if (!g.resources.length) return true;
      if (g.names && !g.names.has(a.name)) continue;
      for (const res of g.resources) {
        if (res === combined || res === '*') return true;
        if (a.subresource && res.startsWith('*/') && a.subresource === res.slice(2)) return true;
        if (res.endsWith('/*') && a.resource === res.slice(0, -2)) return true;
      }
    }
    return false;
  };
}

function compileRule(r: PolicyRule): Matcher {
  const users = setOrNull(r.users);
  const groups = setOrNull(r.userGroups);
  const verbs = setOrNull(r.verbs);
  const rest: Matcher = r.namespaces.length || r.resources.length
    ? resourceMatcher(r)
    : r.nonResourceURLs.length
      ? (a) => !a.isResourceRequest && r.nonResourceURLs.some((s) => pathMatches(a.path, s))
      : () => true;
  return (a) => {
    if (users && (!a.user || !users.has(a.user.username))) return false;
    if (groups && (!a.user || !a.user.groups.some((g) => groups.has(g)))) return false;
    if (verbs && !verbs.has(a.verb)) return false;
    return rest(a);
  };
}

export class PolicyEvaluator {
  private readonly rules: { match: Matcher; config: RequestAuditConfig }[];
  private readonly fallback: RequestAuditConfig;

  constructor(readonly policy: Policy) {
    this.rules = policy.rules.map((r) => ({
      match: compileRule(r),
      config: {
        level: r.level,
        // The policy's omitStages are unioned into every rule's, as kube's NewPolicyRuleEvaluator does.
        omitStages: new Set([...policy.omitStages, ...r.omitStages]),
        omitManagedFields: r.omitManagedFields ?? policy.omitManagedFields,
      },
    }));
    this.fallback = { level: 'None', omitStages: new Set(policy.omitStages), omitManagedFields: policy.omitManagedFields };
  }

  evaluate(a: PolicyAttributes): RequestAuditConfig {
    for (const r of this.rules) if (r.match(a)) return r.config;
    return this.fallback;
  }

  /** True when no request can ever be logged (every rule is None): no log file is needed. */
  get silent(): boolean {
    return this.policy.rules.every((r) => r.level === 'None');
  }
}
