// rbac.authorization.k8s.io/v1 kinds: Role, ClusterRole, RoleBinding, ClusterRoleBinding, with
// their REST surface (what the OpenAPI paths and `kubectl explain` are generated from).

import { apiVersionField, kindField, list, listType, objectMetaField, ref, refItems, str } from './fields.js';
import { registerKindSchema, type TypeDef, type Verb } from './model.js';
import { LABEL_SELECTOR } from './meta-v1.js';

const RBAC = 'io.k8s.api.rbac.v1';
const GROUP = 'rbac.authorization.k8s.io';
const ATOMIC = { 'x-kubernetes-list-type': 'atomic' };
const VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const policyRule: TypeDef = {
  name: `${RBAC}.PolicyRule`,
  description: 'One permission: the verbs allowed on the listed resources (by API group and optional names), or on the listed non-resource URLs.',
  fields: [
    list('apiGroups', { type: 'string' }, 'API groups of the resources. "" is the core group, "*" any group.', { extensions: ATOMIC }),
    list('nonResourceURLs', { type: 'string' }, 'Paths that are not resources, such as /healthz or /api/*. A trailing * matches any suffix. Only valid in ClusterRoles bound by ClusterRoleBindings.', { extensions: ATOMIC }),
    list('resourceNames', { type: 'string' }, 'Names the rule is limited to. Empty means every name. Cannot restrict create, list, watch or deletecollection.', { extensions: ATOMIC }),
    list('resources', { type: 'string' }, 'Resources such as "secrets", subresources as "serviceaccounts/token", "*/scale" for a subresource of any resource, "*" for all.', { extensions: ATOMIC }),
    list('verbs', { type: 'string' }, 'Verbs allowed: get, list, watch, create, update, patch, delete, deletecollection, or special verbs such as bind, escalate, impersonate. "*" allows all.', { required: true, extensions: ATOMIC }),
  ],
};

const aggregationRule: TypeDef = {
  name: `${RBAC}.AggregationRule`,
  description: 'How a ClusterRole collects its rules from other ClusterRoles.',
  fields: [
    list('clusterRoleSelectors', refItems(LABEL_SELECTOR), 'ClusterRoles whose labels match any of these selectors contribute their rules. The controller rewrites rules; edits to them are overwritten.', { extensions: ATOMIC }),
  ],
};

const subject: TypeDef = {
  name: `${RBAC}.Subject`,
  description: 'Who a binding grants to: a user, a group, or a ServiceAccount.',
  fields: [
    str('apiGroup', '"rbac.authorization.k8s.io" for User and Group subjects, "" for ServiceAccount.'),
    str('kind', 'User, Group or ServiceAccount.', { required: true }),
    str('name', 'Name of the user, group or ServiceAccount.', { required: true }),
    str('namespace', 'Namespace of a ServiceAccount subject. In a RoleBinding it defaults to the binding\'s namespace.'),
  ],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

const roleRef: TypeDef = {
  name: `${RBAC}.RoleRef`,
  description: 'The role a binding grants. It cannot be changed: delete and recreate the binding instead.',
  fields: [
    str('apiGroup', 'Always "rbac.authorization.k8s.io".', { required: true, default: '' }),
    str('kind', 'Role or ClusterRole (ClusterRoleBindings: ClusterRole only).', { required: true, default: '' }),
    str('name', 'Name of the role.', { required: true, default: '' }),
  ],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

const rules = list('rules', refItems(policyRule.name), 'The permissions the role grants.', { extensions: ATOMIC });
const subjects = list('subjects', refItems(subject.name), 'Who the role is granted to.', { extensions: ATOMIC });

const role: TypeDef = {
  name: `${RBAC}.Role`,
  description: 'A namespaced set of permissions, granted by RoleBindings in the same namespace.',
  fields: [apiVersionField, kindField, objectMetaField, rules],
  gvk: [{ group: GROUP, version: 'v1', kind: 'Role' }],
};

const clusterRole: TypeDef = {
  name: `${RBAC}.ClusterRole`,
  description: 'A cluster-wide set of permissions, granted cluster-wide by ClusterRoleBindings or inside one namespace by RoleBindings.',
  fields: [
    ref('aggregationRule', aggregationRule.name, 'When set, the rules are collected from the ClusterRoles it selects.'),
    apiVersionField, kindField, objectMetaField, rules,
  ],
  gvk: [{ group: GROUP, version: 'v1', kind: 'ClusterRole' }],
};

const roleBinding: TypeDef = {
  name: `${RBAC}.RoleBinding`,
  description: 'Grants a Role, or a ClusterRole, to subjects inside the binding\'s namespace.',
  fields: [apiVersionField, kindField, objectMetaField, ref('roleRef', roleRef.name, 'The role granted; immutable.', { required: true, default: {} }), subjects],
  gvk: [{ group: GROUP, version: 'v1', kind: 'RoleBinding' }],
};

const clusterRoleBinding: TypeDef = {
  name: `${RBAC}.ClusterRoleBinding`,
  description: 'Grants a ClusterRole to subjects across the whole server.',
  fields: [apiVersionField, kindField, objectMetaField, ref('roleRef', roleRef.name, 'The ClusterRole granted; immutable.', { required: true, default: {} }), subjects],
  gvk: [{ group: GROUP, version: 'v1', kind: 'ClusterRoleBinding' }],
};

const shared = [policyRule, aggregationRule, subject, roleRef];

for (const [def, plural, namespaced] of [
  [role, 'roles', true], [clusterRole, 'clusterroles', false], [roleBinding, 'rolebindings', true], [clusterRoleBinding, 'clusterrolebindings', false],
] as const) {
  const kind = def.name.slice(RBAC.length + 1);
  registerKindSchema({
    group: GROUP, version: 'v1', kind, schema: def.name,
    types: [def, ...shared, listType(RBAC, kind, GROUP, 'v1', `The ${kind}s in this list.`)],
    resource: { plural, namespaced, listSchema: `${RBAC}.${kind}List`, verbs: VERBS },
  });
}
