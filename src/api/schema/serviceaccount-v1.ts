// core/v1 ServiceAccount and the reference types it uses, with the REST surface served for it
// (including the serviceaccounts/token subresource, which takes an authentication.k8s.io/v1 TokenRequest).

import { apiVersionField, bool, kindField, list, listType, objectMetaField, refItems, str } from './fields.js';
import { registerKindSchema, type TypeDef } from './model.js';

const CORE = 'io.k8s.api.core.v1';

const objectReference: TypeDef = {
  name: `${CORE}.ObjectReference`,
  description: 'A reference to an object, with enough information to inspect or modify it.',
  fields: [
    str('apiVersion', 'API version of the referent.'),
    str('fieldPath', 'A field within the object, when the reference points at part of it.'),
    str('kind', 'Kind of the referent.'),
    str('name', 'Name of the referent.'),
    str('namespace', 'Namespace of the referent.'),
    str('resourceVersion', 'The resourceVersion the reference was made at.'),
    str('uid', 'UID of the referent.', { goType: 'types.UID' }),
  ],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

const localObjectReference: TypeDef = {
  name: `${CORE}.LocalObjectReference`,
  description: 'A reference to an object in the same namespace, by name.',
  fields: [str('name', 'Name of the referent.', { default: '' })],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

const serviceAccount: TypeDef = {
  name: `${CORE}.ServiceAccount`,
  description: 'An identity for processes: tokens issued for it authenticate as system:serviceaccount:<namespace>:<name>.',
  fields: [
    apiVersionField,
    bool('automountServiceAccountToken', 'Whether workloads running as this account get an API token mounted automatically.'),
    list('imagePullSecrets', refItems(localObjectReference.name), 'Secrets in the same namespace to use when pulling images.', {
      extensions: { 'x-kubernetes-list-type': 'atomic' },
    }),
    kindField,
    objectMetaField,
    list('secrets', refItems(objectReference.name), 'Secrets in the same namespace that workloads running as this account may use. Legacy token secrets listed here are treated as auto-generated.', {
      extensions: { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
    }),
  ],
  gvk: [{ group: '', version: 'v1', kind: 'ServiceAccount' }],
};

registerKindSchema({
  group: '', version: 'v1', kind: 'ServiceAccount', schema: serviceAccount.name,
  types: [serviceAccount, objectReference, localObjectReference, listType(CORE, 'ServiceAccount', '', 'v1', 'The ServiceAccounts in this list.')],
  resource: {
    plural: 'serviceaccounts', namespaced: true, listSchema: `${CORE}.ServiceAccountList`,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'token', verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, schema: 'io.k8s.api.authentication.v1.TokenRequest' },
    ],
  },
});
