// Namespace rules (spec §7 + core ValidateNamespace): cluster-scoped, DNS-label names, spec finalizers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldError, formatFieldError } from '../../src/api/field-errors.js';
import type { Namespace } from '../../src/api/types.js';
import {
  validateNamespace, validateNamespaceFinalizeUpdate, validateNamespaceUpdate, validateObjectMetaUpdate,
} from '../../src/api/validation/index.js';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QNAME_NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const NOT_STANDARD = 'name is neither a standard finalizer name nor is it fully qualified';

const fmt = (errs: FieldError[]) => errs.map(formatFieldError);
const ns = (name: string, extra: Partial<Namespace> = {}): Namespace => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
  spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' }, ...extra,
});
const check = (n: Namespace) => fmt(validateNamespace(n));

test('valid namespaces', () => {
  for (const name of ['default', 'kube-system', 'a', '123', 'n'.repeat(63)]) assert.deepEqual(check(ns(name)), [], name);
});

test('name: required', () => {
  assert.deepEqual(check({ metadata: {} }), ['metadata.name: Required value: name or generateName is required']);
});

test('name: must be a DNS-1123 label (dots, case, length)', () => {
  assert.deepEqual(check(ns('a.b')), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(check(ns('Prod')), [`metadata.name: Invalid value: "Prod": ${LABEL_MSG}`]);
  assert.deepEqual(check({ metadata: { name: '-x' } }), [`metadata.name: Invalid value: "-x": ${LABEL_MSG}`]);
  const long = 'n'.repeat(64);
  assert.deepEqual(check({ metadata: { name: long } }), [`metadata.name: Invalid value: "${long}": must be no more than 63 characters`]);
});

test('generateName: validated as a label prefix with the trailing dash masked', () => {
  assert.deepEqual(check({ metadata: { generateName: 'team-', name: 'team-x7k2q' } }), []);
  assert.deepEqual(check({ metadata: { generateName: 'a.b-', name: 'a.b-x7k2q' } }), [
    'metadata.generateName: Invalid value: "a.b-": must not contain dots',
    'metadata.name: Invalid value: "a.b-x7k2q": must not contain dots',
  ]);
});

test('cluster-scoped: metadata.namespace is forbidden', () => {
  assert.deepEqual(check({ ...ns('x'), metadata: { name: 'x', namespace: 'default' } }), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('metadata rules apply (labels, finalizers)', () => {
  assert.deepEqual(check({ ...ns('x'), metadata: { name: 'x', labels: { k: '-v' } } }).length, 1);
  assert.deepEqual(check({ ...ns('x'), metadata: { name: 'x', finalizers: ['custom'] } }), [`metadata.finalizers[0]: Invalid value: "custom": ${NOT_STANDARD}`]);
});

test('spec.finalizers: standard or fully qualified, reported on the list path', () => {
  assert.deepEqual(check(ns('x', { spec: { finalizers: ['kubernetes', 'example.com/x'] } })), []);
  assert.deepEqual(check(ns('x', { spec: { finalizers: ['foo'] } })), [`spec.finalizers: Invalid value: "foo": ${NOT_STANDARD}`]);
  assert.deepEqual(check(ns('x', { spec: { finalizers: ['a b'] } })), [
    `spec.finalizers: Invalid value: "a b": ${QNAME_NAME_PART}`,
    `spec.finalizers: Invalid value: "a b": ${NOT_STANDARD}`,
  ]);
});

test('update: the new object must pass the create rules', () => {
  const old = ns('x');
  old.metadata = { ...old.metadata, uid: 'u', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' };
  const n: Namespace = { ...old, metadata: { ...old.metadata, labels: { bad: '-v' } } };
  assert.equal(fmt(validateNamespaceUpdate(n, old)).length, 1);
  assert.deepEqual(fmt(validateNamespaceUpdate({ ...old }, old)), []);
});

test('update: name is immutable (metadata update rules)', () => {
  const old = { name: 'x', uid: 'u', resourceVersion: '1' };
  assert.deepEqual(fmt(validateObjectMetaUpdate({ ...old, name: 'y' }, old)), ['metadata.name: Invalid value: "y": field is immutable']);
});

test('finalize: spec.finalizers validated per index', () => {
  assert.deepEqual(fmt(validateNamespaceFinalizeUpdate(ns('x', { spec: { finalizers: ['kubernetes', 'bad'] } }))), [
    `spec.finalizers[1]: Invalid value: "bad": ${NOT_STANDARD}`,
  ]);
  assert.deepEqual(fmt(validateNamespaceFinalizeUpdate(ns('x', { spec: {} }))), []);
});
