// The Status objects a real `opaque server` answers with, field for field as kube-apiserver encodes
// them (apimachinery api/errors, handlers/responsewriters, the Secret validation of
// pkg/apis/core/validation): 404, 405, 406, 409 and 422 with causes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, startOpaque, type HttpResult, type Opaque } from '../helpers/opaque.js';
import { assertAlive, assertStatus, b64, create, createNamespace, secret, secretsPath, snapshot } from './api-lib.js';

const NS = 'status';
let o: Opaque;

before(async () => {
  o = await startOpaque();
  await createNamespace(o, NS);
});

after(async () => {
  if (o) await cleanup(o);
});

const FAILURE = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' };

function causesSet(s: any): string[] {
  return (s.details?.causes ?? []).map((c: any) => JSON.stringify({ reason: c.reason, field: c.field, message: c.message })).sort();
}

function cause(reason: string, field: string, message: string): string {
  return JSON.stringify({ reason, field, message });
}

/** A 422 for Secret `name`: kind Secret, no group, the causes (as a set) and kube's message. */
function assertInvalid(r: HttpResult, name: string, causes: Array<[reason: string, field: string, message: string]>): void {
  const s = assertStatus(r, 422, 'Invalid');
  assert.equal(s.details.kind, 'Secret');
  assert.equal(s.details.group, undefined);
  assert.equal(s.details.name, name);
  assert.deepEqual(causesSet(s), causes.map(([a, b, c]) => cause(a, b, c)).sort(), r.text);
  const parts = causes.map(([, field, message]) => `${field}: ${message}`);
  const prefix = `Secret "${name}" is invalid: `;
  assert.ok(s.message.startsWith(prefix), s.message);
  const rest = s.message.slice(prefix.length);
  if (parts.length === 1) assert.equal(rest, parts[0]);
  else {
    // kube lists several errors as [e1, e2] in its own order: compare as a set.
    assert.ok(rest.startsWith('[') && rest.endsWith(']'), s.message);
    assert.deepEqual(rest.slice(1, -1).split(', ').sort(), [...parts].sort(), s.message);
  }
}

