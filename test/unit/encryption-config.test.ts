// EncryptionConfiguration parsing and validation, checked against kube-apiserver's own messages
// (validation_encryption.go, encryptionconfig/config.go and their tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EncryptionConfigError, decodeStdBase64, goURLScheme, groupResourceString, loadEncryptionConfigFile,
  parseEncryptionConfiguration, parseGroupResource, redactEncryptionConfiguration, resourceRuleFor,
} from '../../src/encryption/config.js';
import { formatGoDuration, parseGoDuration } from '../../src/encryption/duration.js';

const K16 = Buffer.alloc(16, 1).toString('base64');
const K32 = Buffer.alloc(32, 2).toString('base64');
const K8 = Buffer.from('8 bytes!').toString('base64');
const HEADER = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n';

/** A config with one entry for `resources`, providers given as YAML list items (indented 6). */
const cfg = (providers: string, resources = ['secrets']) =>
  `${HEADER}resources:\n  - resources:\n${resources.map((r) => `      - "${r}"\n`).join('')}    providers:\n${providers}`;
const aescbc = (name: string, secret: string) =>
  `      - aescbc:\n          keys:\n            - name: ${name}\n              secret: "${secret}"\n`;
const identity = '      - identity: {}\n';
const kms = (fields: Record<string, string | number>) =>
  `      - kms:\n${Object.entries(fields).map(([k, v]) => `          ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}\n`).join('')}`;

function errorOf(text: string, opts?: { reload?: boolean }): EncryptionConfigError {
  try {
    parseEncryptionConfiguration(text, opts);
  } catch (err) {
    assert.ok(err instanceof EncryptionConfigError, `unexpected error type: ${String(err)}`);
    return err;
  }
  assert.fail('configuration was accepted');
}
const messageOf = (text: string, opts?: { reload?: boolean }) => errorOf(text, opts).message;

// ---------------------------------------------------------------------------------------------

test('parses YAML with defaults: KMS v1 gets timeout 3s and cachesize 1000; v2 has no cachesize', () => {
  const c = parseEncryptionConfiguration(cfg(
    aescbc('key1', K32) + kms({ name: 'p1', endpoint: 'unix:///tmp/p1.sock' })
    + kms({ apiVersion: 'v2', name: 'p2', endpoint: 'unix:///tmp/p2.sock', timeout: '1m30s' }) + identity,
  ));
  assert.equal(c.apiVersion, 'apiserver.config.k8s.io/v1');
  assert.equal(c.kind, 'EncryptionConfiguration');
  assert.deepEqual(c.resources[0]!.resources, ['secrets']);
  const [p0, p1, p2, p3] = c.resources[0]!.providers;
  assert.deepEqual(p0, { aescbc: { keys: [{ name: 'key1', secret: K32 }] } });
  assert.deepEqual(p1!.kms, { apiVersion: 'v1', name: 'p1', endpoint: 'unix:///tmp/p1.sock', cachesize: 1000, timeout: '3s', timeoutMs: 3000 });
  assert.deepEqual(p2!.kms, { apiVersion: 'v2', name: 'p2', endpoint: 'unix:///tmp/p2.sock', timeout: '1m30s', timeoutMs: 90000 });
  assert.deepEqual(p3, { identity: {} });
});

test('parses JSON (kube testdata aes-cbc-multiple-keys.json)', () => {
  const c = parseEncryptionConfiguration(`{
  "kind": "EncryptionConfiguration",
  "apiVersion": "apiserver.config.k8s.io/v1",
  "resources": [{ "resources": ["ignored"], "providers": [{ "aescbc": { "keys": [
    { "name": "A", "secret": "Owq7A4JrJpSjrvH8kXkvl4JmOLzvZ6j9BcGRkR8OPQ4=" },
    { "name": "B", "secret": "+qcnfOFX3aRXM9PuY7lQXDWYIQ3GWUdBc3nYBo91SCA=" } ] } }] }]
}`);
  assert.deepEqual(c.resources[0]!.providers[0]!.aescbc!.keys.map((k) => k.name), ['A', 'B']);
});

