// Live updates in `opaque run`, measured on real processes: volume files follow Secret changes by
// watch within a second (p50/p99 printed), a reader never sees keys of two versions mixed or a
// missing file during 1,000 updates, on-secret-change reactions fire only when a value the
// container uses really changed, a deleted Secret keeps its last files, and `opaque run status`
// shows which resourceVersion each container delivers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, removeDir, ROOT, run } from '../helpers/opaque.js';
import { mountedFile, podStatus, putSecret, startAgent, suiteServer, waitForContent, type Agent } from './agent-support.js';

const server = suiteServer();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pod = (name: string, spec: object, annotations: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec });
const idle = 'trap "exit 0" TERM; while :; do sleep 0.1; done';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('volume updates', () => {
  it('reach the files within a second of each change (latency p50/p99)', async () => {
    await putSecret(server(), 'lat', { v: '0' });
    const a = startAgent(server(), pod('lat', { containers: [{ name: 'c', command: ['sh', '-c', idle], volumeMounts: [{ name: 'v', mountPath: '/etc/lat' }] }], volumes: [{ name: 'v', secret: { secretName: 'lat' } }] }));
    await a.waitFor(/started container "c"/);
    const file = mountedFile(a, 'lat', 'c', 'etc/lat/v');
    const lat: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const t0 = performance.now();
      await putSecret(server(), 'lat', { v: String(i) });
      await waitForContent(file, String(i), 5000);
      lat.push(performance.now() - t0);
    }
    const p50 = pct(lat, 50);
    const p99 = pct(lat, 99);
    process.stdout.write(`# update latency (PUT sent → file swapped), 100 updates: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms\n`);
    assert.ok(p99 < 1000, `p99 ${p99} ms`);
    await a.stop();
    removeDir(a.dir);
  });

  it('never shows a reader mixed versions or a missing file during 1,000 updates', async () => {
    await putSecret(server(), 'atom', { a: '0', b: '0' });
    const a = startAgent(server(), pod('atom', { containers: [{ name: 'c', command: ['sh', '-c', idle], volumeMounts: [{ name: 'v', mountPath: '/etc/atom' }] }], volumes: [{ name: 'v', secret: { secretName: 'atom' } }] }));
    await a.waitFor(/started container "c"/);
    const dir = mountedFile(a, 'atom', 'c', 'etc/atom');
    const stop = join(a.dir, 'stop');
    const readerFile = join(a.dir, 'reader.mjs');
    // Reads a, b, a through the per-key symlinks: with an atomic swap, a1 === a2 implies b === a1.
    writeFileSync(readerFile, `
      import { readFileSync, existsSync } from 'node:fs';
      const [dir, stop] = process.argv.slice(2);
      let reads = 0, mixed = 0, missing = 0; const seen = new Set();
      while (!existsSync(stop)) for (let i = 0; i < 100; i++) {
        try {
          const a1 = readFileSync(dir + '/a', 'utf8'), b = readFileSync(dir + '/b', 'utf8'), a2 = readFileSync(dir + '/a', 'utf8');
          reads++; seen.add(a1);
          if (a1 === a2 && b !== a1) mixed++;
        } catch (e) { if (e.code === 'ENOENT') missing++; else throw e; }
      }
      console.log(JSON.stringify({ reads, mixed, missing, distinct: seen.size }));
    `);
    const reader = spawn(process.execPath, [readerFile, dir, stop], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d) => (out += d));
    const done = new Promise((r) => reader.once('exit', r));
    for (let i = 1; i <= 1000; i++) await putSecret(server(), 'atom', { a: String(i), b: String(i) });
    await waitForContent(join(dir, 'b'), '1000', 10_000);
    writeFileSync(stop, '');
    await done;
    const r = JSON.parse(out);
    process.stdout.write(`# atomicity: ${r.reads} reads saw ${r.distinct} distinct versions, mixed ${r.mixed}, missing ${r.missing}\n`);
    assert.equal(r.mixed, 0);
    assert.equal(r.missing, 0);
    assert.ok(r.distinct > 50, `the reader saw only ${r.distinct} versions`);
    await a.stop();
    removeDir(a.dir);
  });
});