describe('404, 405, 406', () => {
  test('a missing secret: 404 NotFound naming it, details kind is the resource', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await http(o, method, secretsPath(NS, 'nosuch'));
      assertStatus(r, 404, 'NotFound');
      assert.deepEqual(r.json, { ...FAILURE, message: 'secrets "nosuch" not found', reason: 'NotFound', details: { name: 'nosuch', kind: 'secrets' }, code: 404 });
    }
    const put = await http(o, 'PUT', secretsPath(NS, 'nosuch'), secret('nosuch'));
    assert.deepEqual(put.json, { ...FAILURE, message: 'secrets "nosuch" not found', reason: 'NotFound', details: { name: 'nosuch', kind: 'secrets' }, code: 404 });
    const patch = await http(o, 'PATCH', secretsPath(NS, 'nosuch'), { data: {} }, { 'content-type': 'application/merge-patch+json' });
    assert.deepEqual(patch.json, { ...FAILURE, message: 'secrets "nosuch" not found', reason: 'NotFound', details: { name: 'nosuch', kind: 'secrets' }, code: 404 });
    const ns = await http(o, 'GET', '/api/v1/namespaces/nosuch');
    assert.deepEqual(ns.json, { ...FAILURE, message: 'namespaces "nosuch" not found', reason: 'NotFound', details: { name: 'nosuch', kind: 'namespaces' }, code: 404 });
  });

  test('creating in a missing namespace: 404 for the namespace', async () => {
    const r = await http(o, 'POST', secretsPath('nosuch-ns'), secret('x'));
    assert.deepEqual(r.json, { ...FAILURE, message: 'namespaces "nosuch-ns" not found', reason: 'NotFound', details: { name: 'nosuch-ns', kind: 'namespaces' }, code: 404 });
  });

  test('an unknown resource path: 404 "the server could not find the requested resource"', async () => {
    for (const path of ['/api/v1/foos', '/api/v1/namespaces/default/foos', '/api/v1/namespaces/default/foos/bar', `${secretsPath(NS, 'x')}/status`]) {
      const r = await http(o, 'GET', path);
      assert.equal(r.status, 404, `${path}: ${r.text}`);
      assert.deepEqual(r.json, { ...FAILURE, message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }, path);
    }
  });

  test('POST to an item URL and PUT on a collection: 405 MethodNotAllowed', async () => {
    await create(o, NS, secret('exists'));
    const want = { ...FAILURE, message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 };
    const before = await snapshot(o);
    const wrong: string[] = [];
    for (const [method, path, body] of [
      ['POST', secretsPath(NS, 'exists'), secret('exists')],
      ['POST', secretsPath(NS, 'nosuch'), secret('nosuch')],
      ['PUT', secretsPath(NS), secret('exists')],
      ['PATCH', secretsPath(NS), { data: {} }],
    ] as const) {
      const headers: Record<string, string> = method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {};
      const r = await http(o, method, path, body, headers);
      if (r.status !== 405 || JSON.stringify(r.json) !== JSON.stringify(want)) wrong.push(`${method} ${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, [], `expected ${JSON.stringify(want)}`);
    assert.deepEqual(await snapshot(o), before);
  });

  test('Accept text/html: 406 NotAcceptable listing what can be served', async () => {
    await create(o, NS, secret('html'));
    for (const path of [secretsPath(NS, 'html'), secretsPath(NS)]) {
      const r = await http(o, 'GET', path, undefined, { accept: 'text/html' });
      const s = assertStatus(r, 406, 'NotAcceptable');
      assert.ok(s.message.startsWith('only the following media types are accepted: '), s.message);
      for (const t of ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']) assert.ok(s.message.includes(t), s.message);
    }
  });

  test('error responses carry X-Content-Type-Options: nosniff', async () => {
    const rs = await Promise.all([
      http(o, 'GET', secretsPath(NS, 'nosuch')),
      http(o, 'GET', '/api/v1/foos'),
      http(o, 'POST', secretsPath(NS, 'x'), secret('x')),
      http(o, 'GET', secretsPath(NS, 'x'), undefined, { accept: 'text/html' }),
      http(o, 'POST', secretsPath(NS), secret('Bad_Name')),
    ]);
    for (const r of rs) assert.equal(r.headers['x-content-type-options'], 'nosniff', `HTTP ${r.status} ${r.text.slice(0, 100)}`);
  });
});

describe('409', () => {
  test('creating an existing name: 409 AlreadyExists', async () => {
    await create(o, NS, secret('dup', { data: { k: b64('1') } }));
    const before = await snapshot(o);
    const r = await http(o, 'POST', secretsPath(NS), secret('dup', { data: { k: b64('2') } }));
    assert.deepEqual(r.json, { ...FAILURE, message: 'secrets "dup" already exists', reason: 'AlreadyExists', details: { name: 'dup', kind: 'secrets' }, code: 409 });
    assert.equal(r.status, 409);
    assert.deepEqual(await snapshot(o), before);
    assert.equal((await http(o, 'GET', secretsPath(NS, 'dup'))).json.data.k, b64('1'));
  });

  test('a PUT with a stale resourceVersion: 409 Conflict', async () => {
    const c = await create(o, NS, secret('stale', { data: { k: b64('1') } }));
    const upd = await http(o, 'PUT', secretsPath(NS, 'stale'), { ...c, data: { k: b64('2') } });
    assert.equal(upd.status, 200, upd.text);
    const r = await http(o, 'PUT', secretsPath(NS, 'stale'), { ...c, data: { k: b64('3') } });
    assert.equal(r.status, 409, r.text);
    assert.deepEqual(r.json, {
      ...FAILURE,
      message: 'Operation cannot be fulfilled on secrets "stale": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict', details: { name: 'stale', kind: 'secrets' }, code: 409,
    });
    assert.equal((await http(o, 'GET', secretsPath(NS, 'stale'))).json.data.k, b64('2'));
  });

  test('a PUT with another uid: 409 Conflict naming both', async () => {
    const c = await create(o, NS, secret('uid'));
    const r = await http(o, 'PUT', secretsPath(NS, 'uid'), { ...c, metadata: { ...c.metadata, uid: 'aaaaaaaa-0000-0000-0000-000000000000', resourceVersion: undefined } });
    // The UID travels as a storage precondition; its failure is a storage InvalidObj error that
    // InterpretUpdateError wraps into a Conflict, with the StorageError text (etcd3 preconditions.Check).
    assertStatus(r, 409, 'Conflict', `Operation cannot be fulfilled on secrets "uid": StorageError: invalid object, Code: 4, Key: /registry/secrets/${NS}/uid, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: aaaaaaaa-0000-0000-0000-000000000000, UID in object meta: ${c.metadata.uid}`);
    assert.deepEqual(r.json.details, { name: 'uid', kind: 'secrets' });
  });
});

describe('422 Invalid', () => {
  test('one representative rule per built-in type, with kube\'s exact messages', async () => {
    const before = await snapshot(o);
    const cases: Array<{ name: string; body: Record<string, unknown>; causes: Array<[string, string, string]> }> = [
      {
        name: 'dockercfg-bad-json',
        body: { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64('bad') } },
        causes: [['FieldValueInvalid', 'data[.dockercfg]', 'Invalid value: "<secret contents redacted>": invalid character \'b\' looking for beginning of value']],
      },
      {
        name: 'dockerconfigjson-missing',
        body: { type: 'kubernetes.io/dockerconfigjson', data: { other: b64('{}') } },
        causes: [['FieldValueRequired', 'data[.dockerconfigjson]', 'Required value']],
      },
      {
        name: 'basic-auth-empty',
        body: { type: 'kubernetes.io/basic-auth', data: { note: b64('x') } },
        causes: [['FieldValueRequired', 'data[username]', 'Required value'], ['FieldValueRequired', 'data[password]', 'Required value']],
      },
      {
        name: 'ssh-auth-empty-key',
        body: { type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': '' } },
        causes: [['FieldValueRequired', 'data[ssh-privatekey]', 'Required value']],
      },
      {
        name: 'tls-missing',
        body: { type: 'kubernetes.io/tls', data: { 'ca.crt': b64('x') } },
        causes: [['FieldValueRequired', 'data[tls.crt]', 'Required value'], ['FieldValueRequired', 'data[tls.key]', 'Required value']],
      },
      {
        name: 'sa-token-no-annotation',
        body: { type: 'kubernetes.io/service-account-token' },
        causes: [['FieldValueRequired', 'metadata.annotations[kubernetes.io/service-account.name]', 'Required value']],
      },
    ];
    for (const c of cases) {
      const r = await http(o, 'POST', secretsPath(NS), secret(c.name, c.body));
      assertInvalid(r, c.name, c.causes);
    }
    assert.deepEqual(await snapshot(o), before, 'nothing may be stored');
    // The passing counterparts are accepted: the rules are exactly these.
    for (const [name, body] of [
      ['dockercfg-ok', { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64('{}') } }],
      ['basic-auth-ok', { type: 'kubernetes.io/basic-auth', data: { password: '' } }],
      ['tls-ok', { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }],
      ['sa-token-ok', { type: 'kubernetes.io/service-account-token', metadata: { annotations: { 'kubernetes.io/service-account.name': 'default' } } }],
    ] as const) {
      const r = await http(o, 'POST', secretsPath(NS), secret(name, body as Record<string, unknown>));
      assert.equal(r.status, 201, `${name}: ${r.text}`);
    }
  });

  test('1 MiB of data is accepted, one byte more is rejected', async () => {
    const exact = await http(o, 'POST', secretsPath(NS), secret('mib', { data: { a: Buffer.alloc(1048576, 0x61).toString('base64') } }));
    assert.equal(exact.status, 201, exact.text.slice(0, 300));
    const before = await snapshot(o);
    const over = await http(o, 'POST', secretsPath(NS), secret('mib-plus', { data: { a: Buffer.alloc(1048577, 0x61).toString('base64') } }));
    assertInvalid(over, 'mib-plus', [['FieldValueTooLong', 'data', 'Too long: may not be more than 1048576 bytes']]);
    assert.equal(over.json.message, 'Secret "mib-plus" is invalid: data: Too long: may not be more than 1048576 bytes');
    // The limit is on the sum of all values, stringData included.
    const split = await http(o, 'POST', secretsPath(NS), secret('mib-split', {
      data: { a: Buffer.alloc(524288, 0x61).toString('base64') }, stringData: { b: 'b'.repeat(524289) },
    }));
    assertInvalid(split, 'mib-split', [['FieldValueTooLong', 'data', 'Too long: may not be more than 1048576 bytes']]);
    // Growing the accepted one by one byte through an update is rejected as well.
    const grow = await http(o, 'PATCH', secretsPath(NS, 'mib'), { stringData: { one: 'x' } }, { 'content-type': 'application/merge-patch+json' });
    assertInvalid(grow, 'mib', [['FieldValueTooLong', 'data', 'Too long: may not be more than 1048576 bytes']]);
    assert.deepEqual(await snapshot(o), before, 'nothing may be stored');
  });

  test('updating an immutable secret: 422 naming data or immutable', async () => {
    await create(o, NS, secret('frozen', { immutable: true, data: { a: b64('x') } }));
    const before = await snapshot(o);
    const forbidden = 'Forbidden: field is immutable when `immutable` is set';
    const data = await http(o, 'PUT', secretsPath(NS, 'frozen'), secret('frozen', { immutable: true, data: { a: b64('y') } }));
    assertInvalid(data, 'frozen', [['FieldValueForbidden', 'data', forbidden]]);
    const unset = await http(o, 'PUT', secretsPath(NS, 'frozen'), secret('frozen', { data: { a: b64('x') } }));
    assertInvalid(unset, 'frozen', [['FieldValueForbidden', 'immutable', forbidden]]);
    const patch = await http(o, 'PATCH', secretsPath(NS, 'frozen'), { data: { b: b64('new') } }, { 'content-type': 'application/merge-patch+json' });
    assertInvalid(patch, 'frozen', [['FieldValueForbidden', 'data', forbidden]]);
    assert.deepEqual(await snapshot(o), before, 'nothing may be stored');
    // Metadata may still change.
    const label = await http(o, 'PATCH', secretsPath(NS, 'frozen'), { metadata: { labels: { ok: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(label.status, 200, label.text);
  });

  test('changing the type: 422 field is immutable', async () => {
    await create(o, NS, secret('typed', { type: 'example.com/one' }));
    const before = await snapshot(o);
    const r = await http(o, 'PUT', secretsPath(NS, 'typed'), secret('typed', { type: 'example.com/two' }));
    assertInvalid(r, 'typed', [['FieldValueInvalid', 'type', 'Invalid value: "example.com/two": field is immutable']]);
    // A PUT without type is defaulted to Opaque first, and so is a type change too.
    const omitted = await http(o, 'PUT', secretsPath(NS, 'typed'), secret('typed'));
    assertInvalid(omitted, 'typed', [['FieldValueInvalid', 'type', 'Invalid value: "Opaque": field is immutable']]);
    assert.deepEqual(await snapshot(o), before, 'nothing may be stored');
  });

  test('a missing name: 422 with an empty name (details.name omitted, as omitempty encodes it)', async () => {
    const r = await http(o, 'POST', secretsPath(NS), { apiVersion: 'v1', kind: 'Secret', metadata: {} });
    const s = assertStatus(r, 422, 'Invalid', 'Secret "" is invalid: metadata.name: Required value: name or generateName is required');
    assert.equal(s.details.kind, 'Secret');
    assert.equal(s.details.name, undefined, 'StatusDetails.name is omitempty');
    assert.deepEqual(s.details.causes, [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
  });

  test('the server is alive after all of this', async () => {
    await assertAlive(o);
  });
});
