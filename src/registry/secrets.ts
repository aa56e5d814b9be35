// The Secret resource: v1 defaulting (type Opaque), stringData folded into data on every write,
// kube-apiserver's validation, TLS key-pair warnings, and the NAME/TYPE/DATA/AGE table.

import type { KObject, Secret } from '../api/types.js';
import { secretPatchHints } from '../api/patch/index.js';
import {
  defaultSecret, mergeStringData, secretTlsWarnings, validateObjectMetaCreate, validateSecret, validateSecretUpdate,
} from '../api/validation/index.js';
import { age } from './age.js';
import type { Strategy } from './types.js';

export const secretStrategy: Strategy = {
  info: {
    group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList', resource: 'secrets', singular: 'secret',
    namespaced: true, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storageVersionHash: 'S6u1pOWzb84=',
  },
  normalize(obj) {
    const s = obj as Secret;
    mergeStringData(s);
    defaultSecret(s);
  },
  canonicalize(obj) {
    // Stored objects drop an empty data map (kube's encoding does); validation saw it as sent, because
    // kube compares immutable data with reflect.DeepEqual, where an empty map differs from none.
    const s = obj as Secret;
    if (s.data && Object.keys(s.data).length === 0) delete s.data;
  },
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return [...validateObjectMetaCreate(obj.metadata ?? {}, { namespaced: true, nameFn: 'subdomain' }), ...validateSecret(obj as Secret)];
  },
  validateUpdate(obj, old) {
    // kube's ValidateSecretUpdate order: type and immutability first, then the create-time rules.
    return [
      ...validateSecretUpdate(obj as Secret, old as Secret),
      ...validateObjectMetaCreate(obj.metadata ?? {}, { namespaced: true, nameFn: 'subdomain' }),
      ...validateSecret(obj as Secret),
    ];
  },
  warnings(obj) {
    return secretTlsWarnings(obj as Secret);
  },
  selectableFields(obj: KObject) {
    return {
      'metadata.name': obj.metadata?.name ?? '',
      'metadata.namespace': obj.metadata?.namespace ?? '',
      type: (obj as Secret).type ?? '',
    };
  },
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace; it identifies the secret.', priority: 0 },
      { name: 'Type', type: 'string', format: '', description: 'Used to facilitate programmatic handling of secret data.', priority: 0 },
      { name: 'Data', type: 'string', format: '', description: 'The number of keys the secret holds.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Time since the secret was created.', priority: 0 },
    ],
    cells(obj, now) {
      const s = obj as Secret;
      return [s.metadata?.name ?? '', s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata?.creationTimestamp, now)];
    },
  },
  patchHints: secretPatchHints,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
};
