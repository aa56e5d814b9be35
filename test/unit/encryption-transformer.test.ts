// The storage Transformer built from an EncryptionConfiguration: kube's provider-list semantics
// (write with the first provider/key, read with any, stale flags), the exact stored prefixes,
// additional-data binding, the clear read errors, KMS injection and the first-start config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { EncryptionConfigError, parseEncryptionConfiguration, type EncryptionConfiguration } from '../../src/encryption/config.js';
import { aesgcmCipher } from '../../src/encryption/providers/aesgcm.js';
import type { StorageProvider } from '../../src/encryption/providers/types.js';
import {
  EncryptionError, createEncryptionTransformers, generateSecretboxConfig, kmsPrefix, newKeyName, parseStoredPrefix,
  transformerFor,
} from '../../src/encryption/transformer.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);
const latin1 = (u: Uint8Array) => Buffer.from(u).toString('latin1');
const KEY = '/registry/secrets/default/db';
const PLAIN = b('{"kind":"Secret","data":{"password":"UzNjcjN0"}}');
const HEADER = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n';

const secrets = {
  k1: randomBytes(32).toString('base64'),
  k2: randomBytes(32).toString('base64'),
  g1: randomBytes(16).toString('base64'),
  s1: randomBytes(32).toString('base64'),
};
type P = string; // a provider as a YAML flow mapping
const aescbc = (...keys: [string, string][]): P => `{aescbc: {keys: [${keys.map(([n, s]) => `{name: "${n}", secret: "${s}"}`).join(', ')}]}}`;
const aesgcm = (...keys: [string, string][]): P => `{aesgcm: {keys: [${keys.map(([n, s]) => `{name: "${n}", secret: "${s}"}`).join(', ')}]}}`;
const secretbox = (...keys: [string, string][]): P => `{secretbox: {keys: [${keys.map(([n, s]) => `{name: "${n}", secret: "${s}"}`).join(', ')}]}}`;
const identity: P = '{identity: {}}';
const config = (...providers: P[]): EncryptionConfiguration =>
  parseEncryptionConfiguration(`${HEADER}resources:\n  - resources: [secrets]\n    providers: [${providers.join(', ')}]\n`);
const forSecrets = (c: EncryptionConfiguration) => transformerFor(c, '', 'secrets');

async function readError(p: Promise<unknown>): Promise<EncryptionError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EncryptionError, `unexpected ${String(err)}`);
    return err;
  }
  assert.fail('read succeeded');
}

test('writes carry kube\'s exact prefixes and read back, for every provider', async () => {
  const cases: [P, string][] = [
    [aescbc(['key1', secrets.k1]), 'k8s:enc:aescbc:v1:key1:'],
    [aesgcm(['gcm-a', secrets.g1]), 'k8s:enc:aesgcm:v1:gcm-a:'],
    [secretbox(['key-20260722', secrets.s1]), 'k8s:enc:secretbox:v1:key-20260722:'],
  ];
  for (const [provider, prefix] of cases) {
    const t = forSecrets(config(provider, identity));
    const stored = await t.toStorage(PLAIN, KEY);
    assert.equal(latin1(stored.subarray(0, prefix.length)), prefix);
    assert.ok(!latin1(stored).includes('UzNjcjN0'));
    assert.deepEqual(await t.fromStorage(stored, KEY), { data: PLAIN, stale: false });
    assert.deepEqual(parseStoredPrefix(stored), t.writeTarget);
    assert.equal(t.writeTarget.prefix, prefix);
  }
  const id = forSecrets(config(identity));
  assert.deepEqual(await id.toStorage(PLAIN, KEY), PLAIN);
  assert.deepEqual(id.writeTarget, { provider: 'identity', prefix: '' });
});

