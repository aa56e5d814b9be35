// Secret rules (spec §2.3/§2.4): stringData folding, defaulting, data keys and size, per-type
// requirements, dockercfg JSON errors worded as Go's json.Unmarshal, update rules and TLS warnings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { type FieldError, formatFieldError } from '../../src/api/field-errors.js';
import type { Secret } from '../../src/api/types.js';
import {
  defaultSecret, mergeStringData, secretTlsWarnings, validateObjectMetaCreate, validateSecret, validateSecretUpdate,
} from '../../src/api/validation/index.js';

const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const fmt = (errs: FieldError[]) => errs.map(formatFieldError);
const meta = { name: 's1', namespace: 'default' };
const secret = (type: string, data?: Record<string, string>, extra: Partial<Secret> = {}): Secret => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { ...meta }, type, ...(data ? { data } : {}), ...extra,
});
const check = (s: Secret) => fmt(validateSecret(s));
/** As the registry runs it on create: normalize, then metadata + secret rules. */
const createErrors = (s: Secret) => {
  defaultSecret(mergeStringData(s));
  return fmt([...validateObjectMetaCreate(s.metadata, { namespaced: true, nameFn: 'subdomain' }), ...validateSecret(s)]);
};

test('mergeStringData: copies entries into data as base64 UTF-8, overwriting, and drops stringData', () => {
  const s = mergeStringData(secret('Opaque', { a: b64('old'), b: b64('keep') }, { stringData: { a: 'new', c: 'héllo' } }));
  assert.deepEqual(s.data, { a: b64('new'), b: b64('keep'), c: 'aMOpbGxv' });
  assert.equal('stringData' in s, false);
});

test('mergeStringData: creates data when absent; empty stringData leaves data absent', () => {
  assert.deepEqual(mergeStringData(secret('Opaque', undefined, { stringData: { k: 'v' } })).data, { k: b64('v') });
  const s = mergeStringData(secret('Opaque', undefined, { stringData: {} }));
  assert.equal(s.data, undefined);
  assert.equal('stringData' in s, false);
});

test('defaultSecret: empty or missing type becomes Opaque; others untouched', () => {
  assert.equal(defaultSecret(secret('')).type, 'Opaque');
  assert.equal(defaultSecret({ metadata: meta } as Secret).type, 'Opaque');
  assert.equal(defaultSecret(secret('example.com/foo')).type, 'example.com/foo');
});

test('data keys: must be config keys; error on data[<key>] with the key as value', () => {
  assert.deepEqual(check(secret('Opaque', { 'a*b': b64('x') })), [`data[a*b]: Invalid value: "a*b": ${CONFIG_KEY_MSG}`]);
  assert.deepEqual(check(secret('Opaque', { '.': '' })), [`data[.]: Invalid value: ".": must not be '.'`]);
  assert.deepEqual(check(secret('Opaque', { '..': '' })), [`data[..]: Invalid value: "..": must not be '..'`]);
  assert.deepEqual(check(secret('Opaque', { '..x': '' })), [`data[..x]: Invalid value: "..x": must not start with '..'`]);
  const long = 'k'.repeat(254);
  assert.deepEqual(check(secret('Opaque', { [long]: '' })), [`data[${long}]: Invalid value: "${long}": must be no more than 253 characters`]);
  assert.deepEqual(check(secret('Opaque', { '.dockercfg': '', '.key': '', 'a..b': '', KEY_NAME: '', 'key-name': '' })), []);
});

test('data keys: stringData keys are validated as data keys after the merge', () => {
  assert.deepEqual(createErrors(secret('Opaque', undefined, { stringData: { 'bad key': 'v' } })), [
    `data[bad key]: Invalid value: "bad key": ${CONFIG_KEY_MSG}`,
  ]);
});

test('size: decoded bytes of all values, keys excluded; exactly 1 MiB accepted', () => {
  assert.deepEqual(check(secret('Opaque', { a: b64(Buffer.alloc(1048576)) })), []);
  assert.deepEqual(check(secret('Opaque', { a: b64(Buffer.alloc(1048577)) })), ['data: Too long: may not be more than 1048576 bytes']);
  assert.deepEqual(check(secret('Opaque', { a: b64(Buffer.alloc(524288)), b: b64(Buffer.alloc(524289)) })), [
    'data: Too long: may not be more than 1048576 bytes',
  ]);
  // 900000 bytes is 1200000 base64 characters: the encoded length does not count.
  assert.deepEqual(check(secret('Opaque', { ['k'.repeat(200)]: b64(Buffer.alloc(900000)) })), []);
});

