// Fuzzing the files an operator hands to Opaque: EncryptionConfiguration, the audit policy, a
// kubeconfig, and the pod manifest `opaque run` executes. Each is YAML or JSON written by a person,
// so every input — near-valid documents mutated, raw text — is accepted or refused with the
// module's own error (EncryptionConfigError, PolicyError, ManifestError, a plain Error naming the
// kubeconfig), never a TypeError from deep inside.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml, YAMLError } from 'yaml';
import { ManifestError } from '../../src/agent/errors.js';
import { podFromObject, readManifest } from '../../src/agent/manifest.js';
import { parsePolicy, PolicyError } from '../../src/audit/policy-file.js';
import { connect } from '../../src/cli/client.js';
import { EncryptionConfigError, parseEncryptionConfiguration } from '../../src/encryption/config.js';
import { check, mutatedBytes, mutatedValue, outcome, Reach, TOKENS } from '../fuzz/harness.js';
import { assertNotSuperLinear, quietly } from '../fuzz/timing.js';

const FILE = 'fuzz-config';
const dir = mkdtempSync(join(tmpdir(), 'opaque-fuzz-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const key32 = Buffer.alloc(32, 7).toString('base64');
/** A document as text, as the value itself in YAML or JSON, or its bytes mutated. */
function texts<T>(docs: fc.Arbitrary<T>): fc.Arbitrary<string> {
  const clean = fc.tuple(fc.oneof(docs as fc.Arbitrary<unknown>, mutatedValue(docs)), fc.boolean()).map(([d, yaml]) => (yaml ? toYaml(d) : JSON.stringify(d) ?? 'null'));
  return fc.oneof(
    { weight: 4, arbitrary: clean },
    { weight: 3, arbitrary: mutatedBytes(clean.map((t) => Buffer.from(t)), TOKENS).map((b) => b.toString('utf8')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );
}

// --- EncryptionConfiguration --------------------------------------------------------------------

const keys = fc.array(fc.record({ name: fc.constantFrom('k1', 'k2', '', 'a:b'), secret: fc.constantFrom(key32, Buffer.alloc(16, 1).toString('base64'), 'not-base64', '', 'YQ==') }), { maxLength: 2 });
const provider = fc.oneof(
  fc.record({ aesgcm: fc.record({ keys }) }), fc.record({ aescbc: fc.record({ keys }) }), fc.record({ secretbox: fc.record({ keys }) }),
  fc.constant({ identity: {} }),
  fc.record({ kms: fc.record({ apiVersion: fc.constantFrom('v1', 'v2', 'v3'), name: fc.constantFrom('kms', 'a:b', ''), endpoint: fc.constantFrom('unix:///tmp/kms.sock', 'tcp://x', '', '%zz', 'unix://'), timeout: fc.constantFrom('3s', '0s', '-1s', '1h2m', 'soon', '9999999999h'), cachesize: fc.constantFrom(0, -1, 1000, 2 ** 40) }, { requiredKeys: ['name'] }) }),
  fc.record({ aesgcm: fc.record({ keys }), identity: fc.constant({}) }),
);
const encryptionConfig = fc.record({
  apiVersion: fc.constantFrom('apiserver.config.k8s.io/v1', 'apiserver.config.k8s.io/v1beta1', ''),
  kind: fc.constantFrom('EncryptionConfiguration', 'EncryptionConfig', ''),
  resources: fc.array(fc.record({
    resources: fc.array(fc.constantFrom('secrets', '*.', '*.*', 'configmaps', 'Secrets', 'events.events.k8s.io', 'x.extensions', '*', 'secrets.', '*.apps', 'bindings'), { maxLength: 3 }),
    providers: fc.array(provider, { maxLength: 3 }),
  }), { maxLength: 3 }),
}, { requiredKeys: ['apiVersion', 'kind'] });

/** Configurations that pass, so the fuzzer also walks validation and the rule table to their end. */
const validEncryptionConfig = fc.record({
  apiVersion: fc.constant('apiserver.config.k8s.io/v1'), kind: fc.constant('EncryptionConfiguration'),
  resources: fc.array(fc.record({
    resources: fc.uniqueArray(fc.constantFrom('secrets', 'configmaps', 'roles.rbac.authorization.k8s.io', '*.apps'), { minLength: 1, maxLength: 2 }),
    providers: fc.array(fc.oneof(
      fc.constant({ identity: {} }),
      fc.record({ aesgcm: fc.record({ keys: fc.constant([{ name: 'k1', secret: key32 }]) }) }),
      fc.record({ secretbox: fc.record({ keys: fc.constant([{ name: 'k2', secret: key32 }]) }) }),
    ), { minLength: 1, maxLength: 2 }),
  }), { minLength: 1, maxLength: 1 }),
});

// --- audit policy ---------------------------------------------------------------------------------

const rule = fc.record({
  level: fc.constantFrom('None', 'Metadata', 'Request', 'RequestResponse', '', 'Everything'),
  users: fc.array(fc.constantFrom('alice', 'system:anonymous'), { maxLength: 2 }), userGroups: fc.array(fc.constantFrom('system:masters'), { maxLength: 1 }),
  verbs: fc.array(fc.constantFrom('get', 'list', '*'), { maxLength: 2 }), namespaces: fc.array(fc.constantFrom('ns', ''), { maxLength: 2 }),
  resources: fc.array(fc.record({ group: fc.constantFrom('', 'rbac.authorization.k8s.io', 'Bad_Group'), resources: fc.array(fc.constantFrom('secrets', 'pods/log', '*'), { maxLength: 2 }), resourceNames: fc.array(fc.constantFrom('a'), { maxLength: 1 }) }, { requiredKeys: [] }), { maxLength: 2 }),
  nonResourceURLs: fc.array(fc.constantFrom('/healthz', '*', 'healthz', '/a*b', '/api/*', ''), { maxLength: 2 }),
  omitStages: fc.array(fc.constantFrom('RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic', 'Never'), { maxLength: 2 }),
  omitManagedFields: fc.boolean(),
}, { requiredKeys: ['level'] });
const policy = fc.record({
  apiVersion: fc.constantFrom('audit.k8s.io/v1', 'audit.k8s.io/v1beta1'), kind: fc.constantFrom('Policy', 'Policies'),
  rules: fc.array(rule, { maxLength: 3 }), omitStages: fc.array(fc.constantFrom('RequestReceived', 'Bogus'), { maxLength: 1 }), omitManagedFields: fc.boolean(),
}, { requiredKeys: ['apiVersion', 'kind', 'rules'] });

const validPolicy = fc.record({
  apiVersion: fc.constant('audit.k8s.io/v1'), kind: fc.constant('Policy'),
  rules: fc.array(fc.record({ level: fc.constantFrom('None', 'Metadata', 'Request', 'RequestResponse'), verbs: fc.array(fc.constantFrom('get', 'list', '*'), { maxLength: 2 }), resources: fc.array(fc.record({ group: fc.constantFrom('', 'rbac.authorization.k8s.io'), resources: fc.array(fc.constantFrom('secrets', '*'), { maxLength: 2 }) }), { maxLength: 2 }) }, { requiredKeys: ['level'] }), { minLength: 1, maxLength: 3 }),
});

// --- kubeconfig -----------------------------------------------------------------------------------

const kubeconfig = fc.record({
  apiVersion: fc.constant('v1'), kind: fc.constant('Config'), 'current-context': fc.constantFrom('c', 'other', ''),
  clusters: fc.array(fc.record({ name: fc.constantFrom('k', 'x'), cluster: fc.record({ server: fc.constantFrom('https://127.0.0.1:6443', 'https://h/', ''), 'certificate-authority-data': fc.constantFrom(Buffer.from('pem').toString('base64'), '!!'), 'insecure-skip-tls-verify': fc.boolean() }, { requiredKeys: ['server'] }) }), { maxLength: 2 }),
  contexts: fc.array(fc.record({ name: fc.constantFrom('c', 'd'), context: fc.record({ cluster: fc.constantFrom('k', 'x'), user: fc.constantFrom('u', 'v'), namespace: fc.constantFrom('ns', '') }, { requiredKeys: ['cluster'] }) }), { maxLength: 2 }),
  users: fc.array(fc.record({ name: fc.constantFrom('u', 'v'), user: fc.record({ token: fc.constantFrom('t0k3n', ''), 'client-certificate-data': fc.constantFrom(Buffer.from('c').toString('base64')), 'client-key-data': fc.constantFrom(Buffer.from('k').toString('base64')) }, { requiredKeys: [] }) }), { maxLength: 2 }),
}, { requiredKeys: ['current-context', 'clusters', 'contexts'] });

// --- agent manifests -----------------------------------------------------------------------------

const container = fc.record({
  name: fc.constantFrom('app', 'App', 'sidecar', '', 'a'.repeat(64)),
  command: fc.array(fc.constantFrom('/bin/true', 'sh', '-c'), { maxLength: 2 }), args: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  env: fc.array(fc.record({ name: fc.constantFrom('A', 'B=C', '', 'é'), value: fc.string({ maxLength: 4 }), valueFrom: fc.record({ secretKeyRef: fc.record({ name: fc.constantFrom('s', ''), key: fc.constantFrom('k', '..', 'a/b', ''), optional: fc.boolean() }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: ['name'] }), { maxLength: 3 }),
  envFrom: fc.array(fc.record({ secretRef: fc.record({ name: fc.constantFrom('s', '') }), prefix: fc.constantFrom('P_', '') }, { requiredKeys: [] }), { maxLength: 2 }),
  volumeMounts: fc.array(fc.record({ name: fc.constantFrom('v', 'w', ''), mountPath: fc.constantFrom('/etc/s', '/etc/s/x', 'rel', '', '/a/../b', '/'), subPath: fc.constantFrom('k', '../x', '', '/abs'), readOnly: fc.boolean() }, { requiredKeys: ['name'] }), { maxLength: 3 }),
  securityContext: fc.record({ runAsUser: fc.constantFrom(0, 1000, -1, 2 ** 32, 1.5), runAsGroup: fc.constantFrom(0, 1000) }, { requiredKeys: [] }),
  workingDir: fc.constantFrom('/tmp', 'rel', ''),
}, { requiredKeys: ['name'] });
const podSpec = fc.record({
  containers: fc.array(container, { maxLength: 2 }),
  volumes: fc.array(fc.record({ name: fc.constantFrom('v', 'w', ''), secret: fc.record({ secretName: fc.constantFrom('s', ''), defaultMode: fc.constantFrom(0o644, 0o1000, -1, 1.5), optional: fc.boolean(), items: fc.array(fc.record({ key: fc.constantFrom('k', '', '..'), path: fc.constantFrom('p', '../p', '/abs', 'a/b', ''), mode: fc.constantFrom(0o400, 0o7777) }, { requiredKeys: ['key'] }), { maxLength: 2 }) }, { requiredKeys: [] }) }, { requiredKeys: ['name'] }), { maxLength: 2 }),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never', 'Sometimes'), terminationGracePeriodSeconds: fc.constantFrom(0, 30, -1, 1.5),
  serviceAccountName: fc.constantFrom('default', ''), securityContext: fc.record({ runAsUser: fc.constantFrom(0, -5), fsGroup: fc.constantFrom(2000, 2 ** 40) }, { requiredKeys: [] }),
}, { requiredKeys: ['containers'] });
const validManifest = fc.record({
  apiVersion: fc.constant('v1'), kind: fc.constant('Pod'), metadata: fc.record({ name: fc.constantFrom('p', 'web') }),
  spec: fc.record({
    containers: fc.array(fc.record({
      name: fc.constantFrom('app', 'side'), command: fc.constant(['/bin/true']),
      env: fc.array(fc.oneof(fc.record({ name: fc.constantFrom('A', 'B'), value: fc.string({ maxLength: 4 }) }), fc.record({ name: fc.constant('S'), valueFrom: fc.constant({ secretKeyRef: { name: 's', key: 'k' } }) })), { maxLength: 2 }),
      envFrom: fc.array(fc.constant({ secretRef: { name: 's' } }), { maxLength: 1 }),
      volumeMounts: fc.array(fc.record({ name: fc.constant('v'), mountPath: fc.constantFrom('/etc/s', '/var/t') }), { maxLength: 1 }),
    }), { minLength: 1, maxLength: 1 }),
    volumes: fc.constant([{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: 'p' }] } }]),
    restartPolicy: fc.constantFrom('Always', 'Never'),
  }),
});
const manifest = fc.oneof(validManifest,
  fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Pod'), metadata: fc.record({ name: fc.constantFrom('p', ''), namespace: fc.constantFrom('ns', 'other'), annotations: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }) }, { requiredKeys: [] }), spec: podSpec }, { requiredKeys: ['kind'] }),
  fc.record({ apiVersion: fc.constant('apps/v1'), kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Service'), metadata: fc.record({ name: fc.constant('d') }), spec: fc.record({ template: fc.record({ metadata: fc.record({ annotations: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }) }), spec: podSpec }, { requiredKeys: [] }) }) }),
  fc.record({ apiVersion: fc.constant('batch/v1'), kind: fc.constant('CronJob'), metadata: fc.record({ name: fc.constant('c') }), spec: fc.record({ jobTemplate: fc.record({ spec: fc.record({ template: fc.record({ spec: podSpec }) }) }) }) }),
);

let n = 0;
const tempFile = (text: string) => {
  const f = join(dir, `f${n++}.yaml`);
  writeFileSync(f, text);
  return f;
};

describe('fuzz: operator files', () => {
  test('EncryptionConfiguration: a configuration or an EncryptionConfigError', () => {
    const reach = new Reach();
    check(FILE, 'encryption-config', texts(fc.oneof(validEncryptionConfig, encryptionConfig)), (t) => {
      reach.note(undefined !== outcome(`parseEncryptionConfiguration(${JSON.stringify(t)})`, () => parseEncryptionConfiguration(t, { reload: t.length % 2 === 0 }), [EncryptionConfigError]));
    }, 1500);
    reach.assertAtLeast('encryption configurations', 0.02);
  });

  test('audit policy: a policy or a PolicyError', () => {
    const reach = new Reach();
    check(FILE, 'audit-policy', texts(fc.oneof(validPolicy, policy)), (t) => {
      reach.note(undefined !== outcome(`parsePolicy(${JSON.stringify(t)})`, () => parsePolicy(t), [PolicyError]));
    }, 1500);
    reach.assertAtLeast('audit policies', 0.02);
  });

  // connect() once crashed with TypeErrors (corpus/kubeconfig.json holds the inputs): an empty or null
  // document, contexts or clusters that are not lists, null entries in them, a server not a string.
  test('kubeconfig: a connection or an Error that names the file', () => {
    const reach = new Reach();
    check(FILE, 'kubeconfig', texts(kubeconfig), (t) => {
      const file = tempFile(t);
      let conn: ReturnType<typeof connect> | undefined;
      try { conn = connect(file); } catch (err) {
        const e = err as Error;
        // connect's own refusals name the file; the YAML parser's errors carry a position; a
        // missing certificate file is a system error with a code. Anything else is a crash.
        const own = e?.constructor === Error && (e.message.includes(file) || 'code' in e);
        assert.ok(own || e instanceof YAMLError, `connect(${JSON.stringify(t)}) crashed with ${e?.name}: ${e?.message}`);
      }
      reach.note(conn !== undefined);
    }, 800);
    reach.assertAtLeast('kubeconfigs', 0.01);
  });

  test('agent pod manifests: a Pod or a ManifestError (objects and files)', () => {
    const reach = new Reach();
    check(FILE, 'pod-manifest', fc.oneof(manifest.map((m) => ({ obj: m as unknown })), mutatedValue(manifest).map((m) => ({ obj: m })), texts(manifest).map((text) => ({ text }))), (input) => {
      if ('obj' in input) reach.note(undefined !== outcome(`podFromObject(${JSON.stringify(input.obj)})`, () => podFromObject(input.obj), [ManifestError]));
      else outcome(`readManifest(${JSON.stringify(input.text)})`, () => readManifest(tempFile(input.text)), [ManifestError]);
    }, 1500);
    reach.assertAtLeast('pod manifests', 0.02);
  });
});

describe('operator file parsing time grows linearly', () => {
  test('EncryptionConfiguration: many resources and keys', () => {
    const build = (n: number) => toYaml({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: Array.from({ length: n }, (_, i) => ({ resources: [`r${i}`, `r${i}.g${i}`], providers: [{ aesgcm: { keys: [{ name: `k${i}`, secret: key32 }] } }, { identity: {} }] })) });
    assertNotSuperLinear('encryption config', build, (t) => quietly(() => parseEncryptionConfiguration(t)), { start: 16, maxBase: 4096 });
  });
  test('audit policy: many rules', () => {
    const build = (n: number) => toYaml({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: Array.from({ length: n }, (_, i) => ({ level: 'Metadata', users: [`u${i}`], resources: [{ group: '', resources: ['secrets'] }], omitStages: ['RequestReceived'] })) });
    assertNotSuperLinear('audit policy', build, (t) => quietly(() => parsePolicy(t)), { start: 16, maxBase: 4096 });
  });
  test('pod manifest: many env entries and mounts', () => {
    const spec = (n: number) => ({ containers: [{ name: 'app', command: ['true'], env: Array.from({ length: n }, (_, i) => ({ name: `E${i}`, value: 'v' })), volumeMounts: Array.from({ length: n }, (_, i) => ({ name: 'v', mountPath: `/m/${i}` })) }], volumes: [{ name: 'v', secret: { secretName: 's' } }] });
    assertNotSuperLinear('pod manifest', (n) => ({ kind: 'Pod', metadata: { name: 'p' }, spec: spec(n) }), (o) => quietly(() => podFromObject(structuredClone(o))), { start: 16, maxBase: 4096 });
  });
});