test('stored values are readable by independent tools given only the prefix layout and the storage key', async (t) => {
  // aesgcm: Web Crypto with additional data = the full storage key string
  const key = randomBytes(32);
  const gcm = forSecrets(config(aesgcm(['g', key.toString('base64')])));
  const stored = await gcm.toStorage(PLAIN, KEY);
  const payload = stored.subarray('k8s:enc:aesgcm:v1:g:'.length);
  const k = await webcrypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  const out = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: payload.subarray(0, 12), additionalData: b(KEY) }, k, payload.subarray(12));
  assert.equal(dec.decode(out), dec.decode(PLAIN));
  // aescbc: the openssl CLI
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) return t.skip('openssl not installed');
  const cbcKey = randomBytes(32);
  const cbc = forSecrets(config(aescbc(['key1', cbcKey.toString('base64')])));
  const cbcPayload = (await cbc.toStorage(PLAIN, KEY)).subarray('k8s:enc:aescbc:v1:key1:'.length);
  const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', cbcKey.toString('hex'), '-iv', Buffer.from(cbcPayload.subarray(0, 16)).toString('hex')], {
    input: cbcPayload.subarray(16),
  });
  assert.equal(plain.toString(), dec.decode(PLAIN));
});

test('key rotation within a provider: old key reads stale, new key writes', async () => {
  const v1 = await forSecrets(config(aescbc(['key1', secrets.k1]))).toStorage(PLAIN, KEY);
  const rotated = forSecrets(config(aescbc(['key2', secrets.k2], ['key1', secrets.k1])));
  assert.deepEqual(await rotated.fromStorage(v1, KEY), { data: PLAIN, stale: true });
  const v2 = await rotated.toStorage(PLAIN, KEY);
  assert.equal(parseStoredPrefix(v2).keyName, 'key2');
  assert.deepEqual(await rotated.fromStorage(v2, KEY), { data: PLAIN, stale: false });
  // step 1 of kube's rotation: the new key second — everything still reads fresh with key1
  const staged = forSecrets(config(aescbc(['key1', secrets.k1], ['key2', secrets.k2])));
  assert.deepEqual(await staged.fromStorage(v1, KEY), { data: PLAIN, stale: false });
  assert.deepEqual(await staged.fromStorage(v2, KEY), { data: PLAIN, stale: true });
});

test('several providers: each reads its own values, stale unless the first provider\'s first key read it', async () => {
  const byCbc = await forSecrets(config(aescbc(['key1', secrets.k1]))).toStorage(PLAIN, KEY);
  const byGcm = await forSecrets(config(aesgcm(['g1', secrets.g1]))).toStorage(PLAIN, KEY);
  const bySb = await forSecrets(config(secretbox(['s1', secrets.s1]))).toStorage(PLAIN, KEY);
  const t = forSecrets(config(secretbox(['s1', secrets.s1]), aesgcm(['g1', secrets.g1]), aescbc(['key2', secrets.k2], ['key1', secrets.k1]), identity));
  assert.deepEqual(await t.fromStorage(bySb, KEY), { data: PLAIN, stale: false });
  assert.deepEqual(await t.fromStorage(byGcm, KEY), { data: PLAIN, stale: true });
  assert.deepEqual(await t.fromStorage(byCbc, KEY), { data: PLAIN, stale: true });
  assert.deepEqual(await t.fromStorage(PLAIN, KEY), { data: PLAIN, stale: true });
  assert.equal(parseStoredPrefix(await t.toStorage(PLAIN, KEY)).provider, 'secretbox');
});

test('two blocks of the same provider share a prefix: a failure in the first does not stop the second', async () => {
  const old = await forSecrets(config(aesgcm(['key1', secrets.g1]))).toStorage(PLAIN, KEY);
  // same key name, new secret first (a rotation that reused the name), old block after it
  const newSecret = randomBytes(32).toString('base64');
  const t = forSecrets(config(aesgcm(['key1', newSecret]), aesgcm(['key1', secrets.g1])));
  assert.deepEqual(await t.fromStorage(old, KEY), { data: PLAIN, stale: true });
  // different names in two blocks
  const t2 = forSecrets(config(aesgcm(['key2', newSecret]), aesgcm(['key1', secrets.g1])));
  assert.deepEqual(await t2.fromStorage(old, KEY), { data: PLAIN, stale: true });
});

