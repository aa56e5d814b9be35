// The baseline for `npm run bench:etcd`: the raw etcd3 client against the same etcd, run as its own
// process, keeping `concurrency` operations in flight for a fixed window after a warm-up. A create
// is the transaction Opaque itself sends (put if the key does not exist) with a value of the size
// Opaque stores; a get is a linearizable range of one key. Prints one JSON line.

import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';
import { cpuMeter } from './proc-stat.js';
import { runWindow, type WindowResult } from './window.js';

export interface RawConfig {
  servers: string[];
  op: 'create' | 'get';
  /** create: key prefix for fresh keys; get: the key to read. */
  key: string;
  valueBytes: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** etcd's pid, to report its CPU use over the window apart from this client's. */
  storePid?: number;
}

/** CPU over the window in % of one core, as LoadResult: this client (loadCpu), etcd, the rest. */
export interface RawResult extends WindowResult {
  loadCpu: number; storeCpu?: number; otherCpu?: number;
}

const cfg = JSON.parse(process.argv[2]!) as RawConfig;
const client = new Etcd3({ hosts: cfg.servers });
const value = Buffer.alloc(cfg.valueBytes, 'x');
let seq = 0;

async function one(): Promise<void> {
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
}

const meter = cpuMeter({ store: cfg.storePid });
const w = await runWindow(one, cfg, meter);
const cpu = meter.shares(w.seconds);
const result: RawResult = { ...w, loadCpu: cpu.self, storeCpu: cpu.procs['store'], otherCpu: cpu.other };
client.close();
console.log(JSON.stringify(result));
