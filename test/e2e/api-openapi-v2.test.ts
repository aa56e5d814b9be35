// GET /openapi/v2 on a real server (JSON, or gnostic protobuf when asked, one ETag, 304 on a match),
// readable by any authenticated user through system:discovery; and the empty CustomResourceDefinition
// list kubectl consults before validating a create-only kind from a file (RBAC applies to it as to
// any resource; nothing else is served in apiextensions.k8s.io).

import assert from 'node:assert/strict';
import type { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { userAgent } from './audit-lib.js';

const ASK_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'; // client-go's Accept
const PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'; // a legal media type
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
let o: Opaque;
let carol: Agent;

before(async () => {
  o = await startOpaque();
  carol = await userAgent(o, 'carol');
});
after(async () => {
  carol?.destroy();
  if (o) await cleanup(o);
});

test('/openapi/v2 answers JSON, or protobuf when asked, under one ETag; 304 when it matches, 406 for other types', async () => {
  const j = await http(o, 'GET', '/openapi/v2', undefined, { accept: 'application/json' }, carol);
  assert.equal(j.status, 200, j.text);
  assert.match(String(j.headers['content-type']), /^application\/json/);
  assert.equal(j.json.swagger, '2.0');
  assert.ok(j.json.paths['/api/v1/namespaces/{namespace}/secrets']);
  const etag = String(j.headers.etag);
  assert.match(etag, /^"[0-9A-F]{128}"$/);
  const p = await http(o, 'GET', '/openapi/v2', undefined, { accept: `${ASK_PROTOBUF}, application/json` });
  assert.equal(p.status, 200);
  assert.equal(p.headers['content-type'], PROTOBUF);
  assert.equal(p.headers.etag, etag);
  assert.ok(p.text.length > 1000 && p.text.startsWith('\n\u00032.0'), 'field 1 (swagger) comes first');
  const again = await http(o, 'GET', '/openapi/v2', undefined, { 'if-none-match': etag });
  assert.equal(again.status, 304);
  // Clauses by q: JSON wins over a protobuf at q=0.5; nothing acceptable is 406.
  const q = await http(o, 'GET', '/openapi/v2', undefined, { accept: `${ASK_PROTOBUF}; q=0.5, application/json` });
  assert.match(String(q.headers['content-type']), /^application\/json/);
  assert.equal((await http(o, 'GET', '/openapi/v2', undefined, { accept: 'text/html' })).status, 406);
});

test('CustomResourceDefinitions: an empty list for who may list them, 403 otherwise, nothing else served', async () => {
  const list = await http(o, 'GET', CRDS);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.kind, 'CustomResourceDefinitionList');
  assert.equal(list.json.apiVersion, 'apiextensions.k8s.io/v1');
  assert.deepEqual(list.json.items, []);
  assert.match(list.json.metadata.resourceVersion, /^\d+$/);
  const denied = await http(o, 'GET', CRDS, undefined, {}, carol);
  assert.equal(denied.status, 403);
  assert.equal(denied.json.message, 'customresourcedefinitions.apiextensions.k8s.io is forbidden: User "carol" cannot list resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope');
  assert.equal((await http(o, 'GET', `${CRDS}/widgets.example.com`)).status, 404);
  assert.equal((await http(o, 'POST', CRDS, { metadata: { name: 'widgets.example.com' } })).status, 404);
  const groups = await http(o, 'GET', '/apis');
  assert.ok(!groups.json.groups.some((g: { name: string }) => g.name === 'apiextensions.k8s.io'), 'the group is not advertised');
});
