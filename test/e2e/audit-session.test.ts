// A scripted session against a real server with the built-in audit policy (kubectl and raw HTTPS:
// secrets created, read, listed, watched, updated, deleted; a 401, a 403, a 404, a namespace), then
// the audit log checked event by event: stage, verb, objectRef, user, code, annotations, sourceIPs,
// userAgent, and auditID equal to the Audit-Id response header.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, kubectl, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, secret, secretsPath } from './api-lib.js';
import { eventsOf, MICRO_TIME, readAudit, userAgent } from './audit-lib.js';

const ADMIN = { username: 'opaque-admin', groups: ['system:masters', 'system:authenticated'] };
const ALLOW = { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' };
const EVENT_KEYS = ['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'impersonatedUser', 'sourceIPs', 'userAgent', 'objectRef', 'responseStatus', 'requestObject', 'responseObject', 'requestReceivedTimestamp', 'stageTimestamp', 'annotations'];

let o: Opaque;
let events: any[] = [];
const ids: Record<string, string> = {};
let alice: Agent;
let burst: string[] = [];
let metricsText = '';

const id = (r: { headers: Record<string, unknown> }) => String(r.headers['audit-id']);

before(async () => {
  // AlwaysDeny: the admin (system:masters) still passes; anyone else gets a 403 to audit.
  o = await startOpaque({ args: ['--authorization-mode', 'AlwaysDeny'] });
  alice = await userAgent(o, 'alice', ['dev']);

  const k = async (args: string[]) => {
    const r = await kubectl(o, args);
    assert.equal(r.code, 0, r.stderr);
  };
  await k(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2']);
  await k(['get', 'secret', 'db', '-o', 'yaml']);
  await k(['get', 'secrets']);
  await k(['create', 'namespace', 'team-a']);

  const get = await http(o, 'GET', secretsPath('default', 'db'), undefined, { 'user-agent': 'audit-test/1.0', 'x-forwarded-for': '203.0.113.7, 198.51.100.2' });
  assert.equal(get.status, 200);
  ids['get'] = id(get);
  const put = await http(o, 'PUT', secretsPath('default', 'db'), { ...get.json, data: { password: b64('hunter3') } });
  assert.equal(put.status, 200, put.text);
  ids['put'] = id(put);
  ids['putRV'] = get.json.metadata.resourceVersion;
  ids['uid'] = get.json.metadata.uid;
  const watch = await http(o, 'GET', secretsPath('default', undefined, 'watch=true&timeoutSeconds=1'));
  assert.equal(watch.status, 200);
  ids['watch'] = id(watch);
  const anon = await http(o, 'GET', secretsPath('default'), undefined, { 'user-agent': 'nobody/0' }, new Agent({ rejectUnauthorized: false, keepAlive: false }));
  assert.equal(anon.status, 401);
  ids['401'] = id(anon);
  const denied = await http(o, 'GET', secretsPath('default', 'db'), undefined, {}, alice);
  assert.equal(denied.status, 403);
  ids['403'] = id(denied);
  const missing = await http(o, 'GET', secretsPath('default', 'nope'));
  assert.equal(missing.status, 404);
  ids['404'] = id(missing);
  const traced = await http(o, 'GET', secretsPath('default', 'db'), undefined, { 'audit-id': 'trace-from-proxy-1' });
  ids['traced'] = id(traced);
  for (const p of ['/readyz', '/livez', '/healthz', '/version', '/api', '/apis', '/api/v1', '/openapi/v3']) await http(o, 'GET', p);

  metricsText = (await http(o, 'GET', '/metrics')).text;
  await k(['delete', 'secret', 'db']);
  await k(['delete', 'namespace', 'team-a', '--wait=false']);

  // A burst answered just before SIGTERM: every one of its events must be on disk after the stop.
  const rs = await Promise.all(Array.from({ length: 60 }, () => http(o, 'GET', secretsPath('default', 'burst'))));
  burst = rs.map(id);
  assert.equal(await o.stop(), 0);
  events = readAudit(join(o.dataDir, 'audit.log'));
});

after(async () => {
  alice?.destroy();
  if (o) await cleanup(o);
});

test('the log is <data-dir>/audit.log, 0600, JSON lines in kube\'s field order with microsecond times', () => {
  assert.equal(statSync(join(o.dataDir, 'audit.log')).mode & 0o777, 0o600);
  assert.ok(events.length > 10);
  for (const e of events) {
    assert.equal(e.kind, 'Event');
    assert.equal(e.apiVersion, 'audit.k8s.io/v1');
    assert.equal(e.level, 'Metadata');
    const keys = Object.keys(e);
    assert.deepEqual(keys, EVENT_KEYS.filter((k) => keys.includes(k)), 'field order');
    assert.match(e.requestReceivedTimestamp, MICRO_TIME);
    assert.match(e.stageTimestamp, MICRO_TIME);
    assert.ok(e.stageTimestamp >= e.requestReceivedTimestamp);
    assert.notEqual(e.stage, 'RequestReceived', 'the built-in policy omits RequestReceived');
    assert.equal(e.requestObject, undefined, 'Metadata: no bodies');
    assert.equal(e.responseObject, undefined, 'Metadata: no bodies');
  }
});

test('kubectl create, get, list: one ResponseComplete each, with user, objectRef, code, annotations, peer and agent', () => {
  const create = events.find((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets');
  assert.equal(create.stage, 'ResponseComplete');
  assert.match(create.requestURI, /^\/api\/v1\/namespaces\/default\/secrets\?/);
  assert.deepEqual(create.user, ADMIN);
  assert.deepEqual(create.objectRef, { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' });
  assert.deepEqual(create.responseStatus, { metadata: {}, code: 201 });
  assert.deepEqual(create.annotations, ALLOW);
  assert.deepEqual(create.sourceIPs, ['127.0.0.1']);
  assert.match(create.userAgent, /^kubectl\/v1\.\d+/);

  const gets = events.filter((e) => e.verb === 'get' && e.objectRef?.name === 'db' && /^kubectl/.test(e.userAgent));
  assert.ok(gets.length >= 1);
  assert.deepEqual(gets[0].objectRef, { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' });
  assert.deepEqual(gets[0].responseStatus, { metadata: {}, code: 200 });
  const list = events.find((e) => e.verb === 'list' && e.objectRef?.resource === 'secrets');
  assert.deepEqual(list.objectRef, { resource: 'secrets', namespace: 'default', apiVersion: 'v1' });
  assert.equal(list.responseStatus.code, 200);
});

test('raw HTTPS get: auditID is the Audit-Id header; X-Forwarded-For entries then the peer; the user agent as sent', () => {
  const [e, ...more] = eventsOf(events, ids['get']!);
  assert.equal(more.length, 0);
  assert.equal(e.requestURI, '/api/v1/namespaces/default/secrets/db');
  assert.deepEqual(e.sourceIPs, ['203.0.113.7', '198.51.100.2', '127.0.0.1']);
  assert.equal(e.userAgent, 'audit-test/1.0');
});

test('update: the objectRef takes uid and resourceVersion from the request body', () => {
  const [e] = eventsOf(events, ids['put']!);
  assert.equal(e.verb, 'update');
  assert.deepEqual(e.objectRef, { resource: 'secrets', namespace: 'default', name: 'db', uid: ids['uid'], apiVersion: 'v1', resourceVersion: ids['putRV'] });
  assert.deepEqual(e.responseStatus, { metadata: {}, code: 200 });
});

test('watch: ResponseStarted when the stream opens, ResponseComplete when it ends', () => {
  const w = eventsOf(events, ids['watch']!);
  assert.deepEqual(w.map((e) => e.stage), ['ResponseStarted', 'ResponseComplete']);
  for (const e of w) {
    assert.equal(e.verb, 'watch');
    assert.deepEqual(e.responseStatus, { metadata: {}, code: 200 });
    assert.deepEqual(e.annotations, ALLOW);
  }
  assert.ok(w[1].stageTimestamp > w[0].stageTimestamp);
});

test('401: one ResponseStarted event without a user, as kube\'s WithFailedAuthenticationAudit writes it', () => {
  const [e, ...more] = eventsOf(events, ids['401']!);
  assert.equal(more.length, 0);
  assert.equal(e.stage, 'ResponseStarted');
  assert.deepEqual(e.user, {});
  assert.equal(e.verb, 'list');
  assert.equal(e.userAgent, 'nobody/0');
  assert.deepEqual(e.responseStatus, { metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  assert.equal(e.annotations, undefined);
});

test('403: the authorizer\'s decision and reason as annotations, the Forbidden Status as responseStatus', () => {
  const [e] = eventsOf(events, ids['403']!);
  assert.deepEqual(e.user, { username: 'alice', groups: ['dev', 'system:authenticated'] });
  assert.deepEqual(e.annotations, { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': 'Everything is forbidden.' });
  assert.equal(e.responseStatus.code, 403);
  assert.equal(e.responseStatus.reason, 'Forbidden');
  assert.match(e.responseStatus.message, /^secrets "db" is forbidden: User "alice" cannot get resource "secrets"/);
});

test('404: the NotFound Status (message, reason, details) as responseStatus', () => {
  const [e] = eventsOf(events, ids['404']!);
  assert.deepEqual(e.responseStatus, { metadata: {}, status: 'Failure', message: 'secrets "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'secrets' }, code: 404 });
});

test('an Audit-ID set by a front proxy is kept and echoed', () => {
  assert.equal(ids['traced'], 'trace-from-proxy-1');
  assert.equal(eventsOf(events, 'trace-from-proxy-1').length, 1);
});

test('delete: the Success Status with details; namespaces are audited too', () => {
  const del = events.find((e) => e.verb === 'delete' && e.objectRef?.resource === 'secrets');
  assert.equal(del.responseStatus.status, 'Success');
  assert.equal(del.responseStatus.code, 200);
  assert.equal(del.responseStatus.details.name, 'db');
  const ns = events.filter((e) => e.objectRef?.resource === 'namespaces' && e.objectRef.name === 'team-a');
  assert.deepEqual(ns.map((e) => e.verb), ['create', 'delete']);
  assert.deepEqual(ns[0].objectRef, { resource: 'namespaces', name: 'team-a', apiVersion: 'v1' });
});

test('probes, version, discovery and OpenAPI are not logged by the built-in policy', () => {
  assert.deepEqual(events.filter((e) => !e.objectRef).map((e) => e.requestURI), []);
});

test('a clean stop loses nothing: every request answered before SIGTERM is in the log', () => {
  const logged = new Set(events.map((e) => e.auditID));
  assert.deepEqual(burst.filter((b) => !logged.has(b)), []);
});

test('/metrics counts audit events and the level each request got, under kube\'s names', () => {
  const value = (re: RegExp) => Number(re.exec(metricsText)?.[1] ?? NaN);
  const written = value(/^apiserver_audit_event_total (\d+)$/m);
  assert.ok(written >= 12, metricsText.slice(0, 200));
  assert.ok(value(/^apiserver_audit_level_total\{level="None"\} (\d+)$/m) >= 8, 'probes and discovery');
  assert.ok(value(/^apiserver_audit_level_total\{level="Metadata"\} (\d+)$/m) >= 10);
  assert.equal(value(/^apiserver_audit_error_total\{plugin="log"\} (\d+)$/m) || 0, 0);
});
