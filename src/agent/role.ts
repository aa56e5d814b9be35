// The least privilege an agent needs for one pod: get and watch on exactly the Secrets it
// references (the agent never lists; its watches carry the name as a field selector, which the
// authorizer treats as that name), bound to the agent's user, group or ServiceAccount.

import { stringify } from 'yaml';
import type { Pod } from './types.js';
import { referencedSecrets } from './references.js';

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export function minimalRole(pod: Pod, subject: Subject, name = `opaque-run-${pod.name}`): string {
  const names = referencedSecrets(pod);
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: pod.namespace },
    rules: names.length ? [{ apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: ['get', 'watch'] }] : [],
  };
  const subj = subject.kind === 'ServiceAccount'
    ? { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace ?? pod.namespace }
    : { apiGroup: 'rbac.authorization.k8s.io', kind: subject.kind, name: subject.name };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace: pod.namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subj],
  };
  return `${stringify(role)}---\n${stringify(binding)}`;
}
