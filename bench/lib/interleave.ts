// Interleaved load over several servers, for comparisons whose differences are smaller than the
// drift of a shared machine (disk flush latency, other processes): one process keeps a keep-alive
// pool to every target, warms them all up, then measures them in short slices in turn, rotating the
// order every round, so each target sees the same mix of good and bad moments. Per target it adds up
// the requests that start and finish inside its slices, and the target server's CPU over them.
// Prints one JSON line (InterleaveResult) on stdout.

import type { Pool } from 'undici';
import { checkedRequest, tlsPool, type RequestSpec } from './request.js';
import { procCpuMs } from './proc-stat.js';
import { runWindow } from './window.js';

export interface Target extends RequestSpec {
  name: string;
  url: string;
  tls: { ca: string; cert: string; key: string }; // file paths
  serverPid?: number;
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
/** Before each slice: the previous target's last requests finish and this one ramps up, unmeasured. */
const SETTLE_MS = 150;

interface State { t: Target; pool: Pool; requests: number; seconds: number; cpuMs: number; slices: number[] }
const states: State[] = cfg.targets.map((t) => ({
  t,
  pool: tlsPool(t.url, t.tls, cfg.concurrency),
  requests: 0, seconds: 0, cpuMs: 0, slices: [],
}));

let errors = 0;
let firstError: string | undefined;

/** One window on one target (lib/window.ts), with the target server's CPU over it. */
async function slice(s: State, warmupMs: number, durationMs: number): Promise<{ requests: number; seconds: number; cpuMs: number }> {
  let cpu0: number | undefined;
  let cpu1: number | undefined;
  const w = await runWindow(() => checkedRequest(s.pool, s.t).catch((err: Error) => {
    throw new Error(`${s.t.name}: ${err.message}`);
  }), { concurrency: cfg.concurrency, warmupMs, durationMs }, {
    start: () => (cpu0 = procCpuMs(s.t.serverPid)),
    end: () => (cpu1 = procCpuMs(s.t.serverPid)),
  });
  errors += w.errors;
  firstError ??= w.firstError;
  return { requests: w.requests, seconds: w.seconds, cpuMs: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : NaN };
}

for (const s of states) await slice(s, cfg.warmupMs, SETTLE_MS);
for (let round = 0; round < cfg.rounds && errors === 0; round++) {
  // Rotate the order so no target always follows the same one.
  const order = states.map((_, i) => states[(i + round) % states.length]!);
  for (const s of order) {
    const r = await slice(s, SETTLE_MS, cfg.sliceMs);
    s.requests += r.requests;
    s.seconds += r.seconds;
    s.cpuMs += r.cpuMs;
    s.slices.push(r.requests / r.seconds);
  }
}
await Promise.all(states.map((s) => s.pool.close()));

const results: TargetResult[] = states.map((s) => ({
  name: s.t.name, requests: s.requests, seconds: s.seconds, rps: s.requests / s.seconds,
  cpuPerRequestUs: Number.isFinite(s.cpuMs) && s.requests ? (s.cpuMs * 1000) / s.requests : undefined,
  sliceMin: Math.min(...s.slices), sliceMax: Math.max(...s.slices),
}));
process.stdout.write(`${JSON.stringify({ results, errors, firstError } satisfies InterleaveResult)}\n`);
