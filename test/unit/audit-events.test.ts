// Event construction details: source IPs as kube's utilnet.SourceIPs orders them, user-agent
// truncation, MicroTime, the legacy text format, and impersonation (user = who authenticated,
// impersonatedUser = who they acted as; the policy sees the authenticated user).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Auditor } from '../../src/audit/auditor.js';
import { microTime, sourceIPs, userAgent } from '../../src/audit/event.js';
import { legacyLine } from '../../src/audit/format.js';
import { parsePolicy } from '../../src/audit/policy-file.js';
import { PolicyEvaluator } from '../../src/audit/policy.js';
import { resolveRequestInfo } from '../../src/server/request-info.js';


type User = { username: string; groups: string[] };

/** An auditor writing to an array, and the parts of a fastify request and reply it reads. */
function harness(policyRules: string, method: string, path: string, code: number, headers: Record<string, string>, user: User) {
  const lines: string[] = [];
  const policy = new PolicyEvaluator(parsePolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\n${policyRules}`).policy);
  const auditor = new Auditor(policy, { write: (l) => lines.push(l) });
  const raw = Object.assign(new EventEmitter(), { headersSent: true, statusCode: code });
  const req = {
    id: 'req-1', url: path, kinfo: resolveRequestInfo(method, path, new URLSearchParams()),
    raw: { url: path, headers, socket: { remoteAddress: '127.0.0.1' } },
    user, authenticatedUser: undefined as User | undefined,
  };
  const begin = () => auditor.begin(req as never, { raw } as never, 0);
  return { lines, raw, req, begin };
}

const msg = (headers: Record<string, string>, remoteAddress = '127.0.0.1') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

test('sourceIPs: X-Forwarded-For entries, X-Real-Ip unless listed, the peer unless it is last; invalid entries skipped', () => {
  assert.deepEqual(sourceIPs(msg({})), ['127.0.0.1']);
  assert.deepEqual(sourceIPs(msg({ 'x-forwarded-for': '10.0.0.1, junk, 10.0.0.2' })), ['10.0.0.1', '10.0.0.2', '127.0.0.1']);
  assert.deepEqual(sourceIPs(msg({ 'x-forwarded-for': '10.0.0.1', 'x-real-ip': '10.0.0.1' })), ['10.0.0.1', '127.0.0.1']);
  assert.deepEqual(sourceIPs(msg({ 'x-real-ip': '10.0.0.3' })), ['10.0.0.3', '127.0.0.1']);
  assert.deepEqual(sourceIPs(msg({ 'x-forwarded-for': '127.0.0.1' })), ['127.0.0.1']);
  assert.deepEqual(sourceIPs(msg({}, '::ffff:192.0.2.1')), ['192.0.2.1']);
  assert.deepEqual(sourceIPs(msg({ 'x-forwarded-for': '2001:DB8::1' }, '::1')), ['2001:db8::1', '::1']);
});

test('userAgent is cut at 1024 characters with kube\'s suffix', () => {
  assert.equal(userAgent(msg({ 'user-agent': 'kubectl/v1.32' })), 'kubectl/v1.32');
  assert.equal(userAgent(msg({ 'user-agent': 'x'.repeat(1500) })), `${'x'.repeat(1024)}...TRUNCATED`);
});

test('MicroTime: RFC 3339, UTC, six fractional digits', () => {
  assert.equal(microTime(Date.parse('2026-11-30T13:40:00.123Z') * 1000 + 456), '2026-11-30T13:40:00.123456Z');
  assert.equal(microTime(Date.parse('2026-11-30T13:40:00Z') * 1000), '2026-11-30T13:40:00.000000Z');
});

test('legacy format: kube\'s one-line text', () => {
  const line = legacyLine({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'id-1', stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/app/secrets/db', verb: 'get', user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1', '127.0.0.1'], userAgent: 'kubectl/v1.32', objectRef: { resource: 'secrets', namespace: 'app', name: 'db' },
    responseStatus: { metadata: {}, code: 200 }, requestReceivedTimestamp: '2026-11-30T13:40:00.120000Z', stageTimestamp: '2026-11-30T13:40:00.130000Z',
  });
  assert.equal(line, '2026-11-30T13:40:00.12Z AUDIT: id="id-1" stage="ResponseComplete" ip="10.0.0.1" method="get" user="alice" groups="\\"dev\\",\\"system:authenticated\\"" as="<self>" asgroups="<lookup>" user-agent="kubectl/v1.32" namespace="app" uri="/api/v1/namespaces/app/secrets/db" response="200"\n');
});

test('impersonation: user is who authenticated, impersonatedUser who they acted as; the policy sees the authenticated user', () => {
  const { lines, raw, req, begin } = harness('rules:\n  - level: Metadata\n    users: [alice]\n', 'GET', '/api/v1/namespaces/app/secrets/db', 200,
    { 'user-agent': 'kubectl/v1.32' }, { username: 'alice', groups: ['dev', 'system:authenticated'] });
  const ra = begin();
  assert.ok(ra, 'the policy matched alice, who authenticated');
  // The impersonation stage runs after audit began (kube: WithAudit wraps WithImpersonation).
  req.authenticatedUser = req.user;
  req.user = { username: 'bob', groups: ['ops', 'system:authenticated'] };
  ra!.authorized({ decision: 'allow', reason: 'RBAC: allowed' });
  raw.emit('close');
  const [received, done] = lines.map((l) => JSON.parse(l));
  assert.equal(received.stage, 'RequestReceived');
  assert.deepEqual(received.user, { username: 'alice', groups: ['dev', 'system:authenticated'] });
  assert.equal(done.stage, 'ResponseComplete');
  assert.deepEqual(done.user, { username: 'alice', groups: ['dev', 'system:authenticated'] });
  assert.deepEqual(done.impersonatedUser, { username: 'bob', groups: ['ops', 'system:authenticated'] });
  assert.deepEqual(done.annotations, { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed' });
  assert.deepEqual(done.responseStatus, { metadata: {}, code: 200 });
});

test('an unexpected error is a Panic event in place of ResponseComplete, as for a panicking kube handler', () => {
  const { lines, raw, begin } = harness('omitStages: [RequestReceived]\nrules:\n  - level: Metadata\n', 'POST', '/api/v1/namespaces/app/secrets', 500, {}, { username: 'alice', groups: [] });
  const ra = begin()!;
  ra.panic(new Error('boom'));
  raw.emit('close');
  assert.equal(lines.length, 1);
  const e = JSON.parse(lines[0]!);
  assert.equal(e.stage, 'Panic');
  assert.deepEqual(e.responseStatus, { metadata: {}, status: 'Failure', message: "APIServer panic'd: boom", reason: 'InternalError', code: 500 });
  assert.equal(e.userAgent, undefined, 'no user agent sent: the field is left out');
});