test('strict decoding: unknown fields are named by path (kube testdata invalid-typo.yaml)', () => {
  const typo = `kind: EncryptionConfiguration
apiVersion: apiserver.config.k8s.io/v1
resources:
  - resources:
      - secrets
    providers:
      - aesgcm:
          keys:
            - name: key1
              secret: c2VjcmV0IGlzIHNlY3VyZQ==
            - name: key2
              secret: dGhpcyBpcyBwYXNzd29yZA==
      - secretbox:
          keys:
            - name: key1
              secret: YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=
      - kms:
          name: testprovider
          endpoint: unix:///tmp/testprovider.sock
          cachesize: 10
      - kms:
          apiVersion: v2
          name: testproviderv2
          endpoint: unix:///tmp/testprovider.sock
          timeout: 10s
          pandas: are the best  # true, but still a typo
      - aescbc:
          keys:
            - name: key1
              secret: c2VjcmV0IGlzIHNlY3VyZQ==
            - name: key2
              secret: dGhpcyBpcyBwYXNzd29yZA==
      - identity: {}
`;
  const err = errorOf(typo);
  assert.equal(err.stage, 'decode');
  assert.equal(err.message,
    'error decoding encryption provider configuration: strict decoding error: unknown field "resources[0].providers[3].kms.pandas"');
  assert.equal(
    messageOf(`${HEADER}metadata: {name: x}\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {foo: 1}\n      - aescbc: {keys: [{name: a, secret: "${K32}", size: 32}]}\n`),
    'error decoding encryption provider configuration: strict decoding error: unknown field "metadata", '
    + 'unknown field "resources[0].providers[0].identity.foo", unknown field "resources[0].providers[1].aescbc.keys[0].size"',
  );
});

test('apiVersion/kind, syntax and type errors', () => {
  assert.equal(messageOf(''), 'encryption provider configuration is empty');
  assert.equal(messageOf('kind: EncryptionConfiguration\nresources: []\n'),
    "error decoding encryption provider configuration: Object 'apiVersion' is missing in encryption provider configuration");
  // kube testdata invalid-gvk.yaml: "kinds:" instead of "kind:"
  assert.equal(messageOf('kinds: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: []\n'),
    "error decoding encryption provider configuration: Object 'Kind' is missing in encryption provider configuration");
  // kube testdata invalid-config-type.yaml
  assert.equal(messageOf('kind: EncryptionConfigurations\napiVersion: apiserver.config.k8s.io/v1\n'),
    'error decoding encryption provider configuration: no kind "EncryptionConfigurations" is registered for version "apiserver.config.k8s.io/v1"');
  assert.match(messageOf('kind: EncryptionConfig\napiVersion: v1\n'), /no kind "EncryptionConfig" is registered for version "v1"; use apiVersion: apiserver\.config\.k8s\.io\/v1/);
  assert.equal(messageOf(`${HEADER}resources:\n  - resources: [secrets]\n    resources: [configmaps]\n`),
    'error decoding encryption provider configuration: yaml: line 5, column 5: Map keys must be unique');
  assert.equal(messageOf(cfg(kms({ name: 'p', endpoint: 'unix:///s', timeout: 'soon' }))),
    'error decoding encryption provider configuration: resources[0].providers[0].kms.timeout: time: invalid duration "soon"');
  // a non-string secret is a type error that does not show the value
  const err = messageOf(cfg('      - secretbox:\n          keys:\n            - name: k\n              secret: 123456789\n'));
  assert.equal(err, 'error decoding encryption provider configuration: resources[0].providers[0].secretbox.keys[0].secret: must be a string (value not shown)');
});

