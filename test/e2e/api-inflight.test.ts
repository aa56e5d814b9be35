// --max-requests-inflight / --max-mutating-requests-inflight, as kube-apiserver applies them: with the
// read slot taken (a large list the client is slow to read), another read gets 429 at once with
// Retry-After: 1 and kube's plain-text body, and is counted and audited; writes have their own slot;
// watches and system:masters are never turned away; the slot is free again once the list is read;
// opaque's own commands wait out a 429 as client-go does.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request, type Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, ROOT, run, startOpaque, type Opaque } from '../helpers/opaque.js';
import { readAudit, userAgent } from './audit-lib.js';
import { eventually, secretsPath, sleep } from './api-lib.js';

let o: Opaque;
let bob: Agent;

before(async () => {
  o = await startOpaque({ args: ['--max-requests-inflight', '1', '--max-mutating-requests-inflight', '1'] });
  assert.equal((await http(o, 'POST', '/api/v1/namespaces', { metadata: { name: 'load' } })).status, 201);
  // About 30 MB of list: far more than loopback socket buffers hold (a few MB each way, even tuned),
  // so an answer the client does not read stays in flight.
  for (let i = 0; i < 150; i++) {
    const r = await http(o, 'POST', secretsPath('load'), { metadata: { name: `big-${i}` }, data: { blob: randomBytes(150_000).toString('base64') } });
    assert.equal(r.status, 201);
  }
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  assert.equal((await http(o, 'POST', `${rbac}/clusterroles`, {
    metadata: { name: 'secret-user' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create'] }],
  })).status, 201);
  assert.equal((await http(o, 'POST', `${rbac}/clusterrolebindings`, {
    metadata: { name: 'bob' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-user' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }],
  })).status, 201);
  bob = await userAgent(o, 'bob');
});

after(async () => {
  bob?.destroy();
  await cleanup(o);
});

/** Starts bob's list of the big secrets and reads only its headers: the server stays busy sending it. */
function heldList(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${o.url}${secretsPath('load')}`, { agent: bob }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

test('past the read limit a read gets 429 Retry-After 1; writes, watches and system:masters pass; the slot frees', async () => {
  const held = await heldList();
  assert.equal(held.statusCode, 200);
  await sleep(300);

  const refused = await http(o, 'GET', secretsPath('load', 'big-1'), undefined, {}, bob);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(refused.text, 'Too many requests, please try again later.\n');

  assert.equal((await http(o, 'GET', secretsPath('load', 'big-1'))).status, 200, 'system:masters always gets an answer');
  assert.equal((await http(o, 'POST', secretsPath('load'), { metadata: { name: 'small' } }, {}, bob)).status, 201, 'writes have their own limit');
  const watch = await new Promise<number>((resolve, reject) => {
    const req = request(`${o.url}${secretsPath('load')}?watch=1&resourceVersion=0`, { agent: bob }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(watch, 200, 'a watch is long-running: never limited');

  const metrics = (await http(o, 'GET', '/metrics')).text;
  assert.match(metrics, /^apiserver_dropped_requests_total\{request_kind="readOnly"\} [1-9]/m);
  assert.match(metrics, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 1$/m);

  // Reading the list to its end frees the slot.
  held.resume();
  let bytes = 0;
  for await (const chunk of held) bytes += (chunk as Buffer).length;
  assert.ok(bytes > 25_000_000, `the list was ${bytes} bytes`);
  const again = await eventually(async () => {
    const r = await http(o, 'GET', secretsPath('load', 'big-1'), undefined, {}, bob);
    return r.status === 200 ? r : undefined;
  }, 5_000, 'the read slot to be free again');
  assert.equal(again.json.metadata.name, 'big-1');

  // The refusal is audited as bob's request, with kube's 429.
  const events = readAudit(join(o.dataDir, 'audit.log')).filter((e) => e.user?.username === 'bob' && e.responseStatus?.code === 429);
  assert.ok(events.length >= 1, 'the 429 is in the audit log');
  assert.equal(events[0].verb, 'get');
});

test('opaque commands wait out a 429 (Retry-After) and then get their answer, as client-go does', async () => {
  const kc = join(o.dataDir, 'bob.kubeconfig');
  const opaque = (args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), ...args]);
  assert.equal((await opaque(['kubeconfig', '--user', 'bob', '--data-dir', o.dataDir, '-o', kc])).code, 0);
  const held = await heldList();
  await sleep(300);
  const checking = opaque(['check', '--kubeconfig', kc]).then((r) => ({ r, at: Date.now() }));
  await sleep(1_500);
  const released = Date.now();
  held.resume();
  for await (const chunk of held) void chunk;
  const { r, at } = await checking;
  assert.ok(at >= released, 'the command finished only once the read slot was free');
  // Its reads were refused with 429 while the list was held, then answered (403: bob may not read /metrics).
  assert.match(r.stdout, /storage +not shown: \/metrics refused \(forbidden: User "bob" cannot get path "\/metrics"\)/);
  assert.match(r.stdout, /identity +bob \(groups system:authenticated\)/);
});
