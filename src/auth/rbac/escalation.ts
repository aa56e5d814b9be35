// Escalation prevention for RBAC writes (kube's policybased storages): a user may create or change
// a Role/ClusterRole only with every permission it grants (or the `escalate` verb on it), and a
// binding only to a role whose permissions they hold (or the `bind` verb on it). system:masters is
// exempt. Runs as admission, so creates, updates, patches and apply are all checked.

import type { AdmissionAttributes, AdmissionPlugin } from '../../admission/types.js';
import { errors } from '../../api/errors.js';
import { RBAC_GROUP, type ClusterRole, type PolicyRule, type RoleBinding } from '../../api/rbac/types.js';
import type { KObject } from '../../api/types.js';
import type { Authorizer, UserInfo } from '../types.js';
import { aggregateText } from '../../api/selectors/go-format.js';
import type { RuleResolver } from './resolver.js';
import { compactRules, compactString, covers, goQuotedList } from './rules.js';

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export class RbacEscalationCheck implements AdmissionPlugin {
  readonly name = 'RBACEscalation';

  constructor(
    private readonly resolver: RuleResolver,
    /** The server's full authorizer chain (privileged group included). */
    private readonly authorizer: () => Authorizer,
  ) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.info.group !== RBAC_GROUP || a.operation === 'DELETE' || !a.object) return;
    if (a.user.groups.includes('system:masters')) return;
    if (a.oldObject && onlyGcFieldsChanged(a.object, a.oldObject)) return;
    await this.resolver.settled();
    const gr = { group: RBAC_GROUP, resource: a.info.resource };
    const name = a.object.metadata?.name || a.name;
    const namespace = a.namespace ?? '';
    switch (a.info.resource) {
      case 'roles':
      case 'clusterroles': {
        if (await this.allowed(a.user, 'escalate', a.info.resource, namespace, name)) return;
        const role = a.object as ClusterRole;
        this.confirmNoEscalation(a.user, namespace, role.rules ?? [], gr, name);
        if (a.info.resource === 'clusterroles' && role.aggregationRule && aggregationChanged(role, a.oldObject as ClusterRole | undefined)) {
          const held = this.resolver.rulesFor(a.user, namespace);
          if (!covers(held.rules, FULL_AUTHORITY).ok) throw errors.forbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule');
        }
        return;
      }
      case 'rolebindings':
      case 'clusterrolebindings': {
        const b = a.object as RoleBinding;
        const ref = b.roleRef ?? { apiGroup: '', kind: '', name: '' };
        const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
        if (await this.allowed(a.user, 'bind', refResource, namespace, ref.name)) return;
        const { rules, error } = this.resolver.roleReferenceRules(ref, namespace);
        if (error) throw errors.forbidden(gr, name, error);
        this.confirmNoEscalation(a.user, namespace, rules, gr, name);
        return;
      }
    }
  }

  private async allowed(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
    const d = await this.authorizer().authorize({
      user, verb, isResourceRequest: true, path: '', namespace, apiGroup: RBAC_GROUP, apiVersion: '*', resource, subresource: '', name,
    });
    return d.decision === 'allow';
  }

  private confirmNoEscalation(user: UserInfo, namespace: string, wanted: PolicyRule[], gr: { group: string; resource: string }, name: string): void {
    const held = this.resolver.rulesFor(user, namespace);
    const { ok, missing } = covers(held.rules, wanted);
    if (ok) return;
    const lines = [...new Set(compactRules(missing).map(compactString))].sort();
    let msg = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    if (held.errors.length) msg += `; resolution errors: [${aggregateText(held.errors)}]`;
    throw errors.forbidden(gr, name, msg);
  }
}

function stripGc(o: KObject): unknown {
  const { metadata, ...rest } = o;
  const { ownerReferences: _r, finalizers: _f, managedFields: _m, resourceVersion: _v, ...m } = metadata ?? {};
  return { ...rest, metadata: m };
}

/** kube's IsOnlyMutatingGCFields: only ownerReferences/finalizers changed. */
function onlyGcFieldsChanged(obj: KObject, old: KObject): boolean {
  return JSON.stringify(stripGc(obj)) === JSON.stringify(stripGc(old));
}

function aggregationChanged(role: ClusterRole, old: ClusterRole | undefined): boolean {
  return !old?.aggregationRule || JSON.stringify(old.aggregationRule) !== JSON.stringify(role.aggregationRule);
}