test('validation messages match kube (field paths, wording, REDACTED secrets)', () => {
  const cases: [string, string][] = [
    // key length (the aescbc validator accepts 16/24/32)
    [cfg(identity + aescbc('key1', K8)),
      'resources[0].providers[1].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]'],
    [cfg(`      - secretbox:\n          keys:\n            - name: sb\n              secret: "${K16}"\n`),
      'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]'],
    [cfg(aescbc('key1', 'not base64!')),
      'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded'],
    [cfg(aescbc('key1', K32.replace(/=+$/, ''))), // unpadded: Go's StdEncoding refuses it
      'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded'],
    [cfg('      - aesgcm:\n          keys: []\n'),
      'resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required'],
    [cfg(`      - aesgcm:\n          keys:\n            - secret: "${K16}"\n`),
      'resources[0].providers[0].aesgcm.keys[0].name: Required value: name is a mandatory field for a key'],
    [cfg('      - aesgcm:\n          keys:\n            - name: k\n'),
      'resources[0].providers[0].aesgcm.keys[0].secret: Required value: secret is a mandatory field for a key'],
    [`${HEADER}resources: []\n`, 'resources: Required value: at least one resources is required'],
    [`${HEADER}resources:\n  - providers:\n      - identity: {}\n`,
      'resources[0].resources: Required value: at least one resources[0].resources is required'],
    [`${HEADER}resources:\n  - resources: [secrets]\n`,
      'resources[0].providers: Required value: at least one resources[0].providers is required'],
    [cfg(`      - aesgcm:\n          keys: [{name: a, secret: "${K16}"}]\n        aescbc:\n          keys: [{name: a, secret: "${K32}"}]\n`),
      'resources[0].providers[0]: Invalid value: ProviderConfiguration{aesgcm, aescbc}: more than one provider specified in a single element, should split into different list elements'],
    // `- identity:` without {} is null, which kube decodes as "no provider"
    [cfg('      - identity:\n'),
      'resources[0].providers[0]: Invalid value: ProviderConfiguration{}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity'],
    [cfg(identity, ['*']),
      "resources[0].resources[0]: Invalid value: \"*\": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources"],
    [cfg(identity, ['Secrets']),
      'resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters'],
    [cfg(identity, ['serviceipallocations']),
      'resources[0].resources[0]: Invalid value: "serviceipallocations": resources which do not have REST API/s cannot be encrypted'],
    [cfg(identity, ['events.events.k8s.io']),
      "resources[0].resources[0]: Invalid value: \"events.events.k8s.io\": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file"],
    [cfg(identity, ['*.extensions']),
      "resources[0].resources[0]: Invalid value: \"*.extensions\": 'extensions' group has been removed and cannot be used for encryption"],
    [cfg(identity, ['secrets.*']),
      'resources[0].resources[0]: Invalid value: "secrets.*": encrypting the same resource across groups is not supported'],
    [cfg(identity, ['secrets', 'secrets']),
      'resources[0].resources: Invalid value: []string{"secrets", "secrets"}: the same resource cannot be specified multiple times'],
    [cfg(identity, ['secrets', '*.']),
      "resources[0].resources: Invalid value: []string{\"secrets\", \"*.\"}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked"],
    // KMS
    [cfg(kms({ endpoint: 'unix:///tmp/k.sock' })),
      'resources[0].providers[0].kms.name: Required value: name is a mandatory field for a provider'],
    [cfg(kms({ apiVersion: 'v2', name: 'a:b', endpoint: 'unix:///tmp/k.sock' })),
      "resources[0].providers[0].kms.name: Invalid value: \"a:b\": invalid KMS provider name a:b, must not contain ':'"],
    [cfg(kms({ name: 'k', endpoint: 'tcp://10.0.0.1:8080' })),
      'resources[0].providers[0].kms.endpoint: Invalid value: "tcp://10.0.0.1:8080": unsupported scheme "tcp" for KMS provider, only unix is supported'],
    [cfg(kms({ name: 'k' })),
      'resources[0].providers[0].kms.endpoint: Invalid value: "": endpoint is a mandatory field for a kms'],
    [cfg(kms({ name: 'k', endpoint: 'unix:///tmp/k.sock', timeout: '0s' })),
      'resources[0].providers[0].kms.timeout: Invalid value: 0s: timeout should be a positive value'],
    [cfg(kms({ name: 'k', endpoint: 'unix:///tmp/k.sock', timeout: '-1m30s' })),
      'resources[0].providers[0].kms.timeout: Invalid value: -1m30s: timeout should be a positive value'],
    [cfg(kms({ name: 'k', endpoint: 'unix:///tmp/k.sock', cachesize: 0 })),
      'resources[0].providers[0].kms.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable'],
    [cfg(kms({ apiVersion: 'v2', name: 'k', endpoint: 'unix:///tmp/k.sock', cachesize: 10 })),
      'resources[0].providers[0].kms.cachesize: Invalid value: 10: cachesize is not supported in v2'],
    // kube's message really says "apiVersion apiVersion" (kube testdata invalid-apiversion.yaml)
    [cfg(kms({ apiVersion: 'v3', name: 'k', endpoint: 'unix:///tmp/k.sock' })),
      'resources[0].providers[0].kms.apiVersion: Invalid value: "v3": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported'],
    [cfg(kms({ apiVersion: 'v2', name: 'foo', endpoint: 'unix:///a.sock' }) + kms({ apiVersion: 'v2', name: 'foo', endpoint: 'unix:///b.sock' })),
      'resources[0].providers[1].kms.name: Invalid value: "foo": duplicate KMS provider name foo, names must be unique'],
  ];
  for (const [text, want] of cases) {
    const err = errorOf(text);
    assert.equal(err.message, want);
    assert.equal(err.stage, 'validate');
  }
});