test('size: stringData counts after being merged', () => {
  assert.deepEqual(createErrors(secret('Opaque', { a: b64(Buffer.alloc(1048576)) }, { stringData: { b: 'x' } })), [
    'data: Too long: may not be more than 1048576 bytes',
  ]);
});

test('service-account-token: the service-account.name annotation is required and non-empty', () => {
  const sa = 'kubernetes.io/service-account-token';
  const msg = 'metadata.annotations[kubernetes.io/service-account.name]: Required value';
  assert.deepEqual(check(secret(sa)), [msg]);
  assert.deepEqual(check({ ...secret(sa), metadata: { ...meta, annotations: { 'kubernetes.io/service-account.name': '' } } }), [msg]);
  assert.deepEqual(check({ ...secret(sa), metadata: { ...meta, annotations: { 'kubernetes.io/service-account.name': 'default' } } }), []);
});

test('Opaque, bootstrap tokens and custom types have no type-specific rules', () => {
  assert.deepEqual(check(secret('Opaque')), []);
  assert.deepEqual(check(secret('bootstrap.kubernetes.io/token', { 'token-id': b64('BAD!'), 'token-secret': b64('x') })), []);
  assert.deepEqual(check(secret('example.com/custom', { anything: b64('x') })), []);
});

for (const [type, key] of [['kubernetes.io/dockercfg', '.dockercfg'], ['kubernetes.io/dockerconfigjson', '.dockerconfigjson']] as const) {
  test(`${type}: ${key} is required`, () => {
    assert.deepEqual(check(secret(type)), [`data[${key}]: Required value`]);
    const other = key === '.dockercfg' ? '.dockerconfigjson' : '.dockercfg';
    assert.deepEqual(check(secret(type, { [other]: b64('{}') })), [`data[${key}]: Required value`]);
  });

  test(`${type}: ${key} must decode into a JSON object; errors read as Go's json.Unmarshal`, () => {
    const bad = (v: string) => check(secret(type, { [key]: b64(v) }));
    const prefix = `data[${key}]: Invalid value: "<secret contents redacted>": `;
    assert.deepEqual(bad(''), [`${prefix}unexpected end of JSON input`]);
    assert.deepEqual(bad('bad'), [`${prefix}invalid character 'b' looking for beginning of value`]);
    assert.deepEqual(bad('[]'), [`${prefix}json: cannot unmarshal array into Go value of type map[string]interface {}`]);
    assert.deepEqual(bad('"s"'), [`${prefix}json: cannot unmarshal string into Go value of type map[string]interface {}`]);
    assert.deepEqual(bad('42'), [`${prefix}json: cannot unmarshal number into Go value of type map[string]interface {}`]);
    assert.deepEqual(bad('true'), [`${prefix}json: cannot unmarshal bool into Go value of type map[string]interface {}`]);
    assert.deepEqual(bad('{"auths":'), [`${prefix}unexpected end of JSON input`]);
    assert.deepEqual(bad('{"a":1,}'), [`${prefix}invalid character '}' looking for beginning of object key string`]);
    assert.deepEqual(bad('{} {}'), [`${prefix}invalid character '{' after top-level value`]);
    assert.deepEqual(bad("{'a':1}"), [`${prefix}invalid character '\\'' looking for beginning of object key string`]);
    assert.deepEqual(bad('{"a" 1}'), [`${prefix}invalid character '1' after object key`]);
    assert.deepEqual(bad('{"a":tru}'), [`${prefix}invalid character '}' in literal true (expecting 'e')`]);
  });

  test(`${type}: null, {} and any object are accepted (no "auths" requirement)`, () => {
    for (const v of ['null', '{}', ' {"auths":{"r":{"auth":"eA=="}}} \n', '{"x":[1,2.5e3,-0.1,null,false,"\\u00e9"]}']) {
      assert.deepEqual(check(secret(type, { [key]: b64(v) })), [], v);
    }
  });
}

test('basic-auth: at least one of username/password present; values may be empty', () => {
  assert.deepEqual(check(secret('kubernetes.io/basic-auth')), ['data[username]: Required value', 'data[password]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/basic-auth', { username: b64('u') })), []);
  assert.deepEqual(check(secret('kubernetes.io/basic-auth', { password: '' })), []);
});

