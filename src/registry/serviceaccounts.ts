// The ServiceAccount resource (core/v1). Like kube, only ObjectMeta is validated (the name is a DNS
// subdomain); the table shows NAME, SECRETS (how many secrets it lists) and AGE. Tokens for it come
// from the serviceaccounts/token subresource (tokenrequest.ts).

import type { KObject } from '../api/types.js';
import { serviceAccountPatchHints } from '../api/patch/index.js';
import { validateObjectMetaCreate } from '../api/validation/index.js';
import { registerStorageShape } from '../storage/go-encoding.js';
import { age } from './age.js';
import type { Strategy } from './types.js';

export interface ServiceAccount extends KObject {
  secrets?: { name?: string; [k: string]: unknown }[];
  imagePullSecrets?: { name?: string }[];
  automountServiceAccountToken?: boolean;
}

const validate = (obj: KObject) => validateObjectMetaCreate(obj.metadata ?? {}, { namespaced: true, nameFn: 'subdomain' });

export const serviceAccountStrategy: Strategy = {
  info: {
    group: '', version: 'v1', kind: 'ServiceAccount', listKind: 'ServiceAccountList', resource: 'serviceaccounts', singular: 'serviceaccount',
    namespaced: true, shortNames: ['sa'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storageVersionHash: 'pbx9ZvyFpBE=',
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  },
  normalize() {},
  prepareForCreate() {},
  prepareForUpdate() {},
  validate,
  validateUpdate: validate,
  warnings() {
    return [];
  },
  selectableFields(obj) {
    return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' };
  },
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace; it identifies the service account.', priority: 0 },
      { name: 'Secrets', type: 'string', format: '', description: 'The number of secrets the service account lists.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Time since the service account was created.', priority: 0 },
    ],
    cells(obj, now) {
      const sa = obj as ServiceAccount;
      return [sa.metadata?.name ?? '', (sa.secrets ?? []).length, age(sa.metadata?.creationTimestamp, now)];
    },
  },
  patchHints: serviceAccountPatchHints,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
};

// Stored bytes in the Go field order of core/v1 ServiceAccount, as kube-apiserver writes them.
registerStorageShape('ServiceAccount', {
  secrets: { list: { kind: 'raw', namespace: 'raw', name: 'raw', uid: 'raw', apiVersion: 'raw', resourceVersion: 'raw', fieldPath: 'raw' } },
  imagePullSecrets: { list: { name: 'raw' } },
  automountServiceAccountToken: 'raw',
});
