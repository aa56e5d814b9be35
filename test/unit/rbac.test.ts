// RBAC semantics as pure functions: rule matching (kube's evaluation helpers), coverage and the
// compact text of escalation errors, subject matching, validation messages, the token file format.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFieldError } from '../../src/api/field-errors.js';
import {
  defaultBinding, validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding,
} from '../../src/api/validation/rbac.js';
import { appliesTo } from '../../src/auth/rbac/resolver.js';
import { compactRules, compactString, covers, ruleAllows, type RequestAttributes } from '../../src/auth/rbac/rules.js';
import { parseTokenFile } from '../../src/auth/token-file.js';
import type { RoleBinding } from '../../src/api/rbac/types.js';

const res = (verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb, isResourceRequest: true, path: '', apiGroup: '', resource, subresource: '', name: '', ...extra,
});
const url = (verb: string, path: string): RequestAttributes => ({ verb, isResourceRequest: false, path, apiGroup: '', resource: '', subresource: '', name: '' });

describe('ruleAllows', () => {
  it('verbs: exact or *', () => {
    assert.ok(ruleAllows(res('get', 'secrets'), { verbs: ['get'], apiGroups: [''], resources: ['secrets'] }));
    assert.ok(!ruleAllows(res('list', 'secrets'), { verbs: ['get'], apiGroups: [''], resources: ['secrets'] }));
    assert.ok(ruleAllows(res('escalate', 'roles', { apiGroup: 'rbac.authorization.k8s.io' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }));
  });
  it('apiGroups: exact or *; "" is the core group only', () => {
    assert.ok(!ruleAllows(res('get', 'roles', { apiGroup: 'rbac.authorization.k8s.io' }), { verbs: ['get'], apiGroups: [''], resources: ['roles'] }));
    assert.ok(ruleAllows(res('get', 'roles', { apiGroup: 'rbac.authorization.k8s.io' }), { verbs: ['get'], apiGroups: ['*'], resources: ['roles'] }));
  });
  it('subresources: exact resource/sub, */sub; pods/* is not a wildcard and a bare resource does not cover its subresources', () => {
    const tok = res('create', 'serviceaccounts', { subresource: 'token' });
    assert.ok(ruleAllows(tok, { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'] }));
    assert.ok(ruleAllows(tok, { verbs: ['create'], apiGroups: [''], resources: ['*/token'] }));
    assert.ok(!ruleAllows(tok, { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/*'] }));
    assert.ok(!ruleAllows(tok, { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts'] }));
    assert.ok(ruleAllows(tok, { verbs: ['create'], apiGroups: [''], resources: ['*'] }));
  });
  it('resourceNames: empty allows all; a named list needs the request to carry that name', () => {
    const rule = { verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] };
    assert.ok(ruleAllows(res('get', 'secrets', { name: 'db' }), rule));
    assert.ok(!ruleAllows(res('get', 'secrets', { name: 'other' }), rule));
    assert.ok(!ruleAllows(res('list', 'secrets'), rule));
    assert.ok(!ruleAllows(res('create', 'secrets'), rule));
  });
  it('non-resource URLs: exact, *, and a trailing * as a prefix', () => {
    assert.ok(ruleAllows(url('get', '/healthz'), { verbs: ['get'], nonResourceURLs: ['/healthz'] }));
    assert.ok(ruleAllows(url('get', '/apis/x/v1'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] }));
    assert.ok(!ruleAllows(url('get', '/apis'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] }));
    assert.ok(ruleAllows(url('post', '/anything'), { verbs: ['*'], nonResourceURLs: ['*'] }));
    assert.ok(!ruleAllows(url('get', '/healthz'), { verbs: ['get'], apiGroups: ['*'], resources: ['*'] }), 'resource rules never match paths');
  });
});

describe('coverage (escalation checks)', () => {
  it('owner * covers everything; named rules cover only their names', () => {
    assert.ok(covers([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }]).ok);
    const named = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] }];
    assert.ok(covers(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] }]).ok);
    assert.ok(!covers(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).ok);
  });
  it('*/sub covers a subresource; URL prefixes cover longer URLs', () => {
    assert.ok(covers([{ verbs: ['get'], apiGroups: [''], resources: ['*/status'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['namespaces/status'] }]).ok);
    assert.ok(covers([{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/x'] }]).ok);
    assert.ok(!covers([{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/api'] }]).ok);
  });
  it('missing pieces compact per group/resource and print as kube prints them', () => {
    const { missing } = covers([], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets', 'namespaces'] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }]);
    const lines = compactRules(missing).map(compactString).sort();
    assert.deepEqual(lines, [
      '{APIGroups:[""], Resources:["namespaces"], Verbs:["get" "list"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    ]);
  });
});

describe('subjects', () => {
  const alice = { username: 'alice', groups: ['devs', 'system:authenticated'] };
  const sa = { username: 'system:serviceaccount:apps:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:apps'] };
  it('User by name, Group by membership, ServiceAccount by namespace and name', () => {
    assert.ok(appliesTo(alice, [{ kind: 'User', name: 'alice' }], ''));
    assert.ok(appliesTo(alice, [{ kind: 'Group', name: 'devs' }], ''));
    assert.ok(!appliesTo(alice, [{ kind: 'User', name: 'Alice' }], ''));
    assert.ok(appliesTo(sa, [{ kind: 'ServiceAccount', name: 'builder', namespace: 'apps' }], ''));
    assert.ok(appliesTo(sa, [{ kind: 'ServiceAccount', name: 'builder' }], 'apps'), 'namespace defaults to the binding\'s');
    assert.ok(!appliesTo(sa, [{ kind: 'ServiceAccount', name: 'builder' }], ''), 'no namespace at cluster scope matches nothing');
    assert.ok(!appliesTo(sa, [{ kind: 'ServiceAccount', name: 'builder', namespace: 'default' }], 'apps'));
  });
});

const msgs = (errs: ReturnType<typeof validateRole>) => errs.map(formatFieldError);

describe('validation', () => {
  it('rules need verbs, groups and resources; URLs only in cluster rules and never mixed', () => {
    assert.deepEqual(msgs(validateRole({ metadata: { name: 'r', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['secrets'] }] })),
      ['rules[0].verbs: Required value: verbs must contain at least one value']);
    assert.deepEqual(msgs(validateRole({ metadata: { name: 'r', namespace: 'default' }, rules: [{ verbs: ['get'] }] })), [
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
    assert.deepEqual(msgs(validateRole({ metadata: { name: 'r', namespace: 'default' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] })),
      ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs']);
    assert.deepEqual(msgs(validateClusterRole({ metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['secrets'] }] })),
      ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs']);
  });
  it('names are path segments', () => {
    assert.deepEqual(msgs(validateClusterRole({ metadata: { name: 'a/b' } })), ['metadata.name: Invalid value: "a/b": may not contain \'/\'']);
    assert.deepEqual(msgs(validateClusterRole({ metadata: { name: 'system:discovery' } })), []);
  });
  it('aggregation rules need selectors', () => {
    assert.deepEqual(msgs(validateClusterRole({ metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } })),
      ['aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil']);
  });
  it('bindings: roleRef group, kind and name; subjects by kind', () => {
    const b = (roleRef: RoleBinding['roleRef'], subjects: RoleBinding['subjects'] = []): RoleBinding => ({ metadata: { name: 'b', namespace: 'default' }, roleRef, subjects });
    assert.deepEqual(msgs(validateRoleBinding(b({ apiGroup: 'x', kind: 'Role', name: 'r' }))),
      ['roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"']);
    assert.deepEqual(msgs(validateRoleBinding(b({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Pod', name: '' }))), [
      'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
    ]);
    assert.deepEqual(msgs(validateClusterRoleBinding({ metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] })), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
    assert.deepEqual(msgs(validateRoleBinding(b({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, [
      { kind: 'User', apiGroup: '', name: 'u' }, { kind: 'Robot', name: 'x' }, { kind: 'ServiceAccount', apiGroup: 'v1', name: 'Bad_Name' },
    ]))), [
      'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'subjects[2].apiGroup: Unsupported value: "v1": supported values: ""',
    ]);
  });
  it('defaults fill the RBAC group; roleRef cannot change', () => {
    const x: RoleBinding = { metadata: { name: 'b', namespace: 'default' }, roleRef: { apiGroup: '', kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 's' }] };
    defaultBinding(x);
    assert.equal(x.roleRef.apiGroup, 'rbac.authorization.k8s.io');
    assert.equal(x.subjects![0]!.apiGroup, 'rbac.authorization.k8s.io');
    assert.equal(x.subjects![1]!.apiGroup, undefined);
    const changed = { ...x, roleRef: { ...x.roleRef, name: 'other' } };
    assert.deepEqual(msgs(validateBindingUpdate(changed, x)),
      ['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef']);
  });
});

describe('token file', () => {
  it('reads kube\'s CSV: token,user,uid and an optional quoted group list; empty tokens are skipped', () => {
    const t = parseTokenFile('t1,alice,1,"a,b"\n\nt2,bob,2\n,nobody,3\n', 'tokens.csv');
    assert.equal(t.size, 2);
    const users = [...t.values()].map((e) => e.user);
    assert.deepEqual(users, [{ username: 'alice', uid: '1', groups: ['a', 'b'] }, { username: 'bob', uid: '2', groups: [] }]);
  });
  it('rejects short rows with kube\'s message', () => {
    assert.throws(() => parseTokenFile('t1,alice\n', 'tokens.csv'), /token file 'tokens.csv' must have at least 3 columns \(token, user name, user uid\), found 2/);
  });
});
