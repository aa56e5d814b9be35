// ObjectMeta create/update rules: field paths and formatted messages as kube-apiserver 1.32 renders them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldError, formatFieldError } from '../../src/api/field-errors.js';
import type { ObjectMeta } from '../../src/api/types.js';
import { GO_REPR, isGoValue, validateObjectMetaCreate, validateObjectMetaUpdate } from '../../src/api/validation/index.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QNAME_NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NOT_STANDARD = 'name is neither a standard finalizer name nor is it fully qualified';

const SECRET = { namespaced: true, nameFn: 'subdomain' } as const;
const fmt = (errs: FieldError[]) => errs.map(formatFieldError);
const create = (meta: ObjectMeta, opts: Parameters<typeof validateObjectMetaCreate>[1] = SECRET) => fmt(validateObjectMetaCreate(meta, opts));
const base = (extra: ObjectMeta = {}): ObjectMeta => ({ name: 's1', namespace: 'default', ...extra });
const goText = (e: FieldError) => (isGoValue(e.value) ? e.value[GO_REPR] : undefined);

test('valid metadata produces no errors', () => {
  assert.deepEqual(
    create(base({
      labels: { app: 'web', 'example.com/tier': '', 'a.b/c_d': 'X.y-z' },
      annotations: { 'Example.COM/Note': 'anything at all', x: '' },
      finalizers: ['kubernetes', 'example.com/cleanup'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u1', controller: true }],
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
      generation: 0,
    })),
    [],
  );
});

test('name: required unless generateName', () => {
  assert.deepEqual(create({ namespace: 'default' }), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(create({ namespace: 'default', name: '' }), ['metadata.name: Required value: name or generateName is required']);
});

test('name: DNS-1123 subdomain for Secrets (regex and 253 limit)', () => {
  assert.deepEqual(create(base({ name: 'Bad_Name' })), [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`]);
  const long = 'a'.repeat(254);
  assert.deepEqual(create(base({ name: long })), [`metadata.name: Invalid value: "${long}": must be no more than 253 characters`]);
  assert.deepEqual(create(base({ name: 'my.secret-1' })), []);
});

test('name: label and path-segment name functions', () => {
  assert.deepEqual(create(base({ name: 'a.b' }), { namespaced: true, nameFn: 'label' }), [
    'metadata.name: Invalid value: "a.b": must not contain dots',
  ]);
  assert.deepEqual(create(base({ name: '..' }), { namespaced: true, nameFn: 'path-segment' }), [
    `metadata.name: Invalid value: "..": may not be '..'`,
  ]);
  assert.deepEqual(create(base({ name: 'Any_Name' }), { namespaced: true, nameFn: 'path-segment' }), []);
});

test('generateName: trailing dash masked; a bad prefix errs on both generateName and the generated name', () => {
  assert.deepEqual(create(base({ generateName: 'foo-', name: 'foo-x7k2q' })), []);
  assert.deepEqual(create(base({ generateName: 'Bad-', name: 'Bad-x7k2q' })), [
    `metadata.generateName: Invalid value: "Bad-": ${SUBDOMAIN_MSG}`,
    `metadata.name: Invalid value: "Bad-x7k2q": ${SUBDOMAIN_MSG}`,
  ]);
});

test('namespace: required for namespaced kinds', () => {
  assert.deepEqual(create({ name: 's1' }), ['metadata.namespace: Required value']);
});

test('namespace: must be a DNS-1123 label', () => {
  assert.deepEqual(create(base({ namespace: 'a.b' })), ['metadata.namespace: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(create(base({ namespace: 'Default' })), [`metadata.namespace: Invalid value: "Default": ${LABEL_MSG}`]);
  const long = 'n'.repeat(64);
  assert.deepEqual(create(base({ namespace: long })), [`metadata.namespace: Invalid value: "${long}": must be no more than 63 characters`]);
});

test('namespace: forbidden on cluster-scoped kinds', () => {
  assert.deepEqual(create({ name: 'x', namespace: 'default' }, { namespaced: false, nameFn: 'label' }), [
    'metadata.namespace: Forbidden: not allowed on this type',
  ]);
  assert.deepEqual(create({ name: 'x' }, { namespaced: false, nameFn: 'label' }), []);
});

test('generation: must be >= 0', () => {
  assert.deepEqual(create(base({ generation: -1 })), ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
});

test('labels: bad key and bad value, reported on metadata.labels with the offending text as value', () => {
  assert.deepEqual(create(base({ labels: { '-bad': 'ok' } })), [`metadata.labels: Invalid value: "-bad": ${QNAME_NAME_PART}`]);
  assert.deepEqual(create(base({ labels: { good: 'bad value' } })), [`metadata.labels: Invalid value: "bad value": ${LABEL_VALUE_MSG}`]);
  const v = 'v'.repeat(64);
  assert.deepEqual(create(base({ labels: { k: v } })), [`metadata.labels: Invalid value: "${v}": must be no more than 63 characters`]);
  assert.deepEqual(create(base({ labels: { 'a/b/c': 'x' } })).length, 1);
});

test('annotations: key checked after lower-casing; bad key reported as given', () => {
  assert.deepEqual(create(base({ annotations: { 'Example.COM/UPPER': 'v' } })), []);
  assert.deepEqual(create(base({ annotations: { 'Bad Key': 'v' } })), [`metadata.annotations: Invalid value: "Bad Key": ${QNAME_NAME_PART}`]);
});

test('annotations: total size limit 262144 bytes (keys + values, UTF-8)', () => {
  assert.deepEqual(create(base({ annotations: { a: 'x'.repeat(262143) } })), []);
  assert.deepEqual(create(base({ annotations: { a: 'x'.repeat(262144) } })), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
  // 131072 two-byte characters = 262144 bytes, plus the 1-byte key.
  assert.deepEqual(create(base({ annotations: { a: 'é'.repeat(131072) } })), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  assert.deepEqual(create(base({ annotations: { a: 'x'.repeat(131071), b: 'y'.repeat(131071) } })), []);
});

test('finalizers: standard names and fully-qualified names are accepted', () => {
  assert.deepEqual(create(base({ finalizers: ['kubernetes', 'orphan', 'example.com/x'] })), []);
  assert.deepEqual(create(base({ finalizers: ['foregroundDeletion'] })), []);
});

test('finalizers: a name without "/" must be standard (core rule, indexed path)', () => {
  assert.deepEqual(create(base({ finalizers: ['kubernetes', 'foo'] })), [`metadata.finalizers[1]: Invalid value: "foo": ${NOT_STANDARD}`]);
  assert.deepEqual(create(base({ finalizers: ['foo'] }), { ...SECRET, coreFinalizers: false }), []);
});

test('finalizers: each must be a qualified name (list path, no index)', () => {
  assert.deepEqual(create(base({ finalizers: ['Example.com/x'] })), [
    `metadata.finalizers: Invalid value: "Example.com/x": prefix part ${SUBDOMAIN_MSG}`,
  ]);
  assert.deepEqual(create(base({ finalizers: ['a b'] })), [
    `metadata.finalizers: Invalid value: "a b": ${QNAME_NAME_PART}`,
    `metadata.finalizers[0]: Invalid value: "a b": ${NOT_STANDARD}`,
  ]);
});

test('finalizers: orphan and foregroundDeletion together are invalid', () => {
  const errs = validateObjectMetaCreate(base({ finalizers: ['orphan', 'foregroundDeletion'] }), SECRET);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'metadata.finalizers');
  assert.equal(errs[0]!.type, 'FieldValueInvalid');
  assert.equal(errs[0]!.detail, 'finalizer orphan and foregroundDeletion cannot be both set');
  assert.equal(goText(errs[0]!), '[]string{"orphan", "foregroundDeletion"}');
  assert.equal(formatFieldError(errs[0]!), 'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set');
});

test('ownerReferences: apiVersion, kind, name and uid must be set (list path, no index)', () => {
  assert.deepEqual(create(base({ ownerReferences: [{} as never] })), [
    'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
    'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
    'metadata.ownerReferences.name: Invalid value: "": must not be empty',
    'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
  ]);
  assert.deepEqual(create(base({ ownerReferences: [{ apiVersion: 'apps/', kind: 'K', name: 'n', uid: 'u' }] })), [
    'metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty',
  ]);
  assert.deepEqual(create(base({ ownerReferences: [{ apiVersion: 'a/b/c', kind: 'K', name: 'n', uid: 'u' }] })), [
    'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
  ]);
});

test('ownerReferences: a core v1 Event may not be an owner', () => {
  const ev = { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u1' };
  const errs = validateObjectMetaCreate(base({ ownerReferences: [ev] }), SECRET);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'metadata.ownerReferences');
  assert.equal(errs[0]!.detail, '/v1, Kind=Event is disallowed from being an owner');
  assert.equal(goText(errs[0]!), '&OwnerReference{Kind:Event,Name:e,UID:u1,APIVersion:v1,Controller:nil,BlockOwnerDeletion:nil,}');
  assert.deepEqual(create(base({ ownerReferences: [{ ...ev, apiVersion: 'events.k8s.io/v1' }] })), []);
});

test('ownerReferences: at most one controller', () => {
  const refs = [
    { apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true },
    { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: false },
    { apiVersion: 'v1', kind: 'C', name: 'c', uid: '3', controller: true },
  ];
  const errs = validateObjectMetaCreate(base({ ownerReferences: refs }), SECRET);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'metadata.ownerReferences');
  assert.equal(errs[0]!.detail, 'Only one reference can have Controller set to true. Found "true" in references for A/a and C/c');
  assert.match(goText(errs[0]!)!, /^\[\]v1\.OwnerReference\{v1\.OwnerReference\{APIVersion:"v1", Kind:"A"/);
});

test('managedFields: operation must be Apply or Update', () => {
  assert.deepEqual(create(base({ managedFields: [{ manager: 'm', operation: 'Foo' as never }] })), [
    'metadata.managedFields[0].operation: Invalid value: "Foo": must be `Apply` or `Update`',
  ]);
  assert.deepEqual(create(base({ managedFields: [{ manager: 'm', operation: 'Apply' }, { manager: 'm' }] })), [
    'metadata.managedFields[1].operation: Invalid value: "": must be `Apply` or `Update`',
  ]);
});

test('managedFields: fieldsType must be FieldsV1 when set', () => {
  assert.deepEqual(create(base({ managedFields: [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV2' as never }] })), [
    'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
  ]);
});

test('managedFields: manager length and printable characters; subresource length', () => {
  assert.deepEqual(create(base({ managedFields: [{ manager: 'm'.repeat(129), operation: 'Update' }] })), [
    'metadata.managedFields[0].manager: Too long: may not be more than 128 bytes',
  ]);
  assert.deepEqual(create(base({ managedFields: [{ manager: 'é\tx', operation: 'Update' }] })), [
    'metadata.managedFields[0].manager: Invalid value: "é\\tx": invalid character U+0009 (at position 2)',
  ]);
  assert.deepEqual(create(base({ managedFields: [{ manager: 'm', operation: 'Update', subresource: 's'.repeat(257) }] })), [
    'metadata.managedFields[0].subresource: Too long: may not be more than 256 bytes',
  ]);
});

// ---- update ----

const OLD: ObjectMeta = {
  name: 's1', namespace: 'default', uid: 'u1', resourceVersion: '5', creationTimestamp: '2024-01-02T03:04:05Z', generation: 2,
};
const update = (n: ObjectMeta, o: ObjectMeta = OLD) => fmt(validateObjectMetaUpdate(n, o));

test('update: unchanged metadata is valid; equal timestamps in other spellings are equal', () => {
  assert.deepEqual(update({ ...OLD }), []);
  assert.deepEqual(update({ ...OLD, creationTimestamp: '2024-01-02T04:04:05+01:00' }), []);
  assert.deepEqual(update({ ...OLD, generation: 3, labels: { a: 'b' } }), []);
});

test('update: name, namespace and uid are immutable', () => {
  assert.deepEqual(update({ ...OLD, name: 's2' }), ['metadata.name: Invalid value: "s2": field is immutable']);
  assert.deepEqual(update({ ...OLD, namespace: 'other' }), ['metadata.namespace: Invalid value: "other": field is immutable']);
  assert.deepEqual(update({ ...OLD, uid: 'u2' }), ['metadata.uid: Invalid value: "u2": field is immutable']);
});

test('update: creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds are immutable', () => {
  const [e] = validateObjectMetaUpdate({ ...OLD, creationTimestamp: '2025-05-06T07:08:09Z' }, OLD);
  assert.equal(e!.field, 'metadata.creationTimestamp');
  assert.equal(e!.detail, 'field is immutable');
  assert.equal(goText(e!), '2025-05-06 07:08:09 +0000 UTC');
  const [d] = validateObjectMetaUpdate({ ...OLD, deletionTimestamp: '2025-01-01T00:00:00Z' }, OLD);
  assert.equal(d!.field, 'metadata.deletionTimestamp');
  assert.equal(goText(d!), '2025-01-01 00:00:00 +0000 UTC');
  assert.deepEqual(update({ ...OLD, deletionGracePeriodSeconds: 30 }), ['metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable']);
});

test('update: generation may not decrease', () => {
  assert.deepEqual(update({ ...OLD, generation: 1 }), ['metadata.generation: Invalid value: 1: must not be decremented']);
});

test('update: resourceVersion must be present by the time validation runs', () => {
  assert.deepEqual(update({ ...OLD, resourceVersion: undefined }), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
});

test('update: no new finalizers while the object is being deleted', () => {
  const deleting = { ...OLD, deletionTimestamp: '2024-02-01T00:00:00Z', finalizers: ['kubernetes'] };
  assert.deepEqual(update({ ...deleting, finalizers: ['kubernetes', 'b.io/y', 'a.io/x'] }, deleting), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a.io/x", "b.io/y"}',
  ]);
  assert.deepEqual(update({ ...deleting, finalizers: [] }, deleting), []);
  assert.deepEqual(update({ ...OLD, finalizers: ['a.io/x'] }), []);
});

test('update: labels, annotations, ownerReferences, managedFields and core finalizer names re-checked', () => {
  assert.deepEqual(update({ ...OLD, labels: { k: '-v' } }), [`metadata.labels: Invalid value: "-v": ${LABEL_VALUE_MSG}`]);
  assert.deepEqual(update({ ...OLD, annotations: { a: 'x'.repeat(262144) } }), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  assert.deepEqual(update({ ...OLD, ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'n', uid: '' }] }), [
    'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
  ]);
  assert.deepEqual(update({ ...OLD, managedFields: [{ operation: 'X' as never }] }), [
    'metadata.managedFields[0].operation: Invalid value: "X": must be `Apply` or `Update`',
  ]);
  assert.deepEqual(update({ ...OLD, finalizers: ['kubernetes', 'nope'] }), [`metadata.finalizers[1]: Invalid value: "nope": ${NOT_STANDARD}`]);
});