test('identity first (decrypting everything): reads encrypted values written by a later provider', async () => {
  const encrypted = await forSecrets(config(secretbox(['s1', secrets.s1]), identity)).toStorage(PLAIN, KEY);
  const t = forSecrets(config(identity, secretbox(['s1', secrets.s1])));
  assert.deepEqual(await t.fromStorage(encrypted, KEY), { data: PLAIN, stale: true });
  assert.deepEqual(await t.fromStorage(PLAIN, KEY), { data: PLAIN, stale: false });
  assert.deepEqual(await t.toStorage(PLAIN, KEY), PLAIN);
  // protobuf-encoded objects start with k8s\0, which is not the k8s:enc: prefix
  const proto = new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0c]);
  assert.deepEqual(await t.fromStorage(proto, KEY), { data: proto, stale: false });
});

test('aesgcm binds the storage key: a value copied under another key does not decrypt', async () => {
  const t = forSecrets(config(aesgcm(['g1', secrets.g1])));
  const stored = await t.toStorage(PLAIN, KEY);
  assert.deepEqual(await t.fromStorage(stored, KEY), { data: PLAIN, stale: false });
  const err = await readError(t.fromStorage(stored, '/registry/secrets/attacker/db'));
  assert.equal(err.reason, 'decrypt-failed');
  assert.equal(err.message,
    'cannot read /registry/secrets/attacker/db: it was encrypted with aesgcm key "g1", and the configured key "g1" could not decrypt it'
    + ' (a different secret than the one it was written with, or a value copied from another storage key): cipher: message authentication failed');
  // secretbox and aescbc, like kube's, do not bind the key
  for (const p of [secretbox(['s1', secrets.s1]), aescbc(['key1', secrets.k1])]) {
    const tt = forSecrets(config(p));
    const v = await tt.toStorage(PLAIN, KEY);
    assert.deepEqual((await tt.fromStorage(v, '/registry/secrets/other/x')).data, PLAIN);
  }
});

