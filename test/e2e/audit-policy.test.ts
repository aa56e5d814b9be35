// --audit-policy-file against a real server: each rule shape decides the level and stages of real
// requests, Request and RequestResponse levels carry the bodies (managed fields left out when asked),
// and a bad policy file stops the start with a message naming the field.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, http, removeDir, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { b64, secret, secretsPath } from './api-lib.js';
import { eventsOf, readAudit, userAgent } from './audit-lib.js';
import { encodeProtobufObject } from '../../src/api/proto/index.js';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [Panic]
rules:
  - level: RequestResponse
    resources: [{group: "", resources: [secrets], resourceNames: [rr]}]
    omitManagedFields: true
  - level: Request
    userGroups: [dev]
    verbs: [create, patch]
  - level: None
    namespaces: [quiet]
  - level: Metadata
    users: [alice]
    omitStages: [RequestReceived]
  - level: Metadata
    nonResourceURLs: [/version, "/opaque/*"]
  - level: Metadata
    resources: [{group: "", resources: ["namespaces/status"]}]
  - level: Metadata
    verbs: [watch]
    omitStages: [RequestReceived, ResponseStarted]
  - level: Metadata
    namespaces: [default]
    resources: [{group: ""}]
`;

let o: Opaque;
let dir: string;
let alice: Agent;
const ids: Record<string, string> = {};
let events: any[] = [];
let created: any;
const id = (r: { headers: Record<string, unknown> }) => String(r.headers['audit-id']);
const stages = (key: string) => eventsOf(events, ids[key]!).map((e) => e.stage);

before(async () => {
  dir = tempDir('audit-policy');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  o = await startOpaque({ args: ['--authorization-mode', 'AlwaysAllow', '--audit-policy-file', policy, '--audit-log-path', join(dir, 'logs', 'audit.log')] });
  alice = await userAgent(o, 'alice', ['dev']);
  const r = async (key: string, method: string, path: string, body?: object, agent?: Agent, headers: Record<string, string> = {}) => {
    const res = await http(o, method, path, body, headers, agent);
    assert.ok(res.status < 300, `${key}: ${res.status} ${res.text}`);
    ids[key] = id(res);
    return res;
  };
  created = (await r('rr-create', 'POST', secretsPath('default'), secret('rr', { data: { token: b64('rr-value') } }))).json;
  await r('rr-put', 'PUT', secretsPath('default', 'rr'), { ...created, data: { token: b64('rr-value-2') } });
  await r('rr-get', 'GET', secretsPath('default', 'rr'));
  await r('alice-create', 'POST', secretsPath('default'), secret('alice-1', { stringData: { k: 'alice-value' } }), alice);
  const pb = Buffer.from(encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alice-pb' }, data: { k: b64('pb-value') } } as never));
  await r('alice-protobuf', 'POST', secretsPath('default'), pb, alice, { 'content-type': 'application/vnd.kubernetes.protobuf' });
  await r('alice-patch', 'PATCH', secretsPath('default', 'alice-1'), { metadata: { labels: { a: 'b' } } }, alice, { 'content-type': 'application/merge-patch+json' });
  await r('alice-get', 'GET', secretsPath('default', 'alice-1'), undefined, alice);
  await r('ns-quiet', 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } });
  await r('quiet-create', 'POST', secretsPath('quiet'), secret('hidden', { data: { k: b64('x') } }));
  await r('version', 'GET', '/version');
  await r('healthz', 'GET', '/healthz');
  await r('watch', 'GET', secretsPath('default', undefined, 'watch=true&timeoutSeconds=1'));
  await r('other-get', 'GET', secretsPath('default', 'alice-1'));
  await r('ns-status', 'GET', '/api/v1/namespaces/default/status');
  await r('ns-get', 'GET', '/api/v1/namespaces/default');
  assert.equal(await o.stop(), 0);
  events = readAudit(join(dir, 'logs', 'audit.log'));
});

after(async () => {
  alice?.destroy();
  if (o) await cleanup(o);
  removeDir(dir);
});

describe('rule shapes', () => {
  test('resourceNames + RequestResponse: both bodies, managed fields omitted', () => {
    // A create names no object in its path, so a resourceNames rule cannot match it (kube alike):
    // it falls to the catch-all for the default namespace.
    assert.deepEqual(eventsOf(events, ids['rr-create']!).map((e) => e.level), ['Metadata', 'Metadata']);
    const [received, done] = eventsOf(events, ids['rr-put']!);
    assert.equal(received.stage, 'RequestReceived');
    assert.equal(received.level, 'RequestResponse');
    assert.equal(received.requestObject, undefined, 'the body is not decoded yet at RequestReceived');
    assert.equal(done.stage, 'ResponseComplete');
    assert.deepEqual(done.requestObject.data, { token: b64('rr-value-2') });
    assert.equal(done.requestObject.metadata.managedFields, undefined);
    assert.equal(done.responseObject.metadata.uid, created.metadata.uid);
    assert.deepEqual(done.responseObject.data, { token: b64('rr-value-2') });
    assert.ok(created.metadata.managedFields, 'the response itself has managedFields');
    assert.equal(done.responseObject.metadata.managedFields, undefined);
    assert.deepEqual(done.objectRef, { resource: 'secrets', namespace: 'default', name: 'rr', uid: created.metadata.uid, apiVersion: 'v1', resourceVersion: created.metadata.resourceVersion });
    const get = eventsOf(events, ids['rr-get']!);
    assert.deepEqual(get.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
    assert.equal(get[1].requestObject, undefined);
    assert.equal(get[1].responseObject.metadata.name, 'rr');
  });

  test('userGroups + verbs at Request: the request body, no response body', () => {
    assert.deepEqual(stages('alice-create'), ['RequestReceived', 'ResponseComplete']);
    const done = eventsOf(events, ids['alice-create']!)[1];
    assert.equal(done.level, 'Request');
    // At Request level kube logs the decoded object (stringData folded into data, defaults set): the
    // Secret's value is in the log because the operator chose that level.
    assert.deepEqual(done.requestObject, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alice-1' }, data: { k: b64('alice-value') }, type: 'Opaque' });
    assert.equal(done.responseObject, undefined);
    assert.deepEqual(done.objectRef, { resource: 'secrets', namespace: 'default', name: 'alice-1', apiVersion: 'v1' }, 'the name comes from the body');
    const pb = eventsOf(events, ids['alice-protobuf']!)[1];
    assert.deepEqual(pb.requestObject, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alice-pb' }, data: { k: b64('pb-value') }, type: 'Opaque' }, 'a protobuf body is logged as JSON');
    const patch = eventsOf(events, ids['alice-patch']!)[1];
    assert.deepEqual(patch.requestObject, { metadata: { labels: { a: 'b' } } }, 'a patch is logged as sent');
  });

  test('users + rule omitStages: alice\'s read is Metadata without RequestReceived', () => {
    assert.deepEqual(stages('alice-get'), ['ResponseComplete']);
    assert.equal(eventsOf(events, ids['alice-get']!)[0].level, 'Metadata');
  });

  test('namespaces at None: nothing about the quiet namespace', () => {
    assert.deepEqual(stages('quiet-create'), []);
    assert.deepEqual(events.filter((e) => e.objectRef?.namespace === 'quiet'), []);
  });

  test('nonResourceURLs: /version logged with the caller; /healthz matched by no rule', () => {
    const v = eventsOf(events, ids['version']!);
    assert.deepEqual(v.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
    assert.equal(v[1].user.username, 'opaque-admin');
    assert.equal(v[1].objectRef, undefined);
    assert.equal(v[1].verb, 'get');
    assert.deepEqual(stages('healthz'), []);
  });

  test('verbs + omitStages on watch: only ResponseComplete', () => {
    assert.deepEqual(stages('watch'), ['ResponseComplete']);
  });

  test('subresource form namespaces/status; the catch-all for the default namespace', () => {
    const st = eventsOf(events, ids['ns-status']!);
    assert.deepEqual(st.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
    assert.deepEqual(st[1].objectRef, { resource: 'namespaces', namespace: 'default', name: 'default', apiVersion: 'v1', subresource: 'status' });
    assert.deepEqual(stages('other-get'), ['RequestReceived', 'ResponseComplete']);
    assert.equal(eventsOf(events, ids['other-get']!)[1].level, 'Metadata');
    assert.deepEqual(stages('ns-get'), ['RequestReceived', 'ResponseComplete'], 'namespace "default" in the path');
  });
});

describe('bad policy files stop the start, naming the field', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad level', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n', /loading audit policy file: rules\[0\]\.level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", "RequestResponse": from file \S+policy\.yaml/],
    ['resources and nonResourceURLs', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n  - level: Metadata\n    resources: [{group: ""}]\n    nonResourceURLs: [/x]\n', /rules\[1\]\.nonResourceURLs: Invalid value: \[\]string\{"\/x"\}: rules cannot apply to both regular resources and non-resource URLs/],
    ['a stage that does not exist', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Done]\nrules: [{level: None}]\n', /omitStages\[0\]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic/],
    ['wrong type', '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","verbs":"get"}]}', /failed decoding: rules\[0\]\.verbs: must be a list of strings/],
    ['no rules', 'apiVersion: audit.k8s.io/v1\nkind: Policy\n', /loaded illegal policy with 0 rules/],
  ];
  for (const [what, text, message] of cases) {
    test(what, async () => {
      const d = tempDir('audit-bad');
      try {
        writeFileSync(join(d, 'policy.yaml'), text);
        await assert.rejects(startOpaque({ args: ['--audit-policy-file', join(d, 'policy.yaml')] }), (e: Error) => {
          assert.match(e.message, /server exited with 1/);
          assert.match(e.message, message);
          return true;
        });
      } finally {
        removeDir(d);
      }
    });
  }

  test('a missing file', async () => {
    await assert.rejects(startOpaque({ args: ['--audit-policy-file', '/nonexistent/policy.yaml'] }), /loading audit policy file: failed to read file path "\/nonexistent\/policy.yaml"/);
  });
});