describe('on-secret-change', () => {
  let a: Agent;
  const count = (re: RegExp) => (a.out().match(new RegExp(re, 'gm')) ?? []).length;

  before(async () => {
    await putSecret(server(), 'cfg', { used: 'v0', unused: 'u0' });
    a = startAgent(server(), pod('react', {
      terminationGracePeriodSeconds: 5,
      containers: [
        { name: 'restarter', command: ['sh', '-c', `echo START USED=$USED; ${idle}`], env: [{ name: 'USED', valueFrom: { secretKeyRef: { name: 'cfg', key: 'used' } } }] },
        { name: 'hupper', command: ['sh', '-c', `echo START; trap 'echo HUP $(cat $OPAQUE_ROOT/etc/cfg/used)' HUP; trap "exit 0" TERM; while :; do sleep 0.1; done`], volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }] },
        { name: 'plain', command: ['sh', '-c', `echo START USED=$USED; ${idle}`], env: [{ name: 'USED', valueFrom: { secretKeyRef: { name: 'cfg', key: 'used' } } }] },
      ],
      volumes: [{ name: 'cfg', secret: { secretName: 'cfg', items: [{ key: 'used', path: 'used' }] } }],
    }, { 'opaque.dev/on-secret-change.restarter': 'restart', 'opaque.dev/on-secret-change.hupper': 'signal:SIGHUP' }));
    for (const c of ['restarter', 'hupper', 'plain']) await a.waitFor(new RegExp(`^\\[${c}\\] START`, 'm'));
  });
  after(async () => {
    await a.stop();
    removeDir(a.dir);
  });

  it('does nothing when only an unused key changes, but reports the new resourceVersion', async () => {
    const s = await putSecret(server(), 'cfg', { used: 'v0', unused: 'u1' });
    await sleep(1500);
    assert.equal(count(/^\[restarter\] START/), 1);
    assert.equal(count(/^\[hupper\] HUP/), 0);
    const st = podStatus(a, 'default', 'react');
    for (const c of st.containers) assert.equal(c.secrets[0].resourceVersion, s.metadata.resourceVersion, JSON.stringify(c));
  });

  it('restarts or signals when a used value changes; "none" keeps the old environment', async () => {
    const s = await putSecret(server(), 'cfg', { used: 'v1', unused: 'u1' });
    await a.waitFor(/^\[restarter\] START USED=v1$/m);
    await a.waitFor(/^\[hupper\] HUP v1$/m);
    await sleep(300);
    assert.equal(count(/^\[plain\] START/), 1);
    assert.equal(count(/^\[hupper\] START/), 1);
    assert.equal(count(/^\[hupper\] HUP/), 1);
    const st = podStatus(a, 'default', 'react');
    const byName = Object.fromEntries(st.containers.map((c: any) => [c.name, c]));
    assert.equal(byName.restarter.restarts, 1);
    assert.equal(byName.restarter.secrets[0].resourceVersion, s.metadata.resourceVersion);
    assert.equal(byName.hupper.secrets[0].resourceVersion, s.metadata.resourceVersion);
    assert.notEqual(byName.plain.secrets[0].resourceVersion, s.metadata.resourceVersion, 'plain still has the old environment');
    assert.equal(byName.plain.secrets[0].latest, s.metadata.resourceVersion);
    const table = await run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'run', 'status', '--state-dir', a.stateDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^POD\s+CONTAINER\s+STATE\s+RESTARTS\s+SECRET\s+DELIVERED\s+LATEST\s+VIA/);
    assert.match(table.stdout, new RegExp(`default/react\\s+restarter\\s+running\\s+1\\s+cfg\\s+${s.metadata.resourceVersion}\\s+${s.metadata.resourceVersion}\\s+env`));
    assert.match(table.stdout, new RegExp(`default/react\\s+plain\\s+running\\s+0\\s+cfg\\s+\\d+\\s+${s.metadata.resourceVersion}\\s+env`));
  });

  it('keeps the last files when the secret is deleted, and says so', async () => {
    const r = await http(server(), 'DELETE', '/api/v1/namespaces/default/secrets/cfg');
    assert.equal(r.status, 200);
    await a.waitFor(/secret "cfg" was deleted; keeping the files of resourceVersion \d+/);
    assert.equal(readFileSync(mountedFile(a, 'react', 'hupper', 'etc/cfg/used'), 'utf8'), 'v1');
    await sleep(500);
    assert.equal(count(/^\[restarter\] START/), 2);
    assert.match(JSON.stringify(podStatus(a, 'default', 'react')), /"latest":""/);
  });
});
