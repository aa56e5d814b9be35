// The agent does not flood its server when a Secret's resourceVersion is older than the watch
// window. A restarted server's window starts at its current revision, so a Secret written before
// later writes has a resourceVersion every watch refuses with 410 Gone; a GET answers that same old
// resourceVersion again. The agent must resync the way client-go's reflector does (a watch that
// starts with the current state, from the resourceVersion that answer carries) and back off, so the
// server sees a handful of requests, the expiry is logged once, and a later update still arrives.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { mountedFile, putSecret, startAgent, stopAgents, waitForContent } from './agent-support.js';

const servers: Opaque[] = [];
after(async () => {
  await stopAgents();
  for (const s of servers.slice(0, -1)) await s.stop();
  if (servers.length) await cleanup(servers.at(-1)!);
});

/** Requests to secrets the server has answered, from its apiserver_request_total counter. */
async function secretRequests(o: Opaque): Promise<number> {
  const r = await http(o, 'GET', '/metrics');
  assert.equal(r.status, 200);
  let n = 0;
  for (const line of r.text.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes('resource="secrets"')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

it('a resourceVersion older than the watch window costs a few requests, one log line, and a later update still arrives', async (t) => {
  const first = await startOpaque();
  servers.push(first);
  await putSecret(first, 'app', { password: 'v1' });
  // A later write elsewhere: after the restart the window starts past app's resourceVersion.
  await putSecret(first, 'unrelated', { x: '1' });
  await first.stop();
  const o = await startOpaque({ dataDir: first.dataDir });
  servers.push(o);

  const before = await secretRequests(o);
  const a = startAgent(o, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'expired' },
    spec: { containers: [{ name: 'c', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], volumeMounts: [{ name: 'v', mountPath: '/etc/app' }] }], volumes: [{ name: 'v', secret: { secretName: 'app' } }] },
  });
  await a.waitFor(/started container "c"/);
  const file = mountedFile(a, 'expired', 'c', 'etc/app/password');
  await waitForContent(file, 'v1', 5000, a);

  await new Promise((r) => setTimeout(r, 5000));
  const during = (await secretRequests(o)) - before;
  t.diagnostic(`secret requests answered from the agent's start to 5 s after delivery: ${during}`);
  assert.ok(during < 20, `the server answered ${during} secret requests:\n${a.err().slice(-2000)}`);
  const expiredLines = a.err().match(/watch of secret "app" expired/g) ?? [];
  assert.ok(expiredLines.length <= 1, `the expiry was logged ${expiredLines.length} times`);

  await putSecret(o, 'app', { password: 'v2' });
  await waitForContent(file, 'v2', 5000, a);
  assert.doesNotMatch(a.err(), /container "c" exited/);
  assert.equal(await a.stop(), 0);
});
