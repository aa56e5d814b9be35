// The baseline for `npm run bench:etcd`: the raw etcd3 client against the same etcd, run as its own
// process, keeping `concurrency` operations in flight for a fixed window after a warm-up. A create
// is the transaction Opaque itself sends (put if the key does not exist) with a value of the size
// Opaque stores; a get is a linearizable range of one key. Prints one JSON line.

import { performance } from 'node:perf_hooks';
import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';

export interface RawConfig {
  servers: string[];
  op: 'create' | 'get';
  /** create: key prefix for fresh keys; get: the key to read. */
  key: string;
  valueBytes: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface RawResult {
  ops: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

const cfg = JSON.parse(process.argv[2]!) as RawConfig;
const client = new Etcd3({ hosts: cfg.servers });
const value = Buffer.alloc(cfg.valueBytes, 'x');
let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;
let seq = 0;

async function one(): Promise<void> {
  const t0 = performance.now();
  const started = phase;
  try {
    if (cfg.op === 'create') {
      const key = Buffer.from(`${cfg.key}${process.pid}-${seq++}`);
      const res = await client.kv.txn({
        compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key, value } }],
        failure: [{ request_range: { key } }],
      });
      if (!res.succeeded) throw new Error('create compare failed');
    } else {
      const res = await client.kv.range({ key: Buffer.from(cfg.key) });
      if (res.kvs.length !== 1) throw new Error('key not found');
    }
    if (started === 'measure' && phase === 'measure') latencies.push(performance.now() - t0);
  } catch (err) {
    errors++;
    firstError ??= (err as Error).message;
  }
}

async function worker(): Promise<void> {
  while (phase !== 'stop' && errors < 100) await one();
}

const workers = Array.from({ length: cfg.concurrency }, worker);
await new Promise((r) => setTimeout(r, cfg.warmupMs));
phase = 'measure';
const start = performance.now();
await new Promise((r) => setTimeout(r, cfg.durationMs));
phase = 'stop';
const seconds = (performance.now() - start) / 1000;
await Promise.all(workers);
client.close();
latencies.sort((a, b) => a - b);
const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : NaN);
const result: RawResult = { ops: latencies.length, seconds, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors, firstError };
console.log(JSON.stringify(result));
