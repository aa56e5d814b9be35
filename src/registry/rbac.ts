// The RBAC resources (rbac.authorization.k8s.io/v1): Role, ClusterRole, RoleBinding,
// ClusterRoleBinding — v1 defaulting, kube's validation, roleRef immutability and kubectl's tables.
// Who may write them (escalation prevention) is admission's job: src/auth/rbac/escalation.ts.

import { rbacPatchHints } from '../api/patch/index.js';
import { RBAC_GROUP, type ClusterRole, type Role, type RoleBinding, type Subject } from '../api/rbac/types.js';
import type { KObject } from '../api/types.js';
import {
  defaultBinding, validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding,
} from '../api/validation/rbac.js';
import { registerStorageShape, type Shape } from '../storage/go-encoding.js';
import { age } from './age.js';
import type { ResourceInfo, Strategy, TableConvertor } from './types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function info(kind: string, resource: string, namespaced: boolean, storageVersionHash: string): ResourceInfo {
  return {
    group: RBAC_GROUP, version: 'v1', kind, listKind: `${kind}List`, resource, singular: kind.toLowerCase(),
    namespaced, verbs: VERBS, storageVersionHash,
  };
}

const nameCol = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 } as const;

const roleTable: TableConvertor = {
  columns: [nameCol, { name: 'Created At', type: 'date', format: '', description: 'When the role was created.', priority: 0 }],
  cells: (obj) => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''],
};

function subjectsOf(b: RoleBinding, kind: Subject['kind']): string {
  return (b.subjects ?? []).filter((s) => s?.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name)).join(', ');
}

const bindingTable: TableConvertor = {
  columns: [
    nameCol,
    { name: 'Role', type: 'string', format: '', description: 'The role granted.', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: 'Time since the binding was created.', priority: 0 },
    { name: 'Users', type: 'string', format: '', description: 'Users granted the role.', priority: 1 },
    { name: 'Groups', type: 'string', format: '', description: 'Groups granted the role.', priority: 1 },
    { name: 'ServiceAccounts', type: 'string', format: '', description: 'ServiceAccounts granted the role.', priority: 1 },
  ],
  cells(obj, now) {
    const b = obj as RoleBinding;
    return [
      b.metadata?.name ?? '', `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(b.metadata?.creationTimestamp, now),
      subjectsOf(b, 'User'), subjectsOf(b, 'Group'), subjectsOf(b, 'ServiceAccount'),
    ];
  },
};

function base(i: ResourceInfo, table: TableConvertor): Omit<Strategy, 'validate' | 'validateUpdate'> {
  return {
    info: i,
    normalize() {},
    prepareForCreate() {},
    prepareForUpdate() {},
    warnings: () => [],
    selectableFields: (obj: KObject) => ({ 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' }),
    table,
    patchHints: rbacPatchHints[i.kind]!,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: true,
  };
}

export const roleStrategy: Strategy = {
  ...base(info('Role', 'roles', true, '7FuwZcIIItM='), roleTable),
  validate: (obj) => validateRole(obj as Role),
  validateUpdate: (obj) => validateRole(obj as Role),
};

export const clusterRoleStrategy: Strategy = {
  ...base(info('ClusterRole', 'clusterroles', false, 'bYE5ZWDrJ44='), roleTable),
  validate: (obj) => validateClusterRole(obj as ClusterRole),
  validateUpdate: (obj) => validateClusterRole(obj as ClusterRole),
};

export const roleBindingStrategy: Strategy = {
  ...base(info('RoleBinding', 'rolebindings', true, 'eGsCzGH6b1g='), bindingTable),
  normalize: (obj) => defaultBinding(obj as RoleBinding),
  validate: (obj) => validateRoleBinding(obj as RoleBinding),
  validateUpdate: (obj, old) => [...validateRoleBinding(obj as RoleBinding), ...validateBindingUpdate(obj as RoleBinding, old as RoleBinding)],
};

export const clusterRoleBindingStrategy: Strategy = {
  ...base(info('ClusterRoleBinding', 'clusterrolebindings', false, '48tpQ8gZHFc='), bindingTable),
  normalize: (obj) => defaultBinding(obj as RoleBinding),
  validate: (obj) => validateClusterRoleBinding(obj as RoleBinding),
  validateUpdate: (obj, old) => [...validateClusterRoleBinding(obj as RoleBinding), ...validateBindingUpdate(obj as RoleBinding, old as RoleBinding)],
};

export const rbacStrategies = [roleStrategy, clusterRoleStrategy, roleBindingStrategy, clusterRoleBindingStrategy];

// Stored bytes in the Go field order of k8s.io/api/rbac/v1, as kube-apiserver writes them.
const RULES: Shape = { list: { verbs: 'raw', apiGroups: 'raw', resources: 'raw', resourceNames: 'raw', nonResourceURLs: 'raw' } };
const SELECTOR: Shape = { matchLabels: 'map', matchExpressions: { list: { key: 'raw', operator: 'raw', values: 'raw' } } };
const BINDING = {
  subjects: { list: { kind: 'raw', apiGroup: 'raw', name: 'raw', namespace: 'raw' } },
  roleRef: { apiGroup: 'raw', kind: 'raw', name: 'raw' },
} as const satisfies Record<string, Shape>;
registerStorageShape('Role', { rules: RULES });
registerStorageShape('ClusterRole', { rules: RULES, aggregationRule: { clusterRoleSelectors: { list: SELECTOR } } });
registerStorageShape('RoleBinding', BINDING);
registerStorageShape('ClusterRoleBinding', BINDING);