test('unreadable values: a clear error naming the provider and key the value was written with', async () => {
  const SECRET_TEXT = 'UzNjcjN0';
  const byK1 = await forSecrets(config(aescbc(['key1', secrets.k1]))).toStorage(PLAIN, KEY);

  // the key is gone from the configuration
  let err = await readError(forSecrets(config(aescbc(['key2', secrets.k2]), identity)).fromStorage(byK1, KEY));
  assert.equal(err.reason, 'key-not-configured');
  assert.equal(err.message,
    'cannot read /registry/secrets/default/db: it was encrypted with aescbc key "key1", which is not among the configured aescbc keys ("key2")'
    + ' for resource rule "secrets": no matching key was found for the provided AES transformer');
  assert.deepEqual(err.stored, { provider: 'aescbc', keyName: 'key1', prefix: 'k8s:enc:aescbc:v1:key1:' });
  assert.equal(err.detail, 'no matching key was found for the provided AES transformer');
  assert.equal(err.storageKey, KEY);

  // the key name is there but its secret is not the one the value was written with
  const gcmStored = await forSecrets(config(aesgcm(['key1', secrets.g1]))).toStorage(PLAIN, KEY);
  err = await readError(forSecrets(config(aesgcm(['key1', randomBytes(32).toString('base64')]))).fromStorage(gcmStored, KEY));
  assert.equal(err.reason, 'decrypt-failed');
  assert.match(err.message, /^cannot read \/registry\/secrets\/default\/db: it was encrypted with aesgcm key "key1", and the configured key "key1" could not decrypt it/);

  // the provider is not configured for this resource at all
  err = await readError(forSecrets(config(secretbox(['s1', secrets.s1]))).fromStorage(byK1, KEY));
  assert.equal(err.reason, 'provider-not-configured');
  assert.equal(err.message,
    'cannot read /registry/secrets/default/db: it was encrypted with aescbc key "key1", but no aescbc provider is configured for resource rule "secrets": no matching prefix found');

  // plaintext, but identity was removed
  err = await readError(forSecrets(config(secretbox(['s1', secrets.s1]))).fromStorage(PLAIN, KEY));
  assert.equal(err.reason, 'plaintext-not-readable');
  assert.equal(err.message,
    'cannot read /registry/secrets/default/db: the stored value is not encrypted, and "identity: {}" is not among the providers for resource rule "secrets": no matching prefix found');

  // a prefix nobody knows
  err = await readError(forSecrets(config(identity)).fromStorage(b('k8s:enc:rot13:v9:k:payload'), KEY));
  assert.equal(err.reason, 'unknown-prefix');
  assert.equal(err.message, 'cannot read /registry/secrets/default/db: it was written by an unrecognised provider (prefix "k8s:enc:rot13:v9:"): no matching prefix found');

  // identity-only configuration facing an encrypted value
  err = await readError(forSecrets(config(identity)).fromStorage(byK1, KEY));
  assert.equal(err.reason, 'provider-not-configured');

  // wrong aescbc secret under the same name: padding error (or, rarely, garbage with valid padding —
  // CBC has no authentication, exactly as in kube); never the plaintext or a key in the message
  const wrongCbc = forSecrets(config(aescbc(['key1', secrets.k2])));
  for (let i = 0; i < 20; i++) {
    const v = await forSecrets(config(aescbc(['key1', secrets.k1]))).toStorage(PLAIN, KEY);
    try {
      await wrongCbc.fromStorage(v, KEY);
    } catch (e) {
      assert.ok(e instanceof EncryptionError);
      assert.equal(e.reason, 'decrypt-failed');
      assert.match(e.message, /aescbc key "key1"/);
      for (const s of [SECRET_TEXT, secrets.k1, secrets.k2]) assert.ok(!e.message.includes(s));
    }
  }
});

test('no rule for the resource: plaintext through an encrypt-checking identity', async () => {
  const all = createEncryptionTransformers(config(aescbc(['key1', secrets.k1])));
  const cm = all.transformerFor('', 'configmaps');
  assert.equal(cm.rule, null);
  assert.deepEqual(await cm.toStorage(PLAIN, '/registry/configmaps/default/x'), PLAIN);
  assert.deepEqual(await cm.fromStorage(PLAIN, '/registry/configmaps/default/x'), { data: PLAIN, stale: false });
  const encrypted = await all.transformerFor('', 'secrets').toStorage(PLAIN, KEY);
  const err = await readError(cm.fromStorage(encrypted, '/registry/configmaps/default/x'));
  assert.equal(err.message,
    'cannot read /registry/configmaps/default/x: it was encrypted with aescbc key "key1", but no aescbc provider is configured for this resource'
    + ' (no rule in the encryption configuration covers it): identity transformer tried to read encrypted data');
  assert.equal(all.transformerFor('', 'secrets'), all.transformerForResource('secrets'), 'transformers are cached per rule');
});

test('wildcards and a resource in several entries (providers concatenated in order)', async () => {
  const c = parseEncryptionConfiguration(`${HEADER}resources:
  - resources: [secrets]
    providers: [${aescbc(['key1', secrets.k1])}]
  - resources: [secrets]
    providers: [${identity}]
  - resources: ["*."]
    providers: [${secretbox(['s1', secrets.s1])}]
`);
  const all = createEncryptionTransformers(c);
  const s = all.transformerFor('', 'secrets');
  assert.equal(s.rule, 'secrets');
  assert.deepEqual(s.providers.map((p) => p.kind), ['aescbc', 'identity']);
  assert.deepEqual(await s.fromStorage(PLAIN, KEY), { data: PLAIN, stale: true });
  assert.equal(all.transformerFor('', 'configmaps').writeTarget.provider, 'secretbox');
  assert.equal(all.transformerFor('apps', 'deployments').rule, null);
});

