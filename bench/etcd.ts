// `npm run bench:etcd`: creates/s and gets/s through Opaque on etcd against the raw etcd3 client on
// the same etcd, in the same run, at the same concurrency (goal: Opaque ≥ 0.7 of raw).
//   1. One etcd member (Debian's etcd, started here on free loopback ports) and one Opaque on it.
//   2. GET one Secret through Opaque (HTTPS, client certificate, keep-alive); the raw client ranges
//      the same key in etcd.
//   3. Creates (POST of small Secrets) through Opaque; the raw client sends Opaque's own create
//      transaction with a value of the size Opaque stored (encrypted) for the Secret.
// Tunables as bench/get.ts: BENCH_CONCURRENCY (16), BENCH_DURATION_S (10), BENCH_WARMUP_S (3),
// BENCH_CPU_PROF=<dir> (a .cpuprofile of the Opaque process, see lib/cpu-prof.ts).
// Exits non-zero only when something failed, never for a missed goal.

import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { cleanup, startOpaque, type Opaque } from '../test/helpers/opaque.js';
import { startEtcd, type EtcdCluster } from '../test/helpers/etcd.js';
import type { LoadConfig, LoadResult } from './lib/load.js';
import type { RawConfig, RawResult } from './lib/etcd-raw.js';
import { runBench, stopAllChildren } from './lib/proc.js';
import { CONCURRENCY, DURATION_MS, WARMUP_MS, checkSettings, opaqueEnv, runLoad } from './lib/settings.js';
import { createBenchSecret } from './lib/secret.js';

const GOAL = 0.7;
const SECRET = 'bench-get';
const PREFIX = '/registry';

let opaque: Opaque | undefined;
let etcd: EtcdCluster | undefined;

async function tearDown(): Promise<void> {
  await stopAllChildren();
  if (opaque) await cleanup(opaque);
  opaque = undefined;
  await etcd?.stop();
  etcd = undefined;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void tearDown().finally(() => process.exit(130)));
}

async function main(): Promise<void> {
  checkSettings();
  const loadBefore = loadavg()[0]!;
  etcd = await startEtcd(1);
  const servers = etcd.endpoints.split(',');
  opaque = await startOpaque({
    args: ['--etcd-servers', etcd.endpoints, '--etcd-prefix', PREFIX],
    env: opaqueEnv(),
  });
  const pki = join(opaque.dataDir, 'pki');
  const tls = { ca: join(pki, 'ca.crt'), cert: join(pki, 'admin.crt'), key: join(pki, 'admin.key') };

  const { path, body } = await createBenchSecret(opaque.url, tls, SECRET);
  // The raw client moves values of the size Opaque stores for this Secret (encrypted JSON).
  const key = `${PREFIX}/secrets/default/${SECRET}`;
  const probe = new Etcd3({ hosts: servers });
  const stored = await probe.get(key).buffer();
  probe.close();
  if (!stored) throw new Error(`${key} is not in etcd`);

  const storePid = etcd.members[0]!.proc?.pid;
  const getOpaque = await runLoad<LoadResult>('GET opaque', 'load.ts', { url: opaque.url, method: 'GET', path, tls, expectStatus: 200, expectBytes: body.length, serverPid: opaque.proc.pid, storePid } satisfies Omit<LoadConfig, 'concurrency' | 'warmupMs' | 'durationMs'>);
  const getRaw = await runLoad<RawResult>('GET raw etcd3', 'etcd-raw.ts', { servers, op: 'get', key, valueBytes: stored.length, storePid } satisfies Omit<RawConfig, 'concurrency' | 'warmupMs' | 'durationMs'>);
  const postOpaque = await runLoad<LoadResult>('CREATE opaque', 'load.ts', { url: opaque.url, method: 'POST', path: '/api/v1/namespaces/default/secrets', tls, expectStatus: 201, serverPid: opaque.proc.pid, storePid } satisfies Omit<LoadConfig, 'concurrency' | 'warmupMs' | 'durationMs'>);
  const postRaw = await runLoad<RawResult>('CREATE raw etcd3', 'etcd-raw.ts', { servers, op: 'create', key: `/bench-raw/`, valueBytes: stored.length, storePid } satisfies Omit<RawConfig, 'concurrency' | 'warmupMs' | 'durationMs'>);

  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(`\nOpaque on etcd bench: ${CONCURRENCY} in flight, ${WARMUP_MS / 1000}s warm-up, ${DURATION_MS / 1000}s measured; ` +
    `one etcd member on loopback; stored value ${stored.length} bytes; 1-min load average before the run ${loadBefore.toFixed(2)} on ${availableParallelism()} cores\n`);
  const row = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(i ? 10 : 8) : x.padStart(i > 5 ? 10 : 12))).join('');
  // CPU in % of one core over the window: Opaque's own process, the load generator (the HTTPS client,
  // or the raw etcd3 client), etcd, and the rest of the machine; then the machine's busy time per
  // operation. When the machine's cores are all busy, throughput is cores / (CPU per operation).
  const pc = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)}%`);
  const serverCpu = (r: LoadResult | RawResult) => ('serverCpu' in r ? r.serverCpu : undefined);
  const busy = (r: LoadResult | RawResult) => (r.otherCpu === undefined || r.storeCpu === undefined ? undefined : (serverCpu(r) ?? 0) + r.loadCpu + r.storeCpu + r.otherCpu);
  const perOp = (r: LoadResult | RawResult) => {
    const b = busy(r);
    return b === undefined ? undefined : (b * 1e4) / r.rps;
  };
  const us = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} µs`);
  console.log(row(['', 'through', 'ops/s', 'p50', 'p99', 'ops', 'opaque', 'client', 'etcd', 'other', 'CPU/op']));
  const line = (op: string, name: string, r: LoadResult | RawResult) =>
    console.log(row([op, name, n(r.rps), ms(r.p50), ms(r.p99), n(r.requests), pc(serverCpu(r)), pc(r.loadCpu), pc(r.storeCpu), pc(r.otherCpu), us(perOp(r))]));
  line('GET', 'opaque', getOpaque);
  line('GET', 'etcd3', getRaw);
  line('CREATE', 'opaque', postOpaque);
  line('CREATE', 'etcd3', postRaw);
  const ratio = (a: number, b: number) => {
    const r = a / b;
    return `${r.toFixed(3)} (goal >= ${GOAL}: ${r >= GOAL ? 'met' : 'not met'})`;
  };
  console.log(`\nGET     opaque/raw ${ratio(getOpaque.rps, getRaw.rps)}`);
  console.log(`CREATE  opaque/raw ${ratio(postOpaque.rps, postRaw.rps)}`);
  // With every core busy, creates/s through Opaque cannot exceed cores / (machine CPU per create).
  const o = perOp(postOpaque);
  if (o !== undefined) {
    const cores = availableParallelism();
    const ceiling = (cores * 1e6) / o;
    console.log(`\nMachine CPU per create: ${us(o)} through Opaque (HTTPS client + Opaque + etcd), ${us(perOp(postRaw))} raw (etcd3 client + etcd). ` +
      `With all ${cores} cores busy at ${us(o)} per create, creates through Opaque top out at ${n(ceiling)}/s = ${(ceiling / postRaw.rps).toFixed(3)} of raw on this machine.`);
  }
}

await runBench(main, tearDown);
