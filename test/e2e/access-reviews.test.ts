// The access-review API over raw HTTPS (what client libraries send): SubjectAccessReview,
// LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview answers and their
// validation errors; and anonymous requests with and without --anonymous-auth.

import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, http, startOpaque, tempDir, removeDir, type Opaque } from '../helpers/opaque.js';

const AUTHZ = '/apis/authorization.k8s.io/v1';
let o: Opaque;
let dir: string;

before(async () => {
  dir = tempDir('reviews');
  const tokens = join(dir, 'tokens.csv');
  writeFileSync(tokens, 'tok-erin-0000000000,erin,7,ops\n', { mode: 0o600 });
  o = await startOpaque({ args: ['--token-auth-file', tokens] });
  const rb = await http(o, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
    metadata: { name: 'ops-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'Group', name: 'ops' }],
  });
  assert.equal(rb.status, 201, rb.text);
  assert.equal(rb.json.subjects[0].apiGroup, 'rbac.authorization.k8s.io', 'User/Group subjects default their apiGroup');
});

after(async () => {
  await cleanup(o);
  removeDir(dir);
});

const sar = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });

describe('SubjectAccessReview', () => {
  it('answers for the user and groups in the spec, with RBAC\'s reason, and stores nothing', async () => {
    const yes = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ user: 'x', groups: ['ops'], resourceAttributes: { namespace: 'default', verb: 'get', resource: 'secrets' } }));
    assert.equal(yes.status, 201, yes.text);
    assert.deepEqual(yes.json.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "ops-edit/default" of ClusterRole "edit" to Group "ops"' });
    const no = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ user: 'x', groups: ['ops'], resourceAttributes: { namespace: 'kube-system', verb: 'get', resource: 'secrets' } }));
    assert.deepEqual(no.json.status, { allowed: false });
    const masters = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ user: 'root', groups: ['system:masters'], nonResourceAttributes: { path: '/anything', verb: 'post' } }));
    assert.equal(masters.json.status.allowed, true);
  });

  it('rejects a spec without a user or groups, or with both attribute kinds, as 422', async () => {
    const none = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ resourceAttributes: { verb: 'get', resource: 'secrets' } }));
    assert.equal(none.status, 422);
    assert.equal(none.json.message, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');
    const both = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ user: 'x', resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/x', verb: 'get' } }));
    assert.equal(both.status, 422);
    assert.match(both.json.message, /spec\.nonResourceAttributes: Invalid value: .*: cannot be specified in combination with resourceAttributes/);
    const neither = await http(o, 'POST', `${AUTHZ}/subjectaccessreviews`, sar({ user: 'x' }));
    assert.match(neither.json.message, /spec\.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified/);
  });

  it('GET is not allowed on a create-only resource', async () => {
    const r = await http(o, 'GET', `${AUTHZ}/subjectaccessreviews`);
    assert.equal(r.status, 405);
    assert.equal(r.json.reason, 'MethodNotAllowed');
  });
});

describe('LocalSubjectAccessReview', () => {
  it('is namespaced: the spec namespace must match the URL', async () => {
    const ok = await http(o, 'POST', `${AUTHZ}/namespaces/default/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: 'default' },
      spec: { groups: ['ops'], resourceAttributes: { namespace: 'default', verb: 'delete', resource: 'secrets' } },
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.status.allowed, true);
    const bad = await http(o, 'POST', `${AUTHZ}/namespaces/default/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview',
      spec: { groups: ['ops'], resourceAttributes: { namespace: 'other', verb: 'get', resource: 'secrets' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'spec.resourceAttributes.namespace must match namespace: default');
  });
});

describe('self reviews for a token user', () => {
  const erin = () => ({ authorization: 'Bearer tok-erin-0000000000' });
  let bare: Agent;
  before(() => {
    bare = new Agent({ ca: readFileSync(join(o.dataDir, 'pki', 'ca.crt')) });
  });
  after(() => bare.destroy());

  it('SelfSubjectAccessReview evaluates the caller', async () => {
    const r = await http(o, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb: 'update', resource: 'secrets', name: 'x' } },
    }, erin(), bare);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status.allowed, true);
    assert.deepEqual(r.json.spec.resourceAttributes, { namespace: 'default', verb: 'update', resource: 'secrets', name: 'x' });
  });

  it('SelfSubjectRulesReview lists the caller\'s rules in the namespace; a missing namespace is 400', async () => {
    const r = await http(o, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } }, erin(), bare);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status.incomplete, false);
    assert.ok(r.json.status.resourceRules.some((x: { resources: string[]; verbs: string[] }) => x.resources.includes('secrets') && x.verbs.includes('get')));
    assert.ok(r.json.status.nonResourceRules.some((x: { nonResourceURLs: string[] }) => x.nonResourceURLs.includes('/api')));
    const none = await http(o, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} }, erin(), bare);
    assert.equal(none.status, 400);
    assert.equal(none.json.message, 'no namespace on request');
  });

  it('TokenReview recognises a static token as kube does (token file first in the bearer chain)', async () => {
    const r = await http(o, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'tok-erin-0000000000' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status.authenticated, true);
    assert.equal(r.json.status.user.username, 'erin');
    assert.deepEqual(r.json.status.user.groups, ['ops', 'system:authenticated']);
  });

  it('without credentials: 401 by default', async () => {
    const r = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, bare);
    assert.equal(r.status, 401);
    assert.equal(r.json.reason, 'Unauthorized');
  });
});

describe('--anonymous-auth=true', () => {
  it('serves requests without credentials as system:anonymous, which RBAC grants only public information', async () => {
    const a = await startOpaque({ args: ['--anonymous-auth=true'] });
    const bare = new Agent({ ca: readFileSync(join(a.dataDir, 'pki', 'ca.crt')) });
    try {
      const denied = await http(a, 'GET', '/api/v1/namespaces/default/secrets', undefined, {}, bare);
      assert.equal(denied.status, 403);
      assert.equal(denied.json.message, 'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "default"');
      const discovery = await http(a, 'GET', '/api', undefined, {}, bare);
      assert.equal(discovery.status, 403, 'system:discovery is for authenticated users only');
      const badToken = await http(a, 'GET', '/api', undefined, { authorization: 'Bearer nope' }, bare);
      assert.equal(badToken.status, 401, 'a rejected token is never downgraded to anonymous');
    } finally {
      bare.destroy();
      await cleanup(a);
    }
  });
});