test('several validation errors aggregate as [a, b]; secrets never appear in any message', () => {
  const text = cfg(aescbc('', K8) + kms({ apiVersion: 'v2', name: 'x', endpoint: '/no/scheme.sock' }));
  const err = errorOf(text);
  assert.deepEqual(err.errors, [
    'resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key',
    'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]',
    'resources[0].providers[1].kms.endpoint: Invalid value: "/no/scheme.sock": unsupported scheme "" for KMS provider, only unix is supported',
  ]);
  assert.equal(err.message, `[${err.errors.join(', ')}]`);
  for (const bad of [text, cfg(aescbc('k', 'c2VjcmV0!')), cfg('      - secretbox:\n          keys:\n            - name: k\n              secret: 123456789\n')]) {
    const m = messageOf(bad);
    for (const secret of [K8, 'c2VjcmV0!', '123456789']) assert.ok(!m.includes(secret), m);
  }
});

test('KMS name uniqueness: duplicate v1 names only fail with reload; v1 then v2 of the same name fails', () => {
  const dupV1 = cfg(kms({ name: 'foo', endpoint: 'unix:///a.sock' }) + kms({ name: 'foo', endpoint: 'unix:///b.sock' }));
  parseEncryptionConfiguration(dupV1);
  assert.equal(messageOf(dupV1, { reload: true }),
    'resources[0].providers[1].kms.name: Invalid value: "foo": duplicate KMS provider name foo, names must be unique');
  assert.equal(messageOf(`${HEADER}resources:
  - resources: [secrets]
    providers:
      - kms: {name: foo, endpoint: "unix:///a.sock", cachesize: 1}
  - resources: [configmaps]
    providers:
      - kms: {apiVersion: v2, name: foo, endpoint: "unix:///b.sock"}
`), 'resources[1].providers[0].kms.name: Invalid value: "foo": duplicate KMS provider name foo, names must be unique');
});

test('rule masking (kube TestWildcardMasking) and rule lookup precedence', () => {
  const two = (a: string[], b: string[]) => `${HEADER}resources:
  - resources: [${a.map((x) => JSON.stringify(x)).join(', ')}]
    providers: [{identity: {}}]
  - resources: [${b.map((x) => JSON.stringify(x)).join(', ')}]
    providers: [{aescbc: {keys: [{name: k, secret: "${K32}"}]}}]
`;
  const masked: [string[], string[], string][] = [
    [['*.'], ['secrets'], 'resource "secrets" is masked by earlier rule "*."'],
    [['*.'], ['*.'], 'resource "*." is masked by earlier rule "*."'],
    [['*.foo'], ['*.foo'], 'resource "*.foo" is masked by earlier rule "*.foo"'],
    [['*.*'], ['*.*'], 'resource "*.*" is masked by earlier rule "*.*"'],
    [['*.*'], ['deployments.apps'], 'resource "deployments.apps" is masked by earlier rule "*.*"'],
    [['*.apps'], ['deployments.apps'], 'resource "deployments.apps" is masked by earlier rule "*.apps"'],
  ];
  for (const [a, b, want] of masked) {
    const err = errorOf(two(a, b));
    assert.equal(err.message, want);
    assert.equal(err.stage, 'build');
  }
  // exemptions before wildcards are fine, and a resource named twice gets both entries' providers
  const c = parseEncryptionConfiguration(`${HEADER}resources:
  - resources: [events, secrets]
    providers: [{identity: {}}]
  - resources: ["*.apps"]
    providers: [{secretbox: {keys: [{name: s, secret: "${K32}"}]}}]
  - resources: [secrets]
    providers: [{aescbc: {keys: [{name: k, secret: "${K32}"}]}}]
  - resources: ["*.*"]
    providers: [{aesgcm: {keys: [{name: g, secret: "${K32}"}]}}]
`);
  const rule = (g: string, r: string) => resourceRuleFor(c, g, r);
  assert.equal(rule('', 'events')!.rule, 'events');
  assert.deepEqual(rule('', 'secrets')!.providers.map((p) => [p.resourceIndex, p.providerIndex]), [[0, 0], [2, 0]]);
  assert.equal(rule('apps', 'deployments')!.rule, '*.apps');
  assert.equal(rule('', 'configmaps')!.rule, '*.*');
  assert.equal(rule('pandas.example', 'bears')!.rule, '*.*');
  const onlySecrets = parseEncryptionConfiguration(cfg(identity));
  assert.equal(resourceRuleFor(onlySecrets, '', 'configmaps'), undefined);
  const core = parseEncryptionConfiguration(cfg(identity, ['*.']));
  assert.equal(resourceRuleFor(core, '', 'secrets')!.rule, '*.');
  assert.equal(resourceRuleFor(core, 'apps', 'deployments'), undefined);
});

