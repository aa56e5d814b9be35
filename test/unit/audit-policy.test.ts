// Audit policy: decoding and validation messages (kube's pkg/apis/audit/validation wording, naming
// the field), and rule matching for every rule shape (kube's pkg/audit/policy/checker.go).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, PolicyError } from '../../src/audit/policy-file.js';
import { PolicyEvaluator, type PolicyAttributes } from '../../src/audit/policy.js';
import { defaultPolicy } from '../../src/audit/default-policy.js';

const head = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';
const evaluator = (rules: string) => new PolicyEvaluator(parsePolicy(head + rules).policy);
const rejects = (text: string, message: string | RegExp) =>
  assert.throws(() => parsePolicy(text), (e: Error) => e instanceof PolicyError && (typeof message === 'string' ? e.message === message : message.test(e.message)), text);

const alice = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const res = (o: Partial<PolicyAttributes>): PolicyAttributes => ({
  user: alice, verb: 'get', isResourceRequest: true, path: '/api/v1/namespaces/app/secrets/db', namespace: 'app', apiGroup: '', resource: 'secrets', subresource: '', name: 'db', ...o,
});
const nonRes = (path: string, o: Partial<PolicyAttributes> = {}): PolicyAttributes => ({
  user: alice, verb: 'get', isResourceRequest: false, path, namespace: '', apiGroup: '', resource: '', subresource: '', name: '', ...o,
});

test('validation errors name the field, in kube words', () => {
  rejects(head + 'rules:\n  - users: [a]\n', 'rules[0].level: Required value');
  rejects(head + 'rules:\n  - level: Everything\n', 'rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"');
  rejects(head + 'rules:\n  - level: None\n    nonResourceURLs: [healthz]\n', `rules[0].nonResourceURLs[0]: Invalid value: "healthz": non-resource URL rules must begin with a '/' character`);
  rejects(head + 'rules:\n  - level: None\n    nonResourceURLs: ["/a*b"]\n', `rules[0].nonResourceURLs[0]: Invalid value: "/a*b": non-resource URL wildcards '*' must be the final character of the rule`);
  rejects(head + 'rules:\n  - level: None\n    nonResourceURLs: ["/x"]\n    namespaces: [a]\n', 'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs');
  rejects(head + 'rules:\n  - level: None\n    resources: [{group: "", resourceNames: [x]}]\n', 'rules[0].resources.resourceNames: Invalid value: []string{"x"}: using resourceNames requires at least one resource');
  rejects(head + 'rules:\n  - level: None\n    resources: [{group: "*"}]\n', /^rules\[0\]\.resources\.group: Invalid value: "\*": a lowercase RFC 1123 subdomain/);
  rejects(head + 'rules:\n  - level: None\n    omitStages: [Later]\n', 'rules[0].omitStages[0]: Invalid value: "Later": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic');
  rejects(head + 'omitStages: [Sometimes]\nrules:\n  - level: None\n', 'omitStages[0]: Invalid value: "Sometimes": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic');
  rejects(head + 'rules: []\n', 'loaded illegal policy with 0 rules');
  rejects(head + 'rules:\n  - level: None\n    users: alice\n', 'failed decoding: rules[0].users: must be a list of strings');
  rejects(head + 'rules:\n  - level: None\n    omitManagedFields: "yes"\n', 'failed decoding: rules[0].omitManagedFields: must be true or false');
  rejects('apiVersion: audit.k8s.io/v2\nkind: Policy\nrules: [{level: None}]\n', 'failed decoding: apiVersion: must be "audit.k8s.io/v1", not "audit.k8s.io/v2"');
  rejects('apiVersion: audit.k8s.io/v1\nkind: Polcy\nrules: [{level: None}]\n', 'failed decoding: kind: must be "Policy", not "Polcy"');
  rejects('{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [', /^failed decoding: /);
  // Two problems: kube aggregates them.
  rejects(head + 'rules:\n  - level: None\n    nonResourceURLs: [x]\n  - {}\n', `[rules[0].nonResourceURLs[0]: Invalid value: "x": non-resource URL rules must begin with a '/' character, rules[1].level: Required value]`);
});

