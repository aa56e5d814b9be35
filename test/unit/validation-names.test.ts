// Name/key format checks: every message is compared with apimachinery's exact wording (1.32).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  maskTrailingDash,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  regexError,
  validatePathSegmentName,
} from '../../src/api/validation/index.js';

// Written out literally (not imported) so a wording change in the code fails these tests.
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QNAME_NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QNAME_TOO_MANY_PARTS =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

test('regexError: with and without examples, doubled space before each "or"', () => {
  assert.equal(regexError('msg', 'x+'), "msg (regex used for validation is 'x+')");
  assert.equal(regexError('msg', 'x+', 'a', 'b'), "msg (e.g. 'a',  or 'b', regex used for validation is 'x+')");
});

test('isDNS1123Subdomain: valid names, including a 253-byte single label (no per-label limit)', () => {
  for (const v of ['a', '0', 'example.com', 'a-b.c-d', 'my.secret.v1', 'a'.repeat(253)]) assert.deepEqual(isDNS1123Subdomain(v), [], v);
});

test('isDNS1123Subdomain: regex failures', () => {
  for (const v of ['', 'Abc', '-a', 'a-', 'a..b', '.a', 'a.', 'a_b', 'a b', 'é']) {
    assert.deepEqual(isDNS1123Subdomain(v), [SUBDOMAIN_MSG], v);
  }
});

test('isDNS1123Subdomain: length > 253 reported before the regex message', () => {
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  assert.deepEqual(isDNS1123Subdomain('A'.repeat(254)), ['must be no more than 253 characters', SUBDOMAIN_MSG]);
});

test('isDNS1123Label: valid, dots, regex and length', () => {
  for (const v of ['a', 'my-name', '123-abc', 'a'.repeat(63)]) assert.deepEqual(isDNS1123Label(v), [], v);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('Default'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a..b'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label(''), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1123Label(`${'a'.repeat(62)}.b`), ['must be no more than 63 characters', 'must not contain dots']);
});

test('isQualifiedName: valid forms', () => {
  for (const v of ['MyName', 'my.name', '123-abc', 'a', 'example.com/MyName', 'kubernetes.io/metadata.name', 'a'.repeat(63)]) {
    assert.deepEqual(isQualifiedName(v), [], v);
  }
});

test('isQualifiedName: name part empty, too long, bad characters', () => {
  assert.deepEqual(isQualifiedName(''), ['name part must be non-empty', QNAME_NAME_PART]);
  assert.deepEqual(isQualifiedName('example.com/'), ['name part must be non-empty', QNAME_NAME_PART]);
  assert.deepEqual(isQualifiedName('a'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.deepEqual(isQualifiedName('-a'), [QNAME_NAME_PART]);
  assert.deepEqual(isQualifiedName('a b'), [QNAME_NAME_PART]);
});

test('isQualifiedName: prefix part empty / not a subdomain / too long; too many slashes', () => {
  assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('Example.com/a'), [`prefix part ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(isQualifiedName(`${'a'.repeat(254)}/a`), ['prefix part must be no more than 253 characters']);
  assert.deepEqual(isQualifiedName('a/b/c'), [QNAME_TOO_MANY_PARTS]);
});

test('isValidLabelValue: empty allowed, charset, 63 limit', () => {
  for (const v of ['', 'a', 'MyValue', 'my_value', '12345', 'a.b-c_d', 'a'.repeat(63)]) assert.deepEqual(isValidLabelValue(v), [], v);
  assert.deepEqual(isValidLabelValue('-a'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('a/b'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 characters']);
  // Go counts bytes: 32 two-byte characters are 64 bytes.
  assert.deepEqual(isValidLabelValue('é'.repeat(32)), ['must be no more than 63 characters', LABEL_VALUE_MSG]);
});

test('isConfigMapKey: valid keys incl. single leading dot and inner double dot', () => {
  for (const v of ['key', 'KEY_NAME', 'key-name', 'key.name', '.dockercfg', '.key', 'a..b', 'tls.crt', 'a'.repeat(253)]) {
    assert.deepEqual(isConfigMapKey(v), [], v);
  }
});

test('isConfigMapKey: regex, ".", "..", leading "..", length', () => {
  assert.deepEqual(isConfigMapKey('a*b'), [CONFIG_KEY_MSG]);
  assert.deepEqual(isConfigMapKey(''), [CONFIG_KEY_MSG]);
  assert.deepEqual(isConfigMapKey('a/b'), [CONFIG_KEY_MSG]);
  assert.deepEqual(isConfigMapKey('.'), ["must not be '.'"]);
  assert.deepEqual(isConfigMapKey('..'), ["must not be '..'"]);
  assert.deepEqual(isConfigMapKey('..a'), ["must not start with '..'"]);
  assert.deepEqual(isConfigMapKey('../x'), [CONFIG_KEY_MSG, "must not start with '..'"]);
  assert.deepEqual(isConfigMapKey('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('generateName prefixes: trailing dash masked (last two characters become "a")', () => {
  assert.equal(maskTrailingDash('foo-'), 'foa');
  assert.equal(maskTrailingDash('foo'), 'foo');
  assert.equal(maskTrailingDash('-'), '-');
  assert.deepEqual(nameIsDNSSubdomain('foo-', true), []);
  assert.deepEqual(nameIsDNSSubdomain('foo-', false), [SUBDOMAIN_MSG]);
  assert.deepEqual(nameIsDNSSubdomain('Foo-', true), [SUBDOMAIN_MSG]);
  // Upstream quirk: the character before the dash is masked too, so "foo.-" passes as a prefix.
  assert.deepEqual(nameIsDNSSubdomain('foo.-', true), []);
  assert.deepEqual(nameIsDNSSubdomain('foo.-abcde', false), [SUBDOMAIN_MSG]);
  assert.deepEqual(nameIsDNSLabel('ns-', true), []);
  assert.deepEqual(nameIsDNSLabel('a.b-', true), ['must not contain dots']);
});

test('path-segment names: ".", "..", "/" and "%"', () => {
  assert.deepEqual(validatePathSegmentName('.', false), ["may not be '.'"]);
  assert.deepEqual(validatePathSegmentName('..', false), ["may not be '..'"]);
  assert.deepEqual(validatePathSegmentName('a/b%c', false), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(validatePathSegmentName('..', true), []);
  assert.deepEqual(validatePathSegmentName('a%', true), ["may not contain '%'"]);
  assert.deepEqual(validatePathSegmentName('Any_Name.1', false), []);
});
