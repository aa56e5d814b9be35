// Fault tolerance on a 3-member etcd cluster under a write load through two Opaque servers: a killed
// member, then the killed raft leader, lose no acknowledged write; with quorum gone writes fail
// (503) and succeed again once a quorum is back. A hung (stopped, not dead) member holds up no read —
// reads it holds are sent again elsewhere — and no write sent once it is known silent.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, ROOT, run, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { etcdLeader, startEtcd, type EtcdCluster } from '../helpers/etcd.js';
import { eventually, secretsPath, sleep } from './api-lib.js';

let etcd: EtcdCluster;
const servers: Opaque[] = [];

before(async () => {
  etcd = await startEtcd(3);
  const args = ['--etcd-servers', etcd.endpoints];
  servers.push(await startOpaque({ args }));
  const dir = tempDir('data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  cpSync(join(servers[0]!.dataDir, 'pki'), join(dir, 'pki'), { recursive: true });
  cpSync(join(servers[0]!.dataDir, 'encryption.yaml'), join(dir, 'encryption.yaml'));
  servers.push(await startOpaque({ dataDir: dir, args }));
});

after(async () => {
  for (const o of servers) await cleanup(o);
  await etcd?.stop();
});

/** One writer per server creating secrets in a loop; names whose create got 201 are acknowledged. */
function load() {
  const acked: string[] = [];
  const failures: number[] = [];
  let stop = false;
  const workers = servers.map(async (o, w) => {
    for (let n = 0; !stop; n++) {
      const name = `w${w}-${n}`;
      try {
        const r = await http(o, 'POST', secretsPath('default'), { metadata: { name }, data: { n: Buffer.from(String(n)).toString('base64') } });
        if (r.status === 201) acked.push(name);
        else {
          failures.push(r.status);
          await sleep(100);
        }
      } catch {
        failures.push(0);
        await sleep(100);
      }
    }
  });
  return { acked, failures, async end() { stop = true; await Promise.all(workers); } };
}

const progressed = async (l: { acked: string[] }, what: string, ms = 30_000) => {
  const before = l.acked.length;
  await eventually(async () => l.acked.length >= before + 10, ms, what);
};

test('killing a member, then the raft leader, loses no acknowledged write; writes resume with quorum', async (t) => {
  const l = load();
  await progressed(l, 'writes before any fault');
  const leader0 = await etcdLeader(etcd);
  const follower = (leader0 + 1) % 3;
  await etcd.members[follower]!.kill();
  await progressed(l, 'writes with one member down');
  await etcd.members[follower]!.restart();
  const leader = await etcdLeader(etcd);
  await etcd.members[leader]!.kill();
  await progressed(l, 'writes after the raft leader was killed');
  // Quorum lost: two of three members down.
  const other = [0, 1, 2].find((i) => i !== leader && etcd.members[i]!.proc?.exitCode === null)!;
  await etcd.members[other]!.kill();
  const failedBefore = l.failures.length;
  await eventually(async () => l.failures.length > failedBefore, 30_000, 'writes to fail without quorum');
  assert.ok(l.failures.slice(failedBefore).every((s) => s === 503 || s === 500 || s === 504 || s === 0), `failures: ${l.failures.slice(failedBefore)}`);
  await etcd.members[leader]!.restart();
  await progressed(l, 'writes once a quorum is back', 60_000);
  await etcd.members[other]!.restart();
  await l.end();

  for (const o of servers) {
    const list = await eventually(async () => {
      const r = await http(o, 'GET', secretsPath('default'));
      return r.status === 200 ? r : undefined;
    }, 20_000, 'list after the faults');
    const names = new Set<string>(list.json.items.map((s: { metadata: { name: string } }) => s.metadata.name));
    const lost = l.acked.filter((n) => !names.has(n));
    assert.deepEqual(lost, [], `acknowledged writes missing through ${o.url}`);
  }
  assert.ok(l.acked.length >= 50, `only ${l.acked.length} writes acknowledged`);
  t.diagnostic(`${l.acked.length} writes acknowledged, ${l.failures.length} failed during the faults, none lost`);
});

const answering = async (o: Opaque, member: string) => {
  const m = (await http(o, 'GET', '/metrics')).text.match(new RegExp(`^opaque_etcd_member_answering\\{member="${member}"\\} (\\d)`, 'm'));
  return m ? m[1] === '1' : undefined;
};

test('a hung member (SIGSTOP) holds up no read and no later write; it is used again once it answers', async (t) => {
  const o = servers[0]!;
  assert.equal((await http(o, 'POST', secretsPath('default'), { metadata: { name: 'hung-read' } })).status, 201);
  const follower = ((await etcdLeader(etcd)) + 1) % 3;
  const member = etcd.members[follower]!;
  const host = member.clientUrl;
  // Members killed by an earlier test may still be shut out by the client's breaker; reads let them back.
  await eventually(async () => {
    await http(o, 'GET', secretsPath('default', 'hung-read'));
    const all = await Promise.all(etcd.members.map((m) => answering(o, m.clientUrl)));
    return all.every((a) => a === true);
  }, 20_000, 'every member to answer before the fault');
  process.kill(member.proc!.pid!, 'SIGSTOP');
  try {
    // The client picks a member at random per call; a call to the stopped one would wait for its
    // 10 s deadline. The member is found out within about 1.3 s and reads are sent again elsewhere,
    // so none waits for it (the bounds leave room for a loaded machine, far below 10 s).
    const reads = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      await sleep(i * 25);
      const list = i % 4 === 3;
      const t0 = Date.now();
      const r = await http(o, 'GET', list ? secretsPath('default') : secretsPath('default', 'hung-read'));
      assert.equal(r.status, 200, r.text);
      return { list, ms: Date.now() - t0 };
    }));
    const gets = reads.filter((r) => !r.list).map((r) => r.ms);
    const lists = reads.filter((r) => r.list).map((r) => r.ms);
    t.diagnostic(`while a member was stopped: GET slowest ${Math.max(...gets)} ms, LIST slowest ${Math.max(...lists)} ms`);
    assert.ok(gets.every((ms) => ms < 4_000), `GETs waited: ${gets.join(' ')}`);
    assert.ok(lists.every((ms) => ms < 5_000), `LISTs waited: ${lists.join(' ')}`);

    // Writes cannot be sent twice, but once the member is known not to answer none goes to it.
    assert.equal(await answering(o, host), false, 'the stopped member is reported as not answering');
    const writes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      assert.equal((await http(o, 'POST', secretsPath('default'), { metadata: { name: `hung-write-${i}` } })).status, 201);
      writes.push(Date.now() - t0);
    }
    assert.ok(writes.every((ms) => ms < 3_000), `writes waited: ${writes.join(' ')}`);

    // An operator's check says so, as a warning naming it (the cluster still has quorum).
    const check = await run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'check', '--kubeconfig', o.kubeconfig]);
    assert.equal(check.code, 2, check.stdout);
    const storage = check.stdout.split('\n').find((l) => /^WARN +storage /.test(l)) ?? '';
    assert.match(storage, /etcd, [12] of 3 members answering \(not: [^)]+\)$/, check.stdout);
    assert.ok(storage.includes(host), `${host} named in: ${storage}`);
  } finally {
    process.kill(member.proc!.pid!, 'SIGCONT');
  }
  await eventually(async () => (await answering(o, host)) === true, 10_000, 'the member to answer again');
});
