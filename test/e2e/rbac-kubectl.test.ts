// RBAC through the real kubectl under several identities: a client-certificate user (issued by
// `opaque kubeconfig`), static-token users (--token-auth-file), a ServiceAccount token from
// `kubectl create token`, a bootstrap token, and impersonated users and ServiceAccounts. Each row grants one rule shape and checks kubectl's outcome against what
// Kubernetes gives, down to the 403 text; then can-i, escalation prevention and impersonation.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfigYaml } from '../../src/pki/kubeconfig.js';
import { cleanup, kubectl, ROOT, run, startOpaque, tempDir, removeDir, type Opaque, type RunResult } from '../helpers/opaque.js';

let o: Opaque;
let dir: string;
const kc: Record<string, string> = {};

const TOKENS = 'alice-token-0123456789,alice,1001,"devs,qa"\nbob-token-0123456789,bob,1002\n';

async function asUser(who: string, args: string[]): Promise<RunResult> {
  return kubectl(o, args, { env: who === 'admin' ? {} : { KUBECONFIG: kc[who]! } });
}

async function admin(args: string[], input?: string): Promise<void> {
  const r = await kubectl(o, args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
}

const apply = (yaml: string) => admin(['apply', '-f', '-'], yaml);

function tokenKubeconfig(user: string, token: string): string {
  const file = join(dir, `${user}.kubeconfig`);
  writeFileSync(file, kubeconfigYaml({ server: o.url, caPem: readFileSync(join(o.dataDir, 'pki', 'ca.crt'), 'utf8'), user, token }), { mode: 0o600 });
  return file;
}

before(async () => {
  dir = tempDir('rbac');
  const tokens = join(dir, 'tokens.csv');
  writeFileSync(tokens, TOKENS, { mode: 0o600 });
  o = await startOpaque({ args: ['--token-auth-file', tokens] });
  kc['alice'] = tokenKubeconfig('alice', 'alice-token-0123456789');
  kc['bob'] = tokenKubeconfig('bob', 'bob-token-0123456789');
  kc['wrong'] = tokenKubeconfig('mallory', 'not-a-token');
  const issued = await run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'kubeconfig', '--data-dir', o.dataDir, '--user', 'carol', '--group', 'team-a', '-o', join(dir, 'carol.kubeconfig')]);
  assert.equal(issued.code, 0, issued.stderr);
  kc['carol'] = join(dir, 'carol.kubeconfig');
  await admin(['create', 'namespace', 'apps']);
  await admin(['create', 'secret', 'generic', 'db', '--from-literal=password=s3cr3t']);
  await admin(['create', 'secret', 'generic', 'other', '--from-literal=x=y']);
  await admin(['create', 'secret', 'generic', 'db', '-n', 'apps', '--from-literal=password=apps']);
  // A ServiceAccount token from `kubectl create token`, and a bootstrap token.
  await admin(['create', 'serviceaccount', 'builder', '-n', 'apps']);
  const token = await kubectl(o, ['create', 'token', 'builder', '-n', 'apps', '--duration=1h']);
  assert.equal(token.code, 0, token.stderr);
  kc['sa-builder'] = tokenKubeconfig('builder', token.stdout.trim());
  await apply(`apiVersion: v1
kind: Secret
metadata: {name: bootstrap-token-abcdef, namespace: kube-system}
type: bootstrap.kubernetes.io/token
stringData:
  token-id: abcdef
  token-secret: 0123456789abcdef
  usage-bootstrap-authentication: "true"
  auth-extra-groups: system:bootstrappers:edge
`);
  kc['bootstrap'] = tokenKubeconfig('bootstrap', 'abcdef.0123456789abcdef');
});

after(async () => {
  await cleanup(o);
  removeDir(dir);
});

