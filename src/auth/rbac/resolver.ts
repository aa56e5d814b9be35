// Which rules apply to a user in a namespace (kube's DefaultRuleResolver): every ClusterRoleBinding
// whose subjects match, and, for a namespace, every RoleBinding there whose subjects match. Bindings
// and roles are read from informers, so resolution never touches storage.

import { RBAC_GROUP, type ClusterRole, type PolicyRule, type Role, type RoleBinding, type RoleRef, type Subject } from '../../api/rbac/types.js';
import type { KObject } from '../../api/types.js';
import { Informer } from '../../registry/informer.js';
import type { Registry } from '../../registry/index.js';
import type { UserInfo } from '../types.js';

/** Visits each applicable rule with a description of where it came from; return false to stop. */
export type RuleVisitor = (source: string, rule: PolicyRule | undefined, err?: string) => boolean;

const SA_PREFIX = 'system:serviceaccount:';

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** The subject of `subjects` that matches the user, if any (kube's appliesTo). */
export function appliesTo(user: UserInfo, subjects: readonly Subject[] | undefined, namespace: string): Subject | undefined {
  for (const s of subjects ?? []) {
    if (!s) continue;
    switch (s.kind) {
      case 'User':
        if (user.username === s.name) return s;
        break;
      case 'Group':
        if (user.groups.includes(s.name)) return s;
        break;
      case 'ServiceAccount': {
        const ns = s.namespace || namespace;
        if (ns && user.username.startsWith(SA_PREFIX) && user.username === `${SA_PREFIX}${ns}:${s.name}`) return s;
        break;
      }
    }
  }
  return undefined;
}

export class RuleResolver {
  readonly roles: Informer;
  readonly clusterRoles: Informer;
  readonly roleBindings: Informer;
  readonly clusterRoleBindings: Informer;

  constructor(registry: Registry) {
    const store = (r: string) => registry.lookup(RBAC_GROUP, 'v1', r)!;
    this.roles = new Informer(store('roles'));
    this.clusterRoles = new Informer(store('clusterroles'));
    this.roleBindings = new Informer(store('rolebindings'));
    this.clusterRoleBindings = new Informer(store('clusterrolebindings'));
  }

  private get informers(): Informer[] {
    return [this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings];
  }

  async start(): Promise<void> {
    for (const i of this.informers) await i.start();
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  /** Waits until writes already committed to RBAC objects are visible here. */
  async settled(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.settled()));
  }

  /** The rules a role reference grants in a namespace, or kube's not-found text. */
  roleReferenceRules(ref: RoleRef, namespace: string): { rules: PolicyRule[]; error?: string } {
    if (ref.kind === 'Role') {
      const r = this.roles.get(namespace, ref.name) as Role | undefined;
      return r ? { rules: r.rules ?? [] } : { rules: [], error: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    if (ref.kind === 'ClusterRole') {
      const r = this.clusterRoles.get(undefined, ref.name) as ClusterRole | undefined;
      return r ? { rules: r.rules ?? [] } : { rules: [], error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    return { rules: [], error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
  }

  /** Walks the rules that apply to `user` in `namespace` ("" = cluster scope only). */
  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    for (const o of this.clusterRoleBindings.list()) {
      const b = o as RoleBinding;
      const subject = appliesTo(user, b.subjects, '');
      if (!subject) continue;
      const { rules, error } = this.roleReferenceRules(b.roleRef, '');
      if (error && !visit('', undefined, error)) return;
      const source = `ClusterRoleBinding ${JSON.stringify(name(b))} of ClusterRole ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const r of rules) if (!visit(source, r)) return;
    }
    if (!namespace) return;
    for (const o of this.roleBindings.list()) {
      const b = o as RoleBinding;
      if (b.metadata?.namespace !== namespace) continue;
      const subject = appliesTo(user, b.subjects, namespace);
      if (!subject) continue;
      const { rules, error } = this.roleReferenceRules(b.roleRef, namespace);
      if (error && !visit('', undefined, error)) return;
      const source = `RoleBinding ${JSON.stringify(`${name(b)}/${namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const r of rules) if (!visit(source, r)) return;
    }
  }

  /** Every rule that applies, plus resolution errors (an incomplete list is still usable). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}

const name = (o: KObject) => o.metadata?.name ?? '';