test('kms providers: a clear error without a runtime; an injected factory is used with kube\'s prefix', async () => {
  const kmsCfg = parseEncryptionConfiguration(`${HEADER}resources:
  - resources: [secrets]
    providers:
      - kms: {apiVersion: v2, name: fake, endpoint: "unix:///tmp/fake.sock"}
      - ${identity}
`);
  assert.throws(() => createEncryptionTransformers(kmsCfg), (err: unknown) => {
    assert.ok(err instanceof EncryptionConfigError);
    assert.equal(err.message,
      'resources[0].providers[0].kms: kms provider "fake" (apiVersion v2) needs a KMS plugin runtime, which is not available; use aescbc, aesgcm or secretbox');
    return true;
  });
  const dek = aesgcmCipher(randomBytes(32));
  const calls: string[] = [];
  const all = createEncryptionTransformers(kmsCfg, {
    kmsFactory: (kms, ctx): StorageProvider => {
      calls.push(`${ctx.field} ${kms.name} ${kms.timeout}`);
      return {
        kind: 'kms', prefix: b(kmsPrefix(kms)), keyNames: [kms.name],
        toStorage: async (data, aad) => dek.seal(data, aad),
        fromStorage: async (data, aad) => ({ data: await dek.open(data, aad), stale: false }),
      };
    },
  });
  assert.deepEqual(calls, ['resources[0].providers[0].kms fake 3s']);
  const t = all.transformerFor('', 'secrets');
  const stored = await t.toStorage(PLAIN, KEY);
  assert.equal(latin1(stored.subarray(0, 20)), 'k8s:enc:kms:v2:fake:');
  assert.deepEqual(t.writeTarget, { provider: 'kms', version: 'v2', keyName: 'fake', prefix: 'k8s:enc:kms:v2:fake:' });
  assert.deepEqual(await t.fromStorage(stored, KEY), { data: PLAIN, stale: false });
  const err = await readError(t.fromStorage(stored, '/registry/secrets/x/y'));
  assert.equal(err.reason, 'decrypt-failed');
  assert.match(err.message, /it was encrypted with kms v2 provider "fake", and the configured provider could not decrypt it/);
  assert.throws(() => createEncryptionTransformers(kmsCfg, {
    kmsFactory: () => ({ kind: 'kms', prefix: b('k8s:enc:kms:v2:other:'), keyNames: [], toStorage: async (d) => d, fromStorage: async (d) => ({ data: d, stale: false }) }),
  }), { message: 'resources[0].providers[0].kms: the KMS provider factory must return a kms provider with prefix "k8s:enc:kms:v2:fake:"' });
});

test('hand-built configurations are validated before use', () => {
  const bad: EncryptionConfiguration = {
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'k', secret: Buffer.alloc(8).toString('base64') }] } }] }],
  };
  assert.throws(() => createEncryptionTransformers(bad), {
    message: 'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [32]',
  });
});

