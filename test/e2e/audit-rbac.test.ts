// Audit together with RBAC and impersonation (the default authorizer): an impersonated request is
// recorded with the caller as user and the target as impersonatedUser; a refused impersonation and
// an RBAC allow are recorded with kube's decision and reason annotations.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, type Opaque, startOpaque } from '../helpers/opaque.js';
import { readAudit, userAgent } from './audit-lib.js';

let o: Opaque;

before(async () => {
  o = await startOpaque();
  const grant = await http(o, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    metadata: { name: 'impersonate-reader' }, rules: [{ apiGroups: [''], resources: ['users'], resourceNames: ['reader'], verbs: ['impersonate'] }],
  });
  assert.equal(grant.status, 201, grant.text);
  for (const [name, role, user] of [['helpdesk-impersonates', 'impersonate-reader', 'helpdesk'], ['reader-edits', 'edit', 'reader']]) {
    const b = await http(o, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: user }],
    });
    assert.equal(b.status, 201, b.text);
  }
});

after(() => cleanup(o));

test('an impersonated read is audited with user = the caller and impersonatedUser = the target', async () => {
  const helpdesk = await userAgent(o, 'helpdesk', ['support']);
  try {
    const ok = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, { 'Impersonate-User': 'reader' }, helpdesk);
    assert.equal(ok.status, 200, ok.text);
    const refused = await http(o, 'GET', '/api/v1/namespaces/default/secrets', undefined, { 'Impersonate-User': 'admin' }, helpdesk);
    assert.equal(refused.status, 403);
    await new Promise((r) => setTimeout(r, 300)); // the log is written in batches
    const events = readAudit(join(o.dataDir, 'audit.log'));
    const allowed = events.find((e) => e.auditID === ok.headers['audit-id'] && e.stage === 'ResponseComplete');
    assert.ok(allowed, 'the impersonated request is audited');
    assert.equal(allowed.user.username, 'helpdesk');
    assert.deepEqual(allowed.user.groups, ['support', 'system:authenticated']);
    assert.equal(allowed.impersonatedUser.username, 'reader');
    assert.equal(allowed.annotations['authorization.k8s.io/decision'], 'allow');
    assert.equal(allowed.annotations['authorization.k8s.io/reason'], 'RBAC: allowed by ClusterRoleBinding "reader-edits" of ClusterRole "edit" to User "reader"');
    const denied = events.find((e) => e.auditID === refused.headers['audit-id'] && e.stage === 'ResponseComplete');
    assert.ok(denied, 'the refused impersonation is audited');
    assert.equal(denied.user.username, 'helpdesk');
    assert.equal(denied.impersonatedUser, undefined);
    assert.equal(denied.responseStatus.code, 403);
  } finally {
    helpdesk.destroy();
  }
});