test('JSON policies read the same; unknown fields are warnings, not silent', () => {
  const { policy, warnings } = parsePolicy(JSON.stringify({
    apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'],
    rules: [{ level: 'Metadata', resource: [{ group: '' }] }],
  }));
  assert.equal(policy.rules[0]!.level, 'Metadata');
  assert.deepEqual(policy.omitStages, ['RequestReceived']);
  assert.deepEqual(warnings, ['unknown field "rules[0].resource" ignored']);
});

test('first matching rule wins; no match is None', () => {
  const p = evaluator('rules:\n  - level: RequestResponse\n    users: [bob]\n  - level: Request\n    verbs: [get]\n  - level: Metadata\n');
  assert.equal(p.evaluate(res({})).level, 'Request');
  assert.equal(p.evaluate(res({ user: { username: 'bob', groups: [] } })).level, 'RequestResponse');
  assert.equal(p.evaluate(res({ verb: 'list' })).level, 'Metadata');
  assert.equal(evaluator('rules:\n  - level: Metadata\n    verbs: [delete]\n').evaluate(res({})).level, 'None');
});

test('users and userGroups: exact names, any overlapping group, no user matches neither', () => {
  const users = evaluator('rules:\n  - level: Metadata\n    users: [alice, carol]\n');
  assert.equal(users.evaluate(res({})).level, 'Metadata');
  assert.equal(users.evaluate(res({ user: { username: 'alice2', groups: [] } })).level, 'None');
  assert.equal(users.evaluate(res({ user: undefined })).level, 'None');
  const groups = evaluator('rules:\n  - level: Metadata\n    userGroups: [ops, dev]\n');
  assert.equal(groups.evaluate(res({})).level, 'Metadata');
  assert.equal(groups.evaluate(res({ user: { username: 'x', groups: ['qa'] } })).level, 'None');
  assert.equal(groups.evaluate(res({ user: undefined })).level, 'None');
});