test('ssh-auth: ssh-privatekey present and non-empty', () => {
  assert.deepEqual(check(secret('kubernetes.io/ssh-auth')), ['data[ssh-privatekey]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/ssh-auth', { 'ssh-privatekey': '' })), ['data[ssh-privatekey]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/ssh-auth', { 'ssh-privatekey': b64('k') })), []);
});

test('tls: tls.crt and tls.key present (values may be empty, PEM not checked)', () => {
  assert.deepEqual(check(secret('kubernetes.io/tls')), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/tls', { 'tls.crt': '' })), ['data[tls.key]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/tls', { 'tls.key': '' })), ['data[tls.crt]: Required value']);
  assert.deepEqual(check(secret('kubernetes.io/tls', { 'tls.crt': b64('junk'), 'tls.key': '' })), []);
});

// ---- update ----

test('update: type is immutable', () => {
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque'), secret('kubernetes.io/tls'))), ['type: Invalid value: "Opaque": field is immutable']);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque'), secret('Opaque'))), []);
});

test('update: an immutable Secret must stay immutable', () => {
  const old = secret('Opaque', { a: b64('1') }, { immutable: true });
  const msg = 'immutable: Forbidden: field is immutable when `immutable` is set';
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', { a: b64('1') }, { immutable: false }), old)), [msg]);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', { a: b64('1') }), old)), [msg]);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', { a: b64('1') }, { immutable: true }), old)), []);
});

test('update: data of an immutable Secret may not change', () => {
  const old = secret('Opaque', { a: b64('1') }, { immutable: true });
  const msg = 'data: Forbidden: field is immutable when `immutable` is set';
  const upd = (d: Record<string, string> | undefined) => fmt(validateSecretUpdate(secret('Opaque', d, { immutable: true }), old));
  assert.deepEqual(upd({ a: b64('2') }), [msg]);
  assert.deepEqual(upd({ a: b64('1'), b: '' }), [msg]);
  assert.deepEqual(upd(undefined), [msg]);
  assert.deepEqual(upd({ a: b64('1') }), []);
});

test('update: re-sending identical values through stringData is allowed on an immutable Secret', () => {
  const old = secret('Opaque', { a: b64('1') }, { immutable: true });
  const n = mergeStringData(secret('Opaque', undefined, { immutable: true, stringData: { a: '1' } }));
  assert.deepEqual(fmt(validateSecretUpdate(n, old)), []);
});

test('update: nil vs empty data on an immutable Secret follows Go DeepEqual', () => {
  const old = secret('Opaque', undefined, { immutable: true });
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', undefined, { immutable: true }), old)), []);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', undefined, { immutable: true }), secret('Opaque', {}, { immutable: true }))), []);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', {}, { immutable: true }), old)), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
});

test('update: setting immutable on a mutable Secret, or false -> unset, is allowed; metadata may change', () => {
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque', { a: '' }, { immutable: true }), secret('Opaque', { b: '' }))), []);
  assert.deepEqual(fmt(validateSecretUpdate(secret('Opaque'), secret('Opaque', undefined, { immutable: false }))), []);
  const old = secret('Opaque', { a: '' }, { immutable: true });
  const n = { ...secret('Opaque', { a: '' }, { immutable: true }), metadata: { ...meta, labels: { x: 'y' } } };
  assert.deepEqual(fmt(validateSecretUpdate(n, old)), []);
});

// ---- TLS warnings ----

