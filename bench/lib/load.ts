// Load generator, run as its own process so it never shares an event loop with the server under test.
// Keeps exactly `concurrency` requests in flight on `concurrency` keep-alive TLS connections (undici
// Pool, pipelining 1), warms up (handshakes, JIT), then counts the requests that complete inside a
// fixed window. Prints one JSON line (LoadResult) on stdout.

import { checkedRequest, tlsPool, type RequestSpec } from './request.js';
import { cpuMeter } from './proc-stat.js';
import { runWindow, type WindowResult } from './window.js';

export interface LoadConfig extends RequestSpec {
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  tls: { ca: string; cert: string; key: string }; // file paths
  /** The server's pid, to report its CPU use over the window (Linux /proc; omitted elsewhere). */
  serverPid?: number;
  /** The storage process behind the server (etcd), reported apart from "other". */
  storePid?: number;
}

export interface LoadResult extends WindowResult {
  /** CPU use over the window in % of one core: tells whether the server or the load generator was the limit. */
  serverCpu?: number; loadCpu: number; storeCpu?: number;
  /** CPU used by everything else on the machine over the window (same unit): other work skews the figures. */
  otherCpu?: number;
}

const cfg = JSON.parse(process.argv[2]!) as LoadConfig;
const pool = tlsPool(cfg.url, cfg.tls, cfg.concurrency);
const one = () => checkedRequest(pool, cfg);

const meter = cpuMeter({ server: cfg.serverPid, ...(cfg.storePid ? { store: cfg.storePid } : {}) });
const w = await runWindow(one, cfg, meter);
await pool.close();

const cpu = meter.shares(w.seconds);
const result: LoadResult = { ...w, loadCpu: cpu.self, serverCpu: cpu.procs['server'], storeCpu: cpu.procs['store'], otherCpu: cpu.other };
process.stdout.write(`${JSON.stringify(result)}\n`);