test('resources: group, plain, subresource, "*", "pods/*", "*/scale", resourceNames; namespaces', () => {
  const core = evaluator('rules:\n  - level: Metadata\n    resources: [{group: "", resources: [secrets]}]\n');
  assert.equal(core.evaluate(res({})).level, 'Metadata');
  assert.equal(core.evaluate(res({ apiGroup: 'rbac.authorization.k8s.io', resource: 'secrets' })).level, 'None', 'other group');
  assert.equal(core.evaluate(res({ subresource: 'status' })).level, 'None', 'a subresource needs the resource/sub form');
  assert.equal(core.evaluate(nonRes('/api/v1/namespaces/app/secrets')).level, 'None', 'non-resource requests never match resource rules');

  const sub = evaluator('rules:\n  - level: Metadata\n    resources: [{group: "", resources: [serviceaccounts/token]}]\n');
  assert.equal(sub.evaluate(res({ resource: 'serviceaccounts', subresource: 'token' })).level, 'Metadata');
  assert.equal(sub.evaluate(res({ resource: 'serviceaccounts' })).level, 'None');

  const star = evaluator('rules:\n  - level: Metadata\n    resources: [{group: "", resources: ["*"]}]\n');
  assert.equal(star.evaluate(res({ resource: 'namespaces', subresource: 'finalize' })).level, 'Metadata');
  const resStar = evaluator('rules:\n  - level: Metadata\n    resources: [{group: "", resources: ["namespaces/*"]}]\n');
  assert.equal(resStar.evaluate(res({ resource: 'namespaces', subresource: 'status' })).level, 'Metadata');
  assert.equal(resStar.evaluate(res({ resource: 'secrets', subresource: 'status' })).level, 'None');
  const starSub = evaluator('rules:\n  - level: Metadata\n    resources: [{group: "", resources: ["*/status"]}]\n');
  assert.equal(starSub.evaluate(res({ resource: 'namespaces', subresource: 'status' })).level, 'Metadata');
  assert.equal(starSub.evaluate(res({ resource: 'namespaces' })).level, 'None');

  const wholeGroup = evaluator('rules:\n  - level: Metadata\n    resources: [{group: rbac.authorization.k8s.io}]\n');
  assert.equal(wholeGroup.evaluate(res({ apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' })).level, 'Metadata');
  assert.equal(wholeGroup.evaluate(res({})).level, 'None');

  const names = evaluator('rules:\n  - level: Request\n    resources: [{group: "", resources: [secrets], resourceNames: [db, api]}]\n');
  assert.equal(names.evaluate(res({})).level, 'Request');
  assert.equal(names.evaluate(res({ name: 'other' })).level, 'None');
  assert.equal(names.evaluate(res({ name: '', verb: 'list' })).level, 'None', 'a list has no name');

  const ns = evaluator('rules:\n  - level: Metadata\n    namespaces: [app, ""]\n');
  assert.equal(ns.evaluate(res({})).level, 'Metadata');
  assert.equal(ns.evaluate(res({ namespace: 'other' })).level, 'None');
  assert.equal(ns.evaluate(res({ namespace: '', resource: 'namespaces', name: 'x' })).level, 'Metadata', '"" is cluster scope');
});

test('nonResourceURLs: exact, trailing-* prefix, "*"; never resource requests', () => {
  const p = evaluator('rules:\n  - level: Metadata\n    nonResourceURLs: ["/healthz*", /version]\n');
  assert.equal(p.evaluate(nonRes('/healthz')).level, 'Metadata');
  assert.equal(p.evaluate(nonRes('/healthz/ping')).level, 'Metadata');
  assert.equal(p.evaluate(nonRes('/version')).level, 'Metadata');
  assert.equal(p.evaluate(nonRes('/version/')).level, 'None');
  assert.equal(p.evaluate(nonRes('/metrics')).level, 'None');
  assert.equal(evaluator('rules:\n  - level: Metadata\n    nonResourceURLs: ["*"]\n').evaluate(res({})).level, 'None');
  assert.equal(evaluator('rules:\n  - level: Metadata\n    nonResourceURLs: ["*"]\n').evaluate(nonRes('/anything')).level, 'Metadata');
});

test('omitStages are the union of the policy and the rule; omitManagedFields: the rule overrides the policy', () => {
  const p = evaluator('omitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n  - level: Metadata\n    verbs: [watch]\n    omitStages: [ResponseStarted]\n    omitManagedFields: false\n  - level: Metadata\n');
  const watch = p.evaluate(res({ verb: 'watch' }));
  assert.deepEqual([...watch.omitStages].sort(), ['RequestReceived', 'ResponseStarted']);
  assert.equal(watch.omitManagedFields, false);
  const get = p.evaluate(res({}));
  assert.deepEqual([...get.omitStages], ['RequestReceived']);
  assert.equal(get.omitManagedFields, true);
});

test('the built-in policy: secrets and access objects at Metadata, probes and discovery skipped, RequestReceived omitted', () => {
  const p = new PolicyEvaluator(defaultPolicy());
  for (const a of [
    res({}), res({ verb: 'list', name: '' }), res({ resource: 'serviceaccounts', subresource: 'token', verb: 'create' }),
    res({ apiGroup: 'authentication.k8s.io', resource: 'tokenreviews', namespace: '', name: '', verb: 'create' }),
    res({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespace: '' }),
    res({ resource: 'namespaces', namespace: '', name: 'app', verb: 'delete' }), nonRes('/opaque/v1/encryption/rotate', { verb: 'post' }),
  ]) {
    const c = p.evaluate(a);
    assert.equal(c.level, 'Metadata', JSON.stringify(a));
    assert.ok(c.omitStages.has('RequestReceived'));
  }
  for (const path of ['/healthz', '/readyz', '/livez/ping', '/version', '/api', '/api/v1', '/apis', '/apis/rbac.authorization.k8s.io/v1', '/openapi/v3', '/openapi/v3/api/v1', '/metrics']) {
    assert.equal(p.evaluate(nonRes(path)).level, 'None', path);
  }
});

test('evaluation costs well under a few microseconds per request', () => {
  const big = evaluator('rules:\n' + Array.from({ length: 30 }, (_, i) => `  - level: None\n    users: [user${i}]\n    resources: [{group: "g${i}.example.com", resources: [things${i}]}]\n`).join('') + '  - level: Metadata\n');
  const p = new PolicyEvaluator(defaultPolicy());
  const attrs = [res({}), res({ verb: 'list', name: '' }), nonRes('/healthz'), res({ resource: 'namespaces', namespace: '' })];
  for (const ev of [p, big]) {
    for (let i = 0; i < 20_000; i++) ev.evaluate(attrs[i & 3]!);
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) ev.evaluate(attrs[i & 3]!);
    const perCallUs = Number(process.hrtime.bigint() - t0) / n / 1000;
    assert.ok(perCallUs < 3, `policy evaluation took ${perCallUs.toFixed(3)} µs per request`);
  }
});
