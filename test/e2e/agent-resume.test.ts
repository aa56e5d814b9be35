// The agent's watch survives the server going away: while it is down the files stay as they were
// and the containers keep running; once it is back (same address and data) the watch resumes from
// the last resourceVersion and the next change reaches the files.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, it } from 'node:test';
import { cleanup, removeDir, startOpaque, type Opaque } from '../helpers/opaque.js';
import { mountedFile, putSecret, startAgent, stopAgents, waitForContent } from './agent-support.js';

const servers: Opaque[] = [];
after(async () => {
  await stopAgents();
  for (const s of servers.slice(0, -1)) await s.stop();
  if (servers.length) await cleanup(servers.at(-1)!);
});

it('resumes the watch after a server restart', async () => {
  const first = await startOpaque();
  servers.push(first);
  await putSecret(first, 'r', { v: '1' });
  const a = startAgent(first, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'resume' }, spec: { containers: [{ name: 'c', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], volumeMounts: [{ name: 'v', mountPath: '/etc/r' }] }], volumes: [{ name: 'v', secret: { secretName: 'r' } }] } });
  await a.waitFor(/started container "c"/);
  const file = mountedFile(a, 'resume', 'c', 'etc/r/v');
  await first.stop();
  await a.waitFor(/watch of secret "r": .*retrying/);
  assert.equal(readFileSync(file, 'utf8'), '1');
  const second = await startOpaque({ dataDir: first.dataDir, args: ['--secure-port', String(first.port)] });
  servers.push(second);
  await putSecret(second, 'r', { v: '2' });
  await waitForContent(file, '2', 10_000, a);
  assert.doesNotMatch(a.err(), /container "c" exited/);
  await a.stop();
  removeDir(a.dir);
});

it('a resume from a resourceVersion the restarted server no longer holds (410) fetches the secret again and watches on', async () => {
  const first = await startOpaque();
  servers.push(first);
  await putSecret(first, 'g', { v: '1' });
  const a = startAgent(first, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gone' }, spec: { containers: [{ name: 'c', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], volumeMounts: [{ name: 'v', mountPath: '/etc/g' }] }], volumes: [{ name: 'v', secret: { secretName: 'g' } }] } });
  await a.waitFor(/started container "c"/);
  const file = mountedFile(a, 'gone', 'c', 'etc/g/v');
  // Later writes elsewhere: the restarted server's watch cache starts past the agent's resourceVersion.
  await putSecret(first, 'unrelated', { x: '1' });
  await first.stop();
  await a.waitFor(/watch of secret "g": .*retrying/);
  const second = await startOpaque({ dataDir: first.dataDir, args: ['--secure-port', String(first.port)] });
  servers.push(second);
  await a.waitFor(/watch of secret "g".*(410|too old|Expired|expired)/i);
  await putSecret(second, 'g', { v: '2' });
  await waitForContent(file, '2', 10_000, a);
  await a.stop();
  removeDir(a.dir);
});
