// Structured inputs shared by the fuzz tests: Kubernetes objects from valid to barely plausible,
// their structural mutations, their three wire encodings, and query strings with every list, watch
// and write parameter kube knows. Generators aim near the valid region so inputs get past the first
// check and reach deep code.

import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { encodeProtobufObject, ProtobufEncodeError } from '../../src/api/proto/index.js';
import { mutatedValue } from './harness.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const dataKey = fc.oneof(fc.constantFrom('k', '.dot', 'a-b_c', 'tls.crt', '..x', '', 'x'.repeat(254)), fc.string({ maxLength: 12 }));
const labelMap = fc.dictionary(fc.oneof(fc.constantFrom('app', 'example.com/a', 'kubernetes.io/x'), fc.string({ maxLength: 10 })), fc.string({ maxLength: 10 }), { maxKeys: 4 });

/** A Secret as clients send it, from valid to barely plausible. */
export const secretArb = fc.record({
  apiVersion: fc.constantFrom('v1', '', 'v2', 'apps/v1'),
  kind: fc.constantFrom('Secret', '', 'ConfigMap'),
  metadata: fc.record({
    name: fc.oneof(fc.constantFrom('s', 'my-secret', 'a.b', 'UPPER', ''), fc.string({ maxLength: 20 })),
    namespace: fc.constantFrom('ns', 'ns', 'default', ''),
    labels: labelMap,
    annotations: labelMap,
    resourceVersion: fc.constantFrom('1', '', 'abc'),
    uid: fc.constantFrom('0b5d6c3e-8e9b-4b0e-9f7f-2a4b8a3c1d2e', 'x'),
    creationTimestamp: fc.constantFrom('2024-01-01T00:00:00Z', 'yesterday', null),
    finalizers: fc.array(fc.constantFrom('kubernetes', 'example.com/f', 'bad finalizer'), { maxLength: 2 }),
    ownerReferences: fc.array(fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Pod'), name: fc.constant('p'), uid: fc.constant('u'), controller: fc.boolean() }), { maxLength: 2 }),
    managedFields: fc.array(fc.record({ manager: fc.constant('m'), operation: fc.constantFrom('Apply', 'Update', 'X'), fieldsType: fc.constant('FieldsV1'), fieldsV1: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 1 }),
  }, { requiredKeys: ['name'] }),
  type: fc.constantFrom('Opaque', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg', 'kubernetes.io/service-account-token', 'kubernetes.io/basic-auth', 'kubernetes.io/ssh-auth', 'bootstrap.kubernetes.io/token', ''),
  data: fc.dictionary(dataKey, fc.oneof(fc.string({ maxLength: 12 }).map(b64), fc.constantFrom('not base64!', '', 'YQ', 'e30=', b64('{"auths":{}}'), b64('[]'))), { maxKeys: 5 }),
  stringData: fc.dictionary(dataKey, fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  immutable: fc.boolean(),
}, { requiredKeys: ['metadata'] });

/** Secrets that pass validation, so the fuzzer also walks the accepting paths to their end. */
export const validSecret = fc.record({
  apiVersion: fc.constant('v1'), kind: fc.constant('Secret'),
  metadata: fc.record({ name: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/), namespace: fc.constantFrom('ns', undefined), labels: fc.dictionary(fc.constantFrom('app', 'example.com/x'), fc.stringMatching(/^[a-z0-9]{0,8}$/), { maxKeys: 2 }) }, { requiredKeys: ['name'] }),
  type: fc.constantFrom('Opaque', undefined),
  data: fc.dictionary(fc.stringMatching(/^[-._a-zA-Z0-9]{1,12}$/).filter((k) => !k.startsWith('..') && k !== '.'), fc.string({ maxLength: 12 }).map(b64), { maxKeys: 4 }),
  stringData: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 2 }),
}, { requiredKeys: ['metadata'] });

export const otherKinds = fc.oneof(
  fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Namespace'), metadata: fc.record({ name: fc.string({ maxLength: 12 }) }), spec: fc.record({ finalizers: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }) }) }),
  fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('ServiceAccount'), metadata: fc.record({ name: fc.string({ maxLength: 12 }) }), secrets: fc.array(fc.record({ name: fc.string({ maxLength: 8 }) }), { maxLength: 2 }), automountServiceAccountToken: fc.boolean() }),
  fc.record({
    apiVersion: fc.constant('rbac.authorization.k8s.io/v1'), kind: fc.constantFrom('Role', 'ClusterRole'), metadata: fc.record({ name: fc.string({ maxLength: 12 }) }),
    rules: fc.array(fc.record({ apiGroups: fc.array(fc.constantFrom('', '*', 'apps'), { maxLength: 2 }), resources: fc.array(fc.constantFrom('secrets', '*', 'pods/log'), { maxLength: 2 }), verbs: fc.array(fc.constantFrom('get', '*', 'list'), { maxLength: 2 }), resourceNames: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), nonResourceURLs: fc.array(fc.constantFrom('/healthz', '/api/*', '*'), { maxLength: 2 }) }), { maxLength: 3 }),
    aggregationRule: fc.option(fc.record({ clusterRoleSelectors: fc.array(fc.record({ matchLabels: labelMap, matchExpressions: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), operator: fc.constantFrom('In', 'NotIn', 'Exists', 'Bogus'), values: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }) }), { maxLength: 2 }) }), { maxLength: 2 }) }), { nil: undefined }),
  }, { requiredKeys: ['apiVersion', 'kind', 'metadata'] }),
  fc.record({
    apiVersion: fc.constant('rbac.authorization.k8s.io/v1'), kind: fc.constantFrom('RoleBinding', 'ClusterRoleBinding'), metadata: fc.record({ name: fc.string({ maxLength: 12 }) }),
    roleRef: fc.record({ apiGroup: fc.constantFrom('rbac.authorization.k8s.io', ''), kind: fc.constantFrom('Role', 'ClusterRole', 'X'), name: fc.string({ maxLength: 8 }) }),
    subjects: fc.array(fc.record({ kind: fc.constantFrom('User', 'Group', 'ServiceAccount', 'X'), name: fc.string({ maxLength: 8 }), namespace: fc.string({ maxLength: 5 }), apiGroup: fc.constantFrom('rbac.authorization.k8s.io', '') }), { maxLength: 3 }),
  }),
);