test('generateSecretboxConfig: one fresh 32-byte secretbox key, identity fallback, parses and works', async () => {
  const now = new Date('2026-07-22T23:59:00Z');
  const yaml = generateSecretboxConfig({ now });
  const c = parseEncryptionConfiguration(yaml);
  assert.equal(c.resources.length, 1);
  assert.deepEqual(c.resources[0]!.resources, ['secrets']);
  const [sb, id] = c.resources[0]!.providers;
  assert.equal(sb!.secretbox!.keys.length, 1);
  assert.equal(sb!.secretbox!.keys[0]!.name, 'key-20260722');
  assert.equal(Buffer.from(sb!.secretbox!.keys[0]!.secret, 'base64').length, 32);
  assert.deepEqual(id, { identity: {} });
  assert.match(yaml, /^# /);
  const t = forSecrets(c);
  const stored = await t.toStorage(PLAIN, KEY);
  assert.equal(latin1(stored.subarray(0, 34)), 'k8s:enc:secretbox:v1:key-20260722:');
  assert.deepEqual(await t.fromStorage(stored, KEY), { data: PLAIN, stale: false });
  assert.deepEqual(await t.fromStorage(PLAIN, KEY), { data: PLAIN, stale: true }); // pre-encryption data is rewritten

  const other = parseEncryptionConfiguration(generateSecretboxConfig({ now }));
  assert.notEqual(other.resources[0]!.providers[0]!.secretbox!.keys[0]!.secret, sb!.secretbox!.keys[0]!.secret);
  const strictOnly = parseEncryptionConfiguration(generateSecretboxConfig({ keyName: 'key1', identityFallback: false, resources: ['secrets', 'configmaps'] }));
  assert.equal(strictOnly.resources[0]!.providers.length, 1);
  assert.deepEqual(strictOnly.resources[0]!.resources, ['secrets', 'configmaps']);
  assert.equal(strictOnly.resources[0]!.providers[0]!.secretbox!.keys[0]!.name, 'key1');
  assert.throws(() => generateSecretboxConfig({ keyName: 'bad name: yes' }), { message: 'invalid key name "bad name: yes"' });

  assert.equal(newKeyName([], now), 'key-20260722');
  assert.equal(newKeyName(['key-20260722', 'key-20260722-2'], now), 'key-20260722-3');
});

test('parseStoredPrefix: provider and key name of stored values', () => {
  assert.deepEqual(parseStoredPrefix(b('k8s:enc:aescbc:v1:key1:\x00\x01')), { provider: 'aescbc', keyName: 'key1', prefix: 'k8s:enc:aescbc:v1:key1:' });
  assert.deepEqual(parseStoredPrefix('k8s:enc:aesgcm:v1:g:xyz'), { provider: 'aesgcm', keyName: 'g', prefix: 'k8s:enc:aesgcm:v1:g:' });
  assert.deepEqual(parseStoredPrefix('k8s:enc:secretbox:v1:key-20260722:...'), {
    provider: 'secretbox', keyName: 'key-20260722', prefix: 'k8s:enc:secretbox:v1:key-20260722:',
  });
  assert.deepEqual(parseStoredPrefix('k8s:enc:kms:v2:vault:\x0a\x01'), { provider: 'kms', version: 'v2', keyName: 'vault', prefix: 'k8s:enc:kms:v2:vault:' });
  assert.deepEqual(parseStoredPrefix('k8s:enc:kms:v1:old:\x00\x20'), { provider: 'kms', version: 'v1', keyName: 'old', prefix: 'k8s:enc:kms:v1:old:' });
  assert.deepEqual(parseStoredPrefix(new Uint8Array([0x6b, 0x38, 0x73, 0x00, 1])), { provider: 'identity', prefix: '' });
  assert.deepEqual(parseStoredPrefix('{"kind":"Secret"}'), { provider: 'identity', prefix: '' });
  assert.deepEqual(parseStoredPrefix('k8s:enc:foo:v1:k:'), { provider: 'unknown', prefix: 'k8s:enc:foo:v1:' });
  // a key name containing ':' needs the configured names to be read exactly
  assert.equal(parseStoredPrefix('k8s:enc:aescbc:v1:a:b:payload').keyName, 'a');
  assert.equal(parseStoredPrefix('k8s:enc:aescbc:v1:a:b:payload', { keyNames: ['a', 'a:b'] }).keyName, 'a:b');
  assert.deepEqual(parseStoredPrefix('k8s:enc:aescbc:v1:nocolon'), { provider: 'aescbc', prefix: 'k8s:enc:aescbc:v1:' });
});
