// The default cluster roles and bindings, as kube-apiserver's bootstrap policy ships them (for the
// resources Opaque serves), and their reconciliation at every start: missing objects are created;
// existing ones marked `rbac.authorization.kubernetes.io/autoupdate: "true"` get missing rules and
// subjects added back, while anything an operator added is kept.

import { RBAC_GROUP, type ClusterRole, type PolicyRule, type RoleBinding, type Subject } from '../../api/rbac/types.js';
import type { GenericStore } from '../../registry/generic-store.js';
import type { UserInfo } from '../types.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const AGG = (to: string) => `rbac.authorization.k8s.io/aggregate-to-${to}`;

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function role(name: string, rules: PolicyRule[], extra: Partial<ClusterRole> = {}, labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels }, annotations: { [AUTOUPDATE]: 'true' } },
    ...(extra.aggregationRule ? { aggregationRule: extra.aggregationRule } : {}),
    rules,
  };
}

const aggregated = (name: string, to: string, labels: Record<string, string> = {}) =>
  role(name, [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGG(to)]: 'true' } }] } }, labels);

export const DEFAULT_CLUSTER_ROLES: ClusterRole[] = [
  role('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  role('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
  role('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  role('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  role('system:service-account-issuer-discovery', [
    urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
  ]),
  role('system:auth-delegator', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  aggregated('admin', 'admin'),
  aggregated('edit', 'edit', { [AGG('admin')]: 'true' }),
  aggregated('view', 'view', { [AGG('edit')]: 'true' }),
  role('system:aggregate-to-admin', [
    rule([...READ, ...WRITE], [RBAC_GROUP], ['rolebindings', 'roles']),
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  ], {}, { [AGG('admin')]: 'true' }),
  role('system:aggregate-to-edit', [
    rule(['impersonate'], [''], ['serviceaccounts']),
    rule(WRITE, [''], ['secrets', 'serviceaccounts']),
    rule(READ, [''], ['secrets']),
    rule(['create'], [''], ['serviceaccounts/token']),
  ], {}, { [AGG('edit')]: 'true' }),
  // view deliberately leaves out secrets: reading them is edit's, as in Kubernetes.
  role('system:aggregate-to-view', [
    rule(READ, [''], ['namespaces', 'serviceaccounts']),
    rule(READ, [''], ['namespaces/status']),
  ], {}, { [AGG('view')]: 'true' }),
];

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

function binding(name: string, roleName: string, subjects: Subject[]): RoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { [AUTOUPDATE]: 'true' } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

export const DEFAULT_CLUSTER_ROLE_BINDINGS: RoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
  binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
  binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  binding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Creates missing defaults and restores missing rules/subjects on auto-updated ones. */
export async function reconcileBootstrapPolicy(roles: GenericStore, bindings: GenericStore, user: UserInfo): Promise<void> {
  const opts = () => ({ dryRun: false, user, warnings: [] as string[] });
  for (const want of DEFAULT_CLUSTER_ROLES) {
    await reconcile(roles, want, (cur) => {
      const c = cur as ClusterRole;
      // Aggregated roles get their rules from the aggregation controller.
      const missing = want.aggregationRule ? [] : (want.rules ?? []).filter((r) => !(c.rules ?? []).some((x) => same(x, r)));
      const labels = { ...(want.metadata?.labels ?? {}), ...(c.metadata?.labels ?? {}) };
      if (!missing.length && same(labels, c.metadata?.labels ?? {}) && (!want.aggregationRule || c.aggregationRule)) return undefined;
      const next: ClusterRole = { ...c, metadata: { ...c.metadata, labels }, rules: [...(c.rules ?? []), ...missing] };
      if (want.aggregationRule && !c.aggregationRule) next.aggregationRule = want.aggregationRule;
      return next;
    }, opts);
  }
  for (const want of DEFAULT_CLUSTER_ROLE_BINDINGS) {
    await reconcile(bindings, want, (cur) => {
      const b = cur as RoleBinding;
      const missing = (want.subjects ?? []).filter((s) => !(b.subjects ?? []).some((x) => same(x, s)));
      return missing.length ? { ...b, subjects: [...(b.subjects ?? []), ...missing] } : undefined;
    }, opts);
  }
}

async function reconcile(
  store: GenericStore, want: ClusterRole | RoleBinding, fix: (cur: ClusterRole | RoleBinding) => ClusterRole | RoleBinding | undefined,
  opts: () => { dryRun: boolean; user: UserInfo; warnings: string[] },
): Promise<void> {
  const name = want.metadata!.name!;
  const cur = await store.tryGet(undefined, name);
  if (!cur) {
    await store.create(undefined, structuredClone(want), opts()).catch((err) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    return;
  }
  if (cur.metadata?.annotations?.[AUTOUPDATE] !== 'true') return;
  if (!fix(cur as ClusterRole)) return;
  await store.update(undefined, name, (existing) => fix(existing as ClusterRole) ?? existing, opts());
}