test('group/resource strings', () => {
  assert.deepEqual(parseGroupResource('secrets'), { group: '', resource: 'secrets' });
  assert.deepEqual(parseGroupResource('*.'), { group: '', resource: '*' });
  assert.deepEqual(parseGroupResource('*.*'), { group: '*', resource: '*' });
  assert.deepEqual(parseGroupResource('pandas.awesome.bears.example'), { group: 'awesome.bears.example', resource: 'pandas' });
  assert.equal(groupResourceString({ group: '', resource: '*' }), '*.');
  assert.equal(groupResourceString({ group: 'apps', resource: '*' }), '*.apps');
  assert.equal(groupResourceString({ group: '', resource: 'secrets' }), 'secrets');
});

test('loadEncryptionConfigFile: kube-style prefixes, path in messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opaque-enc-'));
  try {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    await assert.rejects(loadEncryptionConfigFile(empty), {
      message: `error while parsing file: error while loading file: encryption provider configuration file "${empty}" is empty`,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, cfg(identity + aescbc('key1', K8)));
    await assert.rejects(loadEncryptionConfigFile(bad), {
      message: 'error while parsing file: resources[0].providers[1].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]',
    });
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, cfg('      - identity: {}\n        aescbcc: {}\n'));
    await assert.rejects(loadEncryptionConfigFile(typo), {
      message: `error while parsing file: error decoding encryption provider configuration file "${typo}": strict decoding error: unknown field "resources[0].providers[0].aescbcc"`,
    });
    const masked = join(dir, 'masked.yaml');
    writeFileSync(masked, `${HEADER}resources:\n  - resources: ["*.*"]\n    providers: [{identity: {}}]\n  - resources: [secrets]\n    providers: [{identity: {}}]\n`);
    await assert.rejects(loadEncryptionConfigFile(masked), {
      message: 'error while building transformers: resource "secrets" is masked by earlier rule "*.*"',
    });
    await assert.rejects(loadEncryptionConfigFile(join(dir, 'missing.yaml')), /error reading encryption provider configuration file ".*missing\.yaml"/);
    const good = join(dir, 'good.yaml');
    writeFileSync(good, cfg(aescbc('key1', K32) + identity));
    assert.equal((await loadEncryptionConfigFile(good)).resources[0]!.providers.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redaction helper hides every secret', () => {
  const c = parseEncryptionConfiguration(cfg(aescbc('key1', K32) + identity));
  const r = redactEncryptionConfiguration(c);
  assert.equal(r.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret, 'REDACTED');
  assert.ok(!JSON.stringify(r).includes(K32));
  assert.equal(c.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret, K32);
});

test('Go base64, URL scheme and duration helpers', () => {
  assert.equal(decodeStdBase64(K32)!.length, 32);
  assert.equal(decodeStdBase64(`${K32.slice(0, 20)}\n${K32.slice(20)}`)!.length, 32); // CR/LF ignored
  assert.deepEqual([...decodeStdBase64('YWJj')!], [97, 98, 99]);
  for (const bad of ['YWJ', 'YW=j', 'YWJj=', '-_8=', 'YW Jj']) assert.equal(decodeStdBase64(bad), undefined, bad);

  assert.equal(goURLScheme('unix:///var/run/kms.sock'), 'unix');
  assert.equal(goURLScheme('UNIX:///x'), 'unix');
  assert.equal(goURLScheme('/var/run/kms.sock'), '');
  assert.throws(() => goURLScheme('://x'), { message: 'parse "://x": missing protocol scheme' });
  assert.throws(() => goURLScheme('a_b:c'), { message: 'parse "a_b:c": first path segment in URL cannot contain colon' });

  assert.equal(parseGoDuration('3s'), 3e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('-500ms'), -5e8);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('10'), { message: 'time: missing unit in duration "10"' });
  assert.throws(() => parseGoDuration('3 s'), { message: 'time: unknown unit " s" in duration "3 s"' });
  assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
  assert.equal(formatGoDuration(3e9), '3s');
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(1.5e9), '1.5s');
  assert.equal(formatGoDuration(1.5e6), '1.5ms');
  assert.equal(formatGoDuration(2e3), '2µs');
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(-1e9), '-1s');
});