describe('identities', () => {
  it('a client certificate from `opaque kubeconfig` authenticates as its CN and O groups, and starts with no rights', async () => {
    const r = await asUser('carol', ['get', 'secrets']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(Forbidden\): secrets is forbidden: User "carol" cannot list resource "secrets" in API group "" in the namespace "default"/);
    const mode = (await import('node:fs')).statSync(kc['carol']!).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  it('a static token authenticates; an unknown token is 401 even though it is a well-formed bearer token', async () => {
    const ok = await asUser('alice', ['auth', 'can-i', 'create', 'selfsubjectaccessreviews.authorization.k8s.io']);
    assert.equal(ok.stdout.trim(), 'yes');
    const bad = await asUser('wrong', ['get', 'secrets']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /You must be logged in to the server \(Unauthorized\)/);
  });
});

interface Row {
  name: string;
  grant: string;
  as: string;
  args: string[];
  /** undefined: allowed; otherwise the expected kubectl error text. */
  denied?: RegExp;
}

const role = (name: string, ns: string, rules: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: ${ns}}
rules: ${rules}
`;
const clusterRole = (name: string, rules: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ${name}}
rules: ${rules}
`;
const binding = (name: string, ns: string, ref: string, subjects: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ${ns ? 'RoleBinding' : 'ClusterRoleBinding'}
metadata: {name: ${name}${ns ? `, namespace: ${ns}` : ''}}
roleRef: {apiGroup: rbac.authorization.k8s.io, ${ref}}
subjects: ${subjects}
`;
const user = (n: string) => `[{kind: User, apiGroup: rbac.authorization.k8s.io, name: "${n}"}]`;
const group = (n: string) => `[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "${n}"}]`;
const forbiddenList = (u: string, res: string, ns: string, grp = '') => new RegExp(`${res.split('.')[0]}(\\.${grp.replace(/\./g, '\\.')})? is forbidden: User "${u}" cannot list resource "${res.split('.')[0]}" in API group "${grp}" in the namespace "${ns}"`);

const ROWS: Row[] = [
  // verbs
  { name: 'verb get granted: get allowed', grant: role('r-get', 'default', '[{apiGroups: [""], resources: [secrets], verbs: [get]}]') + '---\n' + binding('b-get', 'default', 'kind: Role, name: r-get', user('u-get')), as: 'u-get', args: ['get', 'secret', 'db'] },
  { name: 'verb get granted: delete denied', grant: '', as: 'u-get', args: ['delete', 'secret', 'db'], denied: /secrets "db" is forbidden: User "u-get" cannot delete resource "secrets" in API group "" in the namespace "default"/ },
  { name: 'verb get granted: list denied', grant: '', as: 'u-get', args: ['get', 'secrets'], denied: forbiddenList('u-get', 'secrets', 'default') },
  { name: 'verb "*" allows every verb', grant: role('r-star', 'default', '[{apiGroups: [""], resources: [secrets], verbs: ["*"]}]') + '---\n' + binding('b-star', 'default', 'kind: Role, name: r-star', user('u-star')), as: 'u-star', args: ['get', 'secrets'] },
  // resourceNames
  { name: 'resourceNames: the named object is readable', grant: role('r-named', 'default', '[{apiGroups: [""], resources: [secrets], resourceNames: [db], verbs: [get, list, watch, create]}]') + '---\n' + binding('b-named', 'default', 'kind: Role, name: r-named', user('u-named')), as: 'u-named', args: ['get', 'secret', 'db'] },
  { name: 'resourceNames: another name is denied', grant: '', as: 'u-named', args: ['get', 'secret', 'other'], denied: /secrets "other" is forbidden: User "u-named" cannot get resource "secrets"/ },
  { name: 'resourceNames cannot narrow list', grant: '', as: 'u-named', args: ['get', 'secrets'], denied: forbiddenList('u-named', 'secrets', 'default') },
  { name: 'resourceNames allow a list selecting that one name', grant: '', as: 'u-named', args: ['get', 'secrets', '--field-selector', 'metadata.name=db'] },
  { name: 'resourceNames cannot narrow create', grant: '', as: 'u-named', args: ['create', 'secret', 'generic', 'db2', '--from-literal=a=b'], denied: /secrets is forbidden: User "u-named" cannot create resource "secrets" in API group "" in the namespace "default"/ },
  // resources and subresources
  { name: 'a rule for namespaces does not reach secrets', grant: clusterRole('cr-ns', '[{apiGroups: [""], resources: [namespaces], verbs: [get, list]}]') + '---\n' + binding('cb-ns', '', 'kind: ClusterRole, name: cr-ns', user('u-ns')), as: 'u-ns', args: ['get', 'secrets', '-n', 'apps'], denied: forbiddenList('u-ns', 'secrets', 'apps') },
  { name: 'namespaces granted: namespaces readable', grant: '', as: 'u-ns', args: ['get', 'namespaces'] },
  { name: 'a resource rule does not cover its subresource', grant: '', as: 'u-ns', args: ['get', '--raw', '/api/v1/namespaces/apps/status'], denied: /namespaces "apps" is forbidden: User "u-ns" cannot get resource "namespaces\/status" in API group "" in the namespace "apps"/ },
  { name: '"*/status" covers the status subresource of any resource', grant: clusterRole('cr-status', '[{apiGroups: [""], resources: ["*/status"], verbs: [get]}]') + '---\n' + binding('cb-status', '', 'kind: ClusterRole, name: cr-status', user('u-status')), as: 'u-status', args: ['get', '--raw', '/api/v1/namespaces/apps/status'] },
  // apiGroups
  { name: 'apiGroups must match: roles live in rbac.authorization.k8s.io', grant: role('r-wrong-group', 'default', '[{apiGroups: [""], resources: [roles], verbs: [list]}]') + '---\n' + binding('b-wrong-group', 'default', 'kind: Role, name: r-wrong-group', user('u-group')), as: 'u-group', args: ['get', 'roles'], denied: forbiddenList('u-group', 'roles.rbac.authorization.k8s.io', 'default', 'rbac.authorization.k8s.io') },
  { name: 'apiGroups "*" matches every group', grant: role('r-any-group', 'default', '[{apiGroups: ["*"], resources: [roles], verbs: [list]}]') + '---\n' + binding('b-any-group', 'default', 'kind: Role, name: r-any-group', user('u-group')), as: 'u-group', args: ['get', 'roles'] },
  // bindings and scopes
  { name: 'a RoleBinding to a ClusterRole grants only inside its namespace', grant: binding('b-edit-apps', 'apps', 'kind: ClusterRole, name: edit', user('u-apps')), as: 'u-apps', args: ['get', 'secrets', '-n', 'apps'] },
  { name: '... and not in another namespace', grant: '', as: 'u-apps', args: ['get', 'secrets', '-n', 'default'], denied: forbiddenList('u-apps', 'secrets', 'default') },
  { name: '... nor across all namespaces', grant: '', as: 'u-apps', args: ['get', 'secrets', '-A'], denied: /secrets is forbidden: User "u-apps" cannot list resource "secrets" in API group "" at the cluster scope/ },
  { name: 'the default view role does not read secrets', grant: binding('b-view', 'default', 'kind: ClusterRole, name: view', user('u-view')), as: 'u-view', args: ['get', 'secret', 'db'], denied: /secrets "db" is forbidden: User "u-view" cannot get resource "secrets"/ },
  { name: 'the default edit role reads secrets', grant: binding('b-edit', 'default', 'kind: ClusterRole, name: edit', user('u-edit')), as: 'u-edit', args: ['get', 'secret', 'db'] },
  // subjects
  { name: 'a Group subject matches a token user\'s group', grant: binding('b-devs', 'default', 'kind: Role, name: r-get', group('devs')), as: 'alice', args: ['get', 'secret', 'db'] },
  { name: 'a Group subject matches a certificate user\'s O', grant: binding('b-team-a', 'default', 'kind: Role, name: r-get', group('team-a')), as: 'carol', args: ['get', 'secret', 'db'] },
  { name: 'a user outside the group is denied', grant: '', as: 'bob', args: ['get', 'secret', 'db'], denied: /User "bob" cannot get resource "secrets"/ },
  { name: 'system:authenticated matches every authenticated user', grant: clusterRole('cr-list-ns', '[{apiGroups: [""], resources: [namespaces], verbs: [list]}]') + '---\n' + binding('cb-authn', '', 'kind: ClusterRole, name: cr-list-ns', group('system:authenticated')), as: 'bob', args: ['get', 'namespaces'] },
  { name: 'a ServiceAccount subject (namespace defaulted to the binding\'s)', grant: binding('b-sa', 'apps', 'kind: ClusterRole, name: edit', '[{kind: ServiceAccount, name: builder}]'), as: 'sa:apps:builder', args: ['get', 'secret', 'db', '-n', 'apps'] },
  { name: 'a token from `kubectl create token` authenticates as that ServiceAccount subject', grant: '', as: 'sa-builder', args: ['get', 'secret', 'db', '-n', 'apps'] },
  { name: '... and is denied outside what its bindings grant', grant: '', as: 'sa-builder', args: ['get', 'secret', 'db', '-n', 'default'], denied: /User "system:serviceaccount:apps:builder" cannot get resource "secrets" in API group "" in the namespace "default"/ },
  { name: 'the same ServiceAccount name in another namespace is not that subject', grant: '', as: 'sa:default:builder', args: ['get', 'secret', 'db', '-n', 'apps'], denied: /User "system:serviceaccount:default:builder" cannot get resource "secrets"/ },
  { name: 'system:serviceaccounts:<ns> matches every ServiceAccount of the namespace', grant: binding('b-sas', 'default', 'kind: Role, name: r-get', group('system:serviceaccounts:apps')), as: 'sa:apps:anyone', args: ['get', 'secret', 'db', '-n', 'default'] },
  { name: 'a bootstrap token user has no rights of its own', grant: '', as: 'bootstrap', args: ['get', 'secrets', '-n', 'kube-system'], denied: /secrets is forbidden: User "system:bootstrap:abcdef" cannot list resource "secrets" in API group "" in the namespace "kube-system"/ },
  { name: 'a bootstrap token carries system:bootstrappers and its auth-extra-groups', grant: binding('b-edge', 'kube-system', 'kind: ClusterRole, name: view', group('system:bootstrappers:edge')), as: 'bootstrap', args: ['get', 'serviceaccounts', '-n', 'kube-system'] },
  // non-resource URLs
  { name: 'nonResourceURLs: /metrics is denied without a rule', grant: '', as: 'bob', args: ['get', '--raw', '/metrics'], denied: /forbidden: User "bob" cannot get path "\/metrics"/ },
  { name: 'nonResourceURLs: a rule ending in * covers the prefix', grant: clusterRole('cr-metrics', '[{nonResourceURLs: ["/metr*"], verbs: [get]}]') + '---\n' + binding('cb-metrics', '', 'kind: ClusterRole, name: cr-metrics', user('bob')), as: 'bob', args: ['get', '--raw', '/metrics'] },
  { name: 'every authenticated user reads discovery (system:discovery)', grant: '', as: 'carol', args: ['get', '--raw', '/api'] },
];

describe('allowed and denied, rule shape by rule shape', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      if (row.grant) await apply(row.grant);
      const args = row.as.startsWith('sa:') ? ['--as', `system:serviceaccount:${row.as.slice(3)}`, ...row.args] : row.args;
      const r = await asUser(row.as.startsWith('sa:') || row.as.startsWith('u-') ? 'admin' : row.as, row.as.startsWith('u-') ? ['--as', row.as, ...args] : args);
      if (!row.denied) assert.equal(r.code, 0, `expected allowed: ${r.stderr}`);
      else {
        assert.equal(r.code, 1, `expected denied: ${r.stdout}`);
        assert.match(r.stderr, row.denied);
      }
    });
  }
});

describe('kubectl auth can-i', () => {
  it('answers yes/no with exit codes, and --as asks for someone else', async () => {
    const yes = await asUser('alice', ['auth', 'can-i', 'get', 'secrets/db']);
    assert.equal(yes.code, 0);
    assert.equal(yes.stdout.trim(), 'yes');
    const no = await asUser('alice', ['auth', 'can-i', 'delete', 'secrets']);
    assert.equal(no.code, 1);
    assert.equal(no.stdout.trim(), 'no');
    const asView = await asUser('admin', ['auth', 'can-i', 'get', 'secrets', '--as', 'u-view']);
    assert.equal(asView.stdout.trim(), 'no');
    const asEdit = await asUser('admin', ['auth', 'can-i', 'get', 'secrets', '--as', 'u-edit']);
    assert.equal(asEdit.stdout.trim(), 'yes');
    const nonResource = await asUser('bob', ['auth', 'can-i', 'get', '/metrics']);
    assert.equal(nonResource.stdout.trim(), 'yes');
  });

  it('--list shows the rules that apply in the namespace', async () => {
    const r = await asUser('admin', ['auth', 'can-i', '--list', '--as', 'u-named']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    assert.match(r.stdout, /secrets\s+\[\]\s+\[db\]\s+\[get list watch create\]/);
    assert.match(r.stdout, /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    assert.match(r.stdout, /\[\/api\/\*\]\s+\[\]\s+\[get\]/);
    const adminList = await asUser('admin', ['auth', 'can-i', '--list']);
    assert.match(adminList.stdout, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
  });
});

describe('escalation prevention', () => {
  before(async () => {
    // u-admin administers the apps namespace (the default admin role: RBAC objects and secrets).
    await apply(binding('b-admin-apps', 'apps', 'kind: ClusterRole, name: admin', user('u-admin')));
  });

  it('a namespace admin creates a role with permissions they hold', async () => {
    const r = await asUser('admin', ['--as', 'u-admin', '-n', 'apps', 'create', 'role', 'readers', '--verb=get', '--resource=secrets']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a role granting more than the creator holds is refused with kube\'s message', async () => {
    const r = await asUser('admin', ['--as', 'u-admin', '-n', 'apps', 'create', 'role', 'cr-reader', '--verb=get,list', '--resource=clusterroles']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /roles\.rbac\.authorization\.k8s\.io "cr-reader" is forbidden: user "u-admin" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["rbac\.authorization\.k8s\.io"\], Resources:\["clusterroles"\], Verbs:\["get" "list"\]\}/);
  });

  it('binding a role the user does not hold is refused; the bind verb allows it', async () => {
    const denied = await asUser('admin', ['--as', 'u-admin', '-n', 'apps', 'create', 'rolebinding', 'grab', '--clusterrole=cluster-admin', '--user=u-admin']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "grab" is forbidden: user "u-admin" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    await apply(clusterRole('cr-bind-cluster-admin', '[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [cluster-admin], verbs: [bind]}]')
      + '---\n' + binding('b-bind', 'apps', 'kind: ClusterRole, name: cr-bind-cluster-admin', user('u-admin')));
    const allowed = await asUser('admin', ['--as', 'u-admin', '-n', 'apps', 'create', 'rolebinding', 'grab', '--clusterrole=cluster-admin', '--user=u-admin']);
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('the escalate verb allows writing roles beyond one\'s own permissions', async () => {
    await apply(clusterRole('cr-escalate', '[{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, create]}]')
      + '---\n' + binding('b-escalate', 'default', 'kind: ClusterRole, name: cr-escalate', user('u-esc')));
    const r = await asUser('admin', ['--as', 'u-esc', 'create', 'role', 'big', '--verb=*', '--resource=secrets']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('roleRef cannot change', async () => {
    const r = await kubectl(o, ['patch', 'rolebinding', 'b-get', '--type=merge', '-p', '{"roleRef":{"name":"r-star"}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /roleRef: Invalid value: .*cannot change roleRef/);
  });
});

describe('impersonation', () => {
  it('needs the impersonate verb, with kube\'s 403 text', async () => {
    const r = await asUser('bob', ['get', 'secrets', '--as', 'alice']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope/);
  });

  it('granted for one user name, it acts as that user and nobody else', async () => {
    await apply(clusterRole('cr-impersonate-alice', '[{apiGroups: [""], resources: [users], resourceNames: [alice], verbs: [impersonate]}]')
      + '---\n' + binding('cb-impersonate', '', 'kind: ClusterRole, name: cr-impersonate-alice', user('bob')));
    const whoCan = await asUser('bob', ['auth', 'can-i', 'get', 'secrets/db', '--as', 'alice']);
    assert.equal(whoCan.stdout.trim(), 'no', 'alice herself holds no rights: only groups given in Impersonate-Group count');
    const r = await asUser('bob', ['get', 'secrets', '--as', 'u-star']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /users "u-star" is forbidden: User "bob" cannot impersonate resource "users"/);
    const groups = await asUser('bob', ['get', 'secret', 'db', '--as', 'alice', '--as-group', 'devs']);
    assert.equal(groups.code, 1, 'impersonating a group needs its own grant');
    assert.match(groups.stderr, /groups "devs" is forbidden: User "bob" cannot impersonate resource "groups"/);
  });
});
