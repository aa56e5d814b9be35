// core/v1 kinds: Secret and Namespace. Each registration carries the REST surface the server
// serves for it, which is what the OpenAPI paths are generated from.

import { apiVersionField, bool, kindField, list, listType, objectMetaField, ref, refItems, str, TIME } from './fields.js';
import { registerKindSchema, type TypeDef } from './model.js';

const CORE = 'io.k8s.api.core.v1';

const secret: TypeDef = {
  name: `${CORE}.Secret`,
  description: 'Holds a small amount of sensitive data, such as passwords, tokens or keys, under named keys. All values in data together may not exceed 1 MiB.',
  fields: [
    apiVersionField,
    {
      name: 'data',
      type: 'byte-map',
      description: "The secret values, by key. A key may contain letters, digits, '-', '_' and '.'. Each value is arbitrary bytes, written in JSON as standard base64 with padding (RFC 4648 section 4).",
    },
    bool('immutable', 'When true, data can no longer change; only metadata can be updated. Once set to true, it cannot be unset.'),
    kindField,
    objectMetaField,
    {
      name: 'stringData',
      type: 'map',
      values: { type: 'string' },
      description: 'Write-only input for plain-text values. On write, each entry is copied into data and replaces a data entry with the same key. Reads never return it.',
    },
    str('type', 'Category of the secret, which decides which keys data must contain, such as Opaque, kubernetes.io/tls or kubernetes.io/dockerconfigjson. Defaults to Opaque and cannot be changed after create.', {
      goType: 'v1.SecretType',
    }),
  ],
  gvk: [{ group: '', version: 'v1', kind: 'Secret' }],
};

const namespaceCondition: TypeDef = {
  name: `${CORE}.NamespaceCondition`,
  description: 'One observation about the state of a Namespace.',
  fields: [
    ref('lastTransitionTime', TIME, 'When the condition last changed status.'),
    str('message', 'Human-readable details.'),
    str('reason', 'Machine-readable reason for the last transition, in CamelCase.'),
    str('status', 'True, False or Unknown.', { required: true, goType: 'v1.ConditionStatus', default: '' }),
    str('type', 'Condition type, such as NamespaceDeletionContentFailure.', { required: true, goType: 'v1.NamespaceConditionType', default: '' }),
  ],
};

const namespaceSpec: TypeDef = {
  name: `${CORE}.NamespaceSpec`,
  description: 'Settings of a Namespace: the finalizers that must finish before it is removed.',
  fields: [
    list('finalizers', { type: 'string', goType: 'v1.FinalizerName' }, 'Finalizers that must be removed, through the finalize subresource, before the namespace is deleted. The server adds "kubernetes".', {
      extensions: { 'x-kubernetes-list-type': 'atomic' },
    }),
  ],
};

const namespaceStatus: TypeDef = {
  name: `${CORE}.NamespaceStatus`,
  description: 'Lifecycle phase and conditions of a Namespace.',
  fields: [
    list('conditions', refItems(namespaceCondition.name), 'Latest observations of the state of the namespace.', {
      extensions: {
        'x-kubernetes-list-map-keys': ['type'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'type',
        'x-kubernetes-patch-strategy': 'merge',
      },
    }),
    str('phase', 'Lifecycle phase: Active, or Terminating once deletion has started.', { goType: 'v1.NamespacePhase' }),
  ],
};

const namespace: TypeDef = {
  name: `${CORE}.Namespace`,
  description: 'A named scope for namespaced objects. Their names are unique within a namespace.',
  fields: [
    apiVersionField,
    kindField,
    objectMetaField,
    ref('spec', namespaceSpec.name, 'Desired state of the namespace.', { default: {} }),
    ref('status', namespaceStatus.name, 'Observed state of the namespace. The server maintains it.', { default: {} }),
  ],
  gvk: [{ group: '', version: 'v1', kind: 'Namespace' }],
};

registerKindSchema({
  group: '', version: 'v1', kind: 'Secret', schema: secret.name,
  types: [secret, listType(CORE, 'Secret', '', 'v1', 'The Secrets in this list.')],
  resource: {
    plural: 'secrets', namespaced: true, listSchema: `${CORE}.SecretList`,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  },
});

registerKindSchema({
  group: '', version: 'v1', kind: 'Namespace', schema: namespace.name,
  types: [namespace, namespaceSpec, namespaceStatus, namespaceCondition, listType(CORE, 'Namespace', '', 'v1', 'The Namespaces in this list.')],
  resource: {
    plural: 'namespaces', namespaced: false, listSchema: `${CORE}.NamespaceList`,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'finalize', verbs: ['update'] },
      { name: 'status', verbs: ['get', 'patch', 'update'] },
    ],
  },
});
