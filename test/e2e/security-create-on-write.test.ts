// A write that creates an object needs `create`, whatever verb let the request in (issue 11, point 1).
// The reported escalation: a user with only `patch` on Secrets in team-a server-side-applies a
// service-account-token Secret for a ServiceAccount bound to cluster-admin; the token controller fills
// it in and the user reads it back. kube-apiserver's patch and update handlers authorize `create` as
// well when the write creates the object (endpoints/handlers/patch.go, update.go: withAuthorization).

import assert from 'node:assert/strict';
import type { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { userAgent } from './audit-lib.js';

let o: Opaque;
let patcher: Agent;
let creator: Agent;
let clusterPatcher: Agent;
let roleUpdater: Agent;

const APPLY = { 'content-type': 'application/apply-patch+yaml' };
const admin = async (method: string, path: string, body?: object) => {
  const r = await http(o, method, path, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r;
};

const TOKEN_SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: deployer-tok
  annotations:
    kubernetes.io/service-account.name: deployer
type: kubernetes.io/service-account-token
`;

function grant(kind: 'Role' | 'ClusterRole', name: string, rules: object[], user: string, namespace?: string) {
  const prefix = namespace ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}` : '/apis/rbac.authorization.k8s.io/v1';
  const plural = kind === 'Role' ? 'roles' : 'clusterroles';
  const binding = kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding';
  return Promise.all([
    admin('POST', `${prefix}/${plural}`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name }, rules }),
    admin('POST', `${prefix}/${plural.replace('roles', 'rolebindings')}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: binding, metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    }),
  ]);
}

before(async () => {
  o = await startOpaque();
  await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  await admin('POST', '/api/v1/namespaces/team-a/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer' } });
  await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'deployer-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-a' }],
  });
  await admin('POST', '/api/v1/namespaces/team-a/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'existing' }, stringData: { a: '1' } });
  await grant('Role', 'patch-secrets', [{ apiGroups: [''], resources: ['secrets'], verbs: ['patch'] }], 'mallory', 'team-a');
  await grant('Role', 'create-patch-secrets', [{ apiGroups: [''], resources: ['secrets'], verbs: ['patch', 'create'] }], 'carol', 'team-a');
  await grant('ClusterRole', 'patch-everything', [
    { apiGroups: [''], resources: ['namespaces', 'serviceaccounts'], verbs: ['patch'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles', 'clusterroles'], verbs: ['patch'] },
  ], 'eve');
  await grant('Role', 'update-roles', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['update', 'get'] }], 'ursula', 'team-a');
  [patcher, creator, clusterPatcher, roleUpdater] = await Promise.all([
    userAgent(o, 'mallory'), userAgent(o, 'carol'), userAgent(o, 'eve'), userAgent(o, 'ursula'),
  ]);
});

after(async () => {
  for (const a of [patcher, creator, clusterPatcher, roleUpdater]) a?.destroy();
  await cleanup(o);
});

function forbiddenCreate(r: { status: number; json: any; text: string }, user: string, resource: string) {
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.reason, 'Forbidden');
  assert.match(r.json.message, new RegExp(`User "${user}" cannot create resource "${resource}"`));
}

describe('server-side apply that would create', () => {
  it('refuses the patch-only escalation: no token Secret is created, filled in or readable', async () => {
    const r = await http(o, 'PATCH', '/api/v1/namespaces/team-a/secrets/deployer-tok?fieldManager=p', TOKEN_SECRET, APPLY, patcher);
    forbiddenCreate(r, 'mallory', 'secrets');
    // Give the token controller time it would need to fill a created Secret in.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal((await http(o, 'GET', '/api/v1/namespaces/team-a/secrets/deployer-tok')).status, 404);
    const read = await http(o, 'PATCH', '/api/v1/namespaces/team-a/secrets/deployer-tok', '{}', { 'content-type': 'application/merge-patch+json' }, patcher);
    assert.equal(read.status, 404, read.text);
  });

  it('refuses a dry run of the same create, which would otherwise confirm it', async () => {
    const r = await http(o, 'PATCH', '/api/v1/namespaces/team-a/secrets/deployer-tok?fieldManager=p&dryRun=All', TOKEN_SECRET, APPLY, patcher);
    forbiddenCreate(r, 'mallory', 'secrets');
  });

  it('still lets `patch` apply to an object that exists', async () => {
    const body = 'apiVersion: v1\nkind: Secret\nmetadata: {name: existing}\nstringData: {b: "2"}\n';
    const r = await http(o, 'PATCH', '/api/v1/namespaces/team-a/secrets/existing?fieldManager=p', body, APPLY, patcher);
    assert.equal(r.status, 200, r.text);
    assert.equal(Buffer.from(r.json.data.b, 'base64').toString(), '2');
  });

  it('creates for a user granted create as well (201)', async () => {
    const body = 'apiVersion: v1\nkind: Secret\nmetadata: {name: by-carol}\nstringData: {k: v}\n';
    const r = await http(o, 'PATCH', '/api/v1/namespaces/team-a/secrets/by-carol?fieldManager=c', body, APPLY, creator);
    assert.equal(r.status, 201, r.text);
  });

  it('refuses patch-only creation of Namespaces, ServiceAccounts, RoleBindings and ClusterRoles', async () => {
    const cases: [string, string, string][] = [
      ['/api/v1/namespaces/evil', 'namespaces', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n'],
      ['/api/v1/namespaces/team-a/serviceaccounts/evil', 'serviceaccounts', 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: evil}\n'],
      ['/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/evil', 'rolebindings',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: evil}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: eve}]\n'],
      ['/apis/rbac.authorization.k8s.io/v1/clusterroles/evil', 'clusterroles', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: evil}\nrules: []\n'],
    ];
    for (const [path, resource, body] of cases) {
      const r = await http(o, 'PATCH', `${path}?fieldManager=e`, body, APPLY, clusterPatcher);
      forbiddenCreate(r, 'eve', resource);
      assert.equal((await http(o, 'GET', path)).status, 404, `${path} was created`);
    }
  });
});

describe('PUT that creates (Roles and bindings allow create-on-update, as in kube)', () => {
  const path = '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles/made-by-put';
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'made-by-put' }, rules: [] };

  it('refuses a user who may only update', async () => {
    const r = await http(o, 'PUT', path, role, {}, roleUpdater);
    forbiddenCreate(r, 'ursula', 'roles');
    assert.equal((await http(o, 'GET', path)).status, 404);
  });

  it('creates for a user who may create (201), then replaces (200)', async () => {
    const created = await http(o, 'PUT', path, role);
    assert.equal(created.status, 201, created.text);
    const replaced = await http(o, 'PUT', path, { ...role, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] }, {}, roleUpdater);
    // The update path keeps RBAC's escalation check: ursula holds no `get secrets`.
    assert.equal(replaced.status, 403, replaced.text);
    const again = await http(o, 'PUT', path, { ...role, metadata: { name: 'made-by-put', labels: { a: 'b' } } }, {}, roleUpdater);
    assert.equal(again.status, 200, again.text);
  });

  it('keeps PUT of a missing Secret a 404', async () => {
    const r = await http(o, 'PUT', '/api/v1/namespaces/team-a/secrets/nope', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'nope' } });
    assert.equal(r.status, 404, r.text);
  });
});