const EC_CERT = '-----BEGIN CERTIFICATE-----\nMIIBcjCCARegAwIBAgIUC5Q/DbgVjTtlhoxfEVgrf/eknPAwCgYIKoZIzj0EAwIw\nDTELMAkGA1UEAwwCZWMwIBcNMjYxMTIyMDIxMDA4WhgPMjEyNjEwMjkwMjEwMDha\nMA0xCzAJBgNVBAMMAmVjMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkFflTDtg\naMSrijda1pB2ne2DI/TIFGzqAarGwRMEetEvWyYW8QHU1FpVXF+i2hcIM8Fvobx9\nsRhpR3NYgXP0AqNTMFEwHQYDVR0OBBYEFJomyjJMgJfGh1xyenIqN5iSGXZ5MB8G\nA1UdIwQYMBaAFJomyjJMgJfGh1xyenIqN5iSGXZ5MA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSQAwRgIhANa7vdex4foCpaeApvZhbKWj24LmCVLdoNUQmprZ\nMhODAiEAnwdKiP5GZbIvq7stOeWSjo83GrfNhlv/V1aFZzr2Th0=\n-----END CERTIFICATE-----\n';
const EC_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnJ4X/Xo9eoiHXxcT\nvo8+glcdWnGyi+F5IdtMa1thNgChRANCAASQV+VMO2BoxKuKN1rWkHad7YMj9MgU\nbOoBqsbBEwR60S9bJhbxAdTUWlVcX6LaFwgzwW+hvH2xGGlHc1iBc/QC\n-----END PRIVATE KEY-----\n';
const EC_KEY_SEC1 = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIJyeF/16PXqIh18XE76PPoJXHVpxsovheSHbTGtbYTYAoAoGCCqGSM49\nAwEHoUQDQgAEkFflTDtgaMSrijda1pB2ne2DI/TIFGzqAarGwRMEetEvWyYW8QHU\n1FpVXF+i2hcIM8Fvobx9sRhpR3NYgXP0Ag==\n-----END EC PRIVATE KEY-----\n';
const OTHER_EC_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya68QYmc+oNNyFwX\nfIRS/ZJy2+0okggEM4hybcHDjVihRANCAATaJ7ImXCJ6RjKlwSZhC2HMgOwP4+5h\nAQ6MXU3yS/fMK9OLo2Q9VD2GKtycu1+WBMG2mSbL0hcz9pja7ly5RY45\n-----END PRIVATE KEY-----\n';
const ED25519_KEY = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEk+5Tm5dmcZc8Afb3bDSXm4FfDXLngbKs+0C+x7klbj\n-----END PRIVATE KEY-----\n';

const tlsWarn = (crt: string, key: string, type = 'kubernetes.io/tls') =>
  secretTlsWarnings(secret(type, { 'tls.crt': b64(crt), 'tls.key': b64(key) }));

test('tls warnings: matching pairs (PKCS#8 and SEC1 keys) give none; other types are not checked', () => {
  assert.deepEqual(tlsWarn(EC_CERT, EC_KEY), []);
  assert.deepEqual(tlsWarn(`${EC_CERT}${EC_CERT}`, `junk\n${EC_KEY_SEC1}`), []);
  assert.deepEqual(tlsWarn('junk', 'junk', 'Opaque'), []);
});

test('tls warnings: missing PEM data in certificate or key', () => {
  assert.deepEqual(secretTlsWarnings(secret('kubernetes.io/tls', { 'tls.crt': '', 'tls.key': '' })), ['tls: failed to find any PEM data in certificate input']);
  assert.deepEqual(tlsWarn('not pem', EC_KEY), ['tls: failed to find any PEM data in certificate input']);
  assert.deepEqual(tlsWarn(EC_CERT, 'not pem'), ['tls: failed to find any PEM data in key input']);
});

test('tls warnings: switched or unexpected PEM block types', () => {
  assert.deepEqual(tlsWarn(EC_KEY, EC_CERT), [
    'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched',
  ]);
  assert.deepEqual(tlsWarn(EC_CERT, EC_CERT), ['tls: found a certificate rather than a key in the PEM for the private key']);
  const pub = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
  assert.deepEqual(tlsWarn(`${pub}${EC_KEY}`, EC_KEY), [
    'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [PUBLIC KEY PRIVATE KEY]',
  ]);
  assert.deepEqual(tlsWarn(EC_CERT, `${pub}${EC_CERT}`), [
    'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [PUBLIC KEY CERTIFICATE]',
  ]);
});

test('tls warnings: key does not match certificate', () => {
  assert.deepEqual(tlsWarn(EC_CERT, OTHER_EC_KEY), ['tls: private key does not match public key']);
  assert.deepEqual(tlsWarn(EC_CERT, ED25519_KEY), ['tls: private key type does not match public key type']);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  assert.ok(rsa.startsWith('-----BEGIN RSA PRIVATE KEY-----'));
  assert.deepEqual(tlsWarn(EC_CERT, rsa), ['tls: private key type does not match public key type']);
});

test('tls warnings: unparseable certificate or key bodies', () => {
  const junkBlock = (type: string) => `-----BEGIN ${type}-----\nAAAA\n-----END ${type}-----\n`;
  assert.deepEqual(tlsWarn(junkBlock('CERTIFICATE'), EC_KEY), ['x509: malformed certificate']);
  assert.deepEqual(tlsWarn(EC_CERT, junkBlock('PRIVATE KEY')), ['tls: failed to parse private key']);
});