export const objects = fc.oneof({ weight: 4, arbitrary: validSecret as fc.Arbitrary<unknown> }, { weight: 3, arbitrary: secretArb as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: otherKinds as fc.Arbitrary<unknown> });
export const values = fc.oneof({ weight: 4, arbitrary: objects }, { weight: 3, arbitrary: mutatedValue(objects) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 6 }) });

export function encodings(v: unknown): fc.Arbitrary<{ contentType: string; body: Buffer }> {
  const proto = (): Buffer => {
    try {
      return Buffer.from(encodeProtobufObject(v as { apiVersion: string; kind: string }));
    } catch (e) {
      if (e instanceof ProtobufEncodeError) return Buffer.from(encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }));
      throw e;
    }
  };
  return fc.constantFrom(
    { contentType: 'application/json', body: Buffer.from(JSON.stringify(v) ?? 'null') },
    { contentType: 'application/yaml', body: Buffer.from(toYaml(v)) },
    { contentType: 'application/vnd.kubernetes.protobuf', body: proto() },
  );
}

export const number = fc.oneof(fc.integer().map(String), fc.constantFrom('0', '-1', '01', '+1', '1e3', '0x10', '9007199254740993', '18446744073709551615', '18446744073709551616', '99999999999999999999999', ' 1', '1 ', '', 'NaN', 'Infinity', '١'));
export const PARAMS = {
  limit: number, resourceVersion: number, continue: fc.string({ maxLength: 12 }), timeoutSeconds: number,
  resourceVersionMatch: fc.constantFrom('Exact', 'NotOlderThan', '', 'exact', 'x'), sendInitialEvents: fc.constantFrom('true', 'false', '', 'x'),
  allowWatchBookmarks: fc.constantFrom('true', 'false', '1'), watch: fc.constantFrom('true', '1', 'false', ''),
  fieldValidation: fc.constantFrom('Strict', 'Warn', 'Ignore', '', 'strict', 'x'), includeObject: fc.constantFrom('None', 'Metadata', 'Object', '', 'object'),
  labelSelector: fc.constantFrom('a=b', 'a in (b)', '!a', '=', ''), fieldSelector: fc.constantFrom('metadata.name=x', 'type!=y', 'x', ''),
  fieldManager: fc.string({ maxLength: 10 }), dryRun: fc.constantFrom('All', '', 'x'), force: fc.constantFrom('true', 'false', ''),
  propagationPolicy: fc.constantFrom('Orphan', 'Background', 'Foreground', 'x'), gracePeriodSeconds: number, pretty: fc.constantFrom('true', '1'),
};
/** A query string with any of the parameters kube knows, some repeated, some unknown. */
export const queryString = fc.array(fc.oneof(
  ...Object.entries(PARAMS).map(([k, v]) => (v as fc.Arbitrary<string>).map((x) => [k, x] as const)),
  fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })),
), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])));

