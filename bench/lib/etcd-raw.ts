// The baseline for `npm run bench:etcd`: the raw etcd3 client against the same etcd, run as its own
// process, keeping `concurrency` operations in flight for a fixed window after a warm-up. A create
// is the transaction Opaque itself sends (put if the key does not exist) with a value of the size
// Opaque stores; a get is a linearizable range of one key. Prints one JSON line.

import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';
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
}

export type RawResult = WindowResult;

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

const result: RawResult = await runWindow(one, cfg);
client.close();
console.log(JSON.stringify(result));
