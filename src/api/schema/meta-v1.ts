// meta/v1 types shared by every group: object and list metadata, Status, DeleteOptions, watch
// events. Descriptions are our own wording; Go type names in `goType` are what kube's decoder
// prints in type errors (named string types such as types.UID).

import { apiVersionField, bool, int, kindField, LIST_META, list, listMetaField, META, OBJECT_META, ref, refItems, str, stringMap, TIME } from './fields.js';
import { registerKindSchema, registerTypes, type TypeDef } from './model.js';

const UID = { goType: 'types.UID' };

const objectMeta: TypeDef = {
  name: OBJECT_META,
  description: 'Metadata that every persisted object carries: its identity, labels and annotations, and bookkeeping fields that the server maintains.',
  fields: [
    stringMap('annotations', 'Key/value data that users and tools attach to the object. Unlike labels, annotations do not identify the object and cannot be used in selectors.'),
    ref('creationTimestamp', TIME, 'When the server created the object, in RFC 3339 form and UTC. Set by the server and read-only.'),
    int('deletionGracePeriodSeconds', 'int64', 'Seconds the object has to terminate gracefully after deletion was requested. It is set together with deletionTimestamp and is read-only.'),
    ref('deletionTimestamp', TIME, 'When deletion was requested. The object stays readable until its finalizers list is empty, and then it is removed. Set by the server and read-only.'),
    list('finalizers', { type: 'string' }, 'Components that must finish their clean-up before the object is removed. After deletion has started, entries can only be removed.', {
      extensions: { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    }),
    str('generateName', 'Prefix for a name that the server generates when name is empty on create. A random suffix is added to make the name unique.'),
    int('generation', 'int64', 'Sequence number of the desired state. The server maintains it; it is read-only.'),
    stringMap('labels', 'Key/value pairs that identify the object. Label selectors use them to organize and select objects.'),
    list('managedFields', refItems(`${META}.ManagedFieldsEntry`), 'Which field manager owns which fields, as tracked by server-side apply. This is internal bookkeeping, and clients rarely need to change it.', {
      extensions: { 'x-kubernetes-list-type': 'atomic' },
    }),
    str('name', 'Name of the object. It is unique per resource within the namespace, or within the cluster for cluster-scoped resources. It is required on create unless generateName is set, and it cannot be changed.'),
    str('namespace', 'Namespace that holds the object; empty for cluster-scoped objects. It must be a DNS label and cannot be changed.'),
    list('ownerReferences', refItems(`${META}.OwnerReference`), 'Objects that this object depends on. When all owners are gone, the object can be garbage collected. At most one owner can be the managing controller.', {
      extensions: {
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
    }),
    str('resourceVersion', 'Opaque version of the object that changes on every write. Send it back unchanged for optimistic concurrency on updates, or to resume a watch.'),
    str('selfLink', 'Deprecated. The server never sets it.'),
    str('uid', 'Unique identifier that the server assigns on create. It is never reused and is read-only.', UID),
  ],
};

const listMeta: TypeDef = {
  name: LIST_META,
  description: 'Metadata of a list response.',
  fields: [
    str('continue', 'Token for the next page when the request set limit. Absent on the last page. Pass it back unchanged in the continue query parameter.'),
    int('remainingItemCount', 'int64', 'Estimated number of items after this page. It is only set on paginated lists without selectors, and it is an estimate.'),
    str('resourceVersion', 'Version of the collection that this list reflects. Start a watch from it to see every later change.'),
    str('selfLink', 'Deprecated. The server never sets it.'),
  ],
};

const ownerReference: TypeDef = {
  name: `${META}.OwnerReference`,
  description: 'Points to an owning object. The owner is in the same namespace or is cluster-scoped.',
  fields: [
    str('apiVersion', 'API version of the owner.', { required: true }),
    bool('blockOwnerDeletion', 'During foreground deletion, keeps the owner from being removed until this object is gone.'),
    bool('controller', 'Marks the owner that manages this object. At most one owner can set it.'),
    str('kind', 'Kind of the owner.', { required: true }),
    str('name', 'Name of the owner.', { required: true }),
    str('uid', 'UID of the owner.', { required: true, ...UID }),
  ],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

const managedFieldsEntry: TypeDef = {
  name: `${META}.ManagedFieldsEntry`,
  description: 'Ownership record of one field manager: who wrote the fields, with which operation and API version, and which fields they are.',
  fields: [
    str('apiVersion', 'Version of the resource that the field set refers to, in group/version form.'),
    str('fieldsType', 'Encoding of fieldsV1. The only value is "FieldsV1".'),
    ref('fieldsV1', `${META}.FieldsV1`, 'The owned fields, in the FieldsV1 encoding.'),
    str('manager', 'Name of the field manager: the fieldManager of the request that wrote the fields.'),
    str('operation', 'How the fields were last written: "Apply" for server-side apply, "Update" for any other write.', { goType: 'v1.ManagedFieldsOperationType' }),
    str('subresource', 'Subresource that the write went through, such as "status". Empty for the main resource.'),
    ref('time', TIME, 'When this entry last changed.'),
  ],
};

const fieldsV1: TypeDef = {
  name: `${META}.FieldsV1`,
  description: 'A set of field paths, stored as a JSON trie. A key is "f:<field>", "k:<list item keys>", "v:<value>", "i:<index>", or "." for the field itself. structured-merge-diff defines the format.',
  shape: 'raw',
};

const time: TypeDef = {
  name: TIME,
  description: 'A timestamp in RFC 3339 form with second precision. The server writes it in UTC.',
  shape: 'time',
};

const statusCause: TypeDef = {
  name: `${META}.StatusCause`,
  description: 'One reason why a request failed.',
  fields: [
    str('field', 'Path of the field at fault, such as "metadata.name" or "data[bad key]". It can be empty.'),
    str('message', 'Human-readable description of this cause.'),
    str('reason', 'Machine-readable cause, such as FieldValueInvalid or FieldValueRequired.', { goType: 'v1.CauseType' }),
  ],
};

const statusDetails: TypeDef = {
  name: `${META}.StatusDetails`,
  description: 'Extra information attached to a Status. Which fields are set depends on the reason.',
  fields: [
    list('causes', refItems(`${META}.StatusCause`), 'The individual problems behind the failure, for example one per invalid field.', {
      extensions: { 'x-kubernetes-list-type': 'atomic' },
    }),
    str('group', 'API group of the affected resource.'),
    str('kind', 'Kind or resource name of the affected object.'),
    str('name', 'Name of the affected object, when there is exactly one.'),
    int('retryAfterSeconds', 'int32', 'Seconds to wait before a retry, when the server suggests one.'),
    str('uid', 'UID of the affected object, when it is known.', UID),
  ],
};

const status: TypeDef = {
  name: `${META}.Status`,
  description: 'Result of an operation that returns no object. Every error response also has this form.',
  fields: [
    apiVersionField,
    int('code', 'int32', 'HTTP status code of the response, or 0 when not set.'),
    ref('details', `${META}.StatusDetails`, 'Extra data about the failure. Which fields are set depends on the reason, so clients should not rely on any one of them.'),
    kindField,
    str('message', 'Human-readable explanation.'),
    { ...listMetaField, description: 'Standard list metadata. It is usually empty.' },
    str('reason', 'Machine-readable reason for a failure, such as NotFound, AlreadyExists or Invalid. Empty when the code is enough.', { goType: 'v1.StatusReason' }),
    str('status', '"Success" or "Failure".'),
  ],
  gvk: [{ group: '', version: 'v1', kind: 'Status' }],
};

const preconditions: TypeDef = {
  name: `${META}.Preconditions`,
  description: 'Conditions that the object must meet before it is deleted.',
  fields: [
    str('resourceVersion', "The object's resourceVersion must equal this value."),
    str('uid', "The object's UID must equal this value.", UID),
  ],
};

const deleteOptions: TypeDef = {
  name: `${META}.DeleteOptions`,
  description: 'Options for a delete or deletecollection request.',
  fields: [
    apiVersionField,
    list('dryRun', { type: 'string' }, 'When set to ["All"], the server processes the request fully but saves nothing.', {
      extensions: { 'x-kubernetes-list-type': 'atomic' },
    }),
    int('gracePeriodSeconds', 'int64', "Seconds before the object is deleted. 0 deletes it at once. When unset, the resource's default is used."),
    kindField,
    bool('orphanDependents', 'Deprecated: use propagationPolicy instead. Whether dependents are orphaned.'),
    ref('preconditions', `${META}.Preconditions`, 'Conditions that must hold for the delete to go ahead. If they do not, the server answers 409 Conflict.'),
    str('propagationPolicy', 'What happens to dependents: "Orphan" keeps them, "Background" deletes them after the owner, "Foreground" deletes them before the owner.', {
      goType: 'v1.DeletionPropagation',
    }),
  ],
  gvk: 'every',
};

const rawExtension: TypeDef = {
  name: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  description: 'An embedded object of any kind, kept as raw JSON.',
  shape: 'raw',
};

const watchEvent: TypeDef = {
  name: `${META}.WatchEvent`,
  description: 'One event on a watch stream.',
  fields: [
    ref('object', rawExtension.name, 'What the event is about: the new state for ADDED and MODIFIED, the last state for DELETED, a Status for ERROR, and an object that carries only a resourceVersion for BOOKMARK.', { required: true }),
    str('type', 'Event type: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.', { required: true, default: '' }),
  ],
  gvk: 'every',
};

const patch: TypeDef = {
  name: `${META}.Patch`,
  description: 'Body of a PATCH request. Content-Type selects the format: JSON patch, merge patch, strategic merge patch, or an apply configuration.',
  shape: 'raw',
};

export const LABEL_SELECTOR = `${META}.LabelSelector`;

const labelSelectorRequirement: TypeDef = {
  name: `${META}.LabelSelectorRequirement`,
  description: 'One set-based requirement on a label: key, operator and values.',
  fields: [
    str('key', 'The label key the requirement applies to.', { required: true, default: '' }),
    str('operator', 'In, NotIn, Exists or DoesNotExist.', { required: true, default: '' }),
    list('values', { type: 'string' }, 'Values for In and NotIn (non-empty); must be empty for Exists and DoesNotExist.', { extensions: { 'x-kubernetes-list-type': 'atomic' } }),
  ],
};

const labelSelector: TypeDef = {
  name: LABEL_SELECTOR,
  description: 'A label query: every matchLabels pair and every matchExpressions requirement must hold. An empty selector matches everything.',
  fields: [
    list('matchExpressions', refItems(labelSelectorRequirement.name), 'Set-based requirements, all of which must hold.', { extensions: { 'x-kubernetes-list-type': 'atomic' } }),
    stringMap('matchLabels', 'Exact key/value pairs, all of which must be present.'),
  ],
  extensions: { 'x-kubernetes-map-type': 'atomic' },
};

registerTypes(labelSelector, labelSelectorRequirement, objectMeta, listMeta, ownerReference, managedFieldsEntry, fieldsV1, time, statusCause, statusDetails, status, preconditions, rawExtension, watchEvent, patch);

// Kinds that arrive as request bodies (or are returned) outside any resource.
registerKindSchema({ group: '', version: 'v1', kind: 'DeleteOptions', schema: deleteOptions.name, aliases: [{ group: 'meta.k8s.io', version: 'v1' }], types: [deleteOptions] });
registerKindSchema({ group: '', version: 'v1', kind: 'Status', schema: status.name, aliases: [{ group: 'meta.k8s.io', version: 'v1' }] });
