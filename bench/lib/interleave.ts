// Interleaved load over several servers, for comparisons whose differences are smaller than the
// drift of a shared machine (disk flush latency, other processes): one process keeps a keep-alive
// pool to every target, warms them all up, then measures them in short slices in turn, rotating the
// order every round, so each target sees the same mix of good and bad moments. Per target it adds up
// the requests that start and finish inside its slices, and the target server's CPU over them.
// Prints one JSON line (InterleaveResult) on stdout.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { secretBody } from './secret.js';
import { procCpuMs } from './proc-stat.js';

export interface Target {
  name: string;
  url: string;
  tls: { ca: string; cert: string; key: string }; // file paths
  serverPid?: number;
  method: 'GET' | 'POST';
  /** GET: this path; POST: the collection path (each request creates a fresh Secret). */
  path: string;
  expectStatus: number;
  /** GET: the exact body length every response must have. */
  expectBytes?: number;
}

export interface InterleaveConfig {
  targets: Target[];
  concurrency: number;
  warmupMs: number;
  sliceMs: number;
  rounds: number;
}

export interface TargetResult {
  name: string;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU per request over the measured slices, µs (all of the server's threads). */
  cpuPerRequestUs?: number;
  /** The slowest and fastest slice, requests/s: how much the machine drifted. */
  sliceMin: number;
  sliceMax: number;
}

export interface InterleaveResult {
  results: TargetResult[];
  errors: number;
  firstError?: string;
}

const cfg = JSON.parse(process.argv[2]!) as InterleaveConfig;
/** Between slices: the previous target's last requests finish and the next one ramps up, unmeasured. */
const SETTLE_MS = 150;


interface State { t: Target; pool: Pool; latencies: number[]; seconds: number; cpuMs: number; slices: number[] }
const states: State[] = cfg.targets.map((t) => ({
  t,
  pool: new Pool(t.url, { connections: cfg.concurrency, pipelining: 1, connect: { ca: readFileSync(t.tls.ca), cert: readFileSync(t.tls.cert), key: readFileSync(t.tls.key) } }),
  latencies: [], seconds: 0, cpuMs: 0, slices: [],
}));

let seq = 0;
let errors = 0;
let firstError: string | undefined;

async function one(s: State): Promise<void> {
  const post = s.t.method === 'POST';
  const res = await s.pool.request({
    path: s.t.path, method: s.t.method,
    headers: post ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    body: post ? secretBody(`bench-${process.pid}-${seq++}`) : undefined,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== s.t.expectStatus || (s.t.expectBytes !== undefined && body.length !== s.t.expectBytes)) {
    throw new Error(`${s.t.name}: status ${res.statusCode}, ${body.length} bytes: ${body.toString('utf8', 0, 200)}`);
  }
}

/** Keeps `concurrency` requests in flight on one target for `ms`; returns the latencies of those measured. */
async function drive(s: State, ms: number, measure: boolean): Promise<{ latencies: number[]; seconds: number; cpuMs: number }> {
  let open = true;
  let measuring = false;
  const latencies: number[] = [];
  const worker = async () => {
    while (open && errors < 100) {
      const t0 = performance.now();
      const counted = measuring;
      try {
        await one(s);
        if (counted && measuring) latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  const workers = Array.from({ length: cfg.concurrency }, worker);
  await sleep(SETTLE_MS);
  const cpu0 = procCpuMs(s.t.serverPid);
  const start = performance.now();
  measuring = measure;
  await sleep(ms);
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = procCpuMs(s.t.serverPid);
  open = false;
  await Promise.all(workers);
  return { latencies, seconds, cpuMs: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const s of states) await drive(s, cfg.warmupMs, false);
for (let round = 0; round < cfg.rounds && errors === 0; round++) {
  // Rotate the order so no target always follows the same one.
  const order = states.map((_, i) => states[(i + round) % states.length]!);
  for (const s of order) {
    const r = await drive(s, cfg.sliceMs, true);
    s.latencies.push(...r.latencies);
    s.seconds += r.seconds;
    s.cpuMs += r.cpuMs;
    s.slices.push(r.latencies.length / r.seconds);
  }
}
await Promise.all(states.map((s) => s.pool.close()));

const results: TargetResult[] = states.map((s) => {
  const l = s.latencies.sort((a, b) => a - b);
  const pct = (p: number) => (l.length ? l[Math.min(l.length - 1, Math.floor(p * l.length))]! : NaN);
  return {
    name: s.t.name, requests: l.length, seconds: s.seconds, rps: l.length / s.seconds, p50: pct(0.5), p99: pct(0.99),
    cpuPerRequestUs: Number.isFinite(s.cpuMs) && l.length ? (s.cpuMs * 1000) / l.length : undefined,
    sliceMin: Math.min(...s.slices), sliceMax: Math.max(...s.slices),
  };
});
process.stdout.write(`${JSON.stringify({ results, errors, firstError } satisfies InterleaveResult)}\n`);
