// Load generator, run as its own process so it never shares an event loop with the server under test.
// Keeps exactly `concurrency` requests in flight on `concurrency` keep-alive TLS connections (undici
// Pool, pipelining 1), warms up (handshakes, JIT), then counts the requests that complete inside a
// fixed window. Prints one JSON line (LoadResult) on stdout.

import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { secretBody } from './secret.js';
import { machineCpuMs, procCpuMs } from './proc-stat.js';
import { runWindow, type WindowResult } from './window.js';

export interface LoadConfig {
  url: string;
  method: 'GET' | 'POST';
  /** GET: this path; POST: the collection path (each request creates a fresh object). */
  path: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  tls: { ca: string; cert: string; key: string }; // file paths
  expectStatus: number;
  /** GET: the exact body length every response must have (catches wrong or truncated answers). */
  expectBytes?: number;
  /** The server's pid, to report its CPU use over the window (Linux /proc; omitted elsewhere). */
  serverPid?: number;
}

export interface LoadResult extends WindowResult {
  /** CPU use over the window in % of one core: tells whether the server or the load generator was the limit. */
  serverCpu?: number; loadCpu: number;
  /** CPU used by everything else on the machine over the window (same unit): other work skews the figures. */
  otherCpu?: number;
}

const cfg = JSON.parse(process.argv[2]!) as LoadConfig;
const pool = new Pool(cfg.url, {
  connections: cfg.concurrency,
  pipelining: 1,
  connect: { ca: readFileSync(cfg.tls.ca), cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) },
});


let seq = 0;

async function one(): Promise<void> {
  const post = cfg.method === 'POST';
  const res = await pool.request({
    path: cfg.path, method: cfg.method,
    headers: post ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    body: post ? secretBody(`bench-${process.pid}-${seq++}`) : undefined,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== cfg.expectStatus || (cfg.expectBytes !== undefined && body.length !== cfg.expectBytes)) {
    throw new Error(`status ${res.statusCode}, ${body.length} bytes: ${body.toString('utf8', 0, 200)}`);
  }
}

let cpu0 = process.cpuUsage();
let cpu = cpu0;
let server0: number | undefined;
let server1: number | undefined;
let machine0: number | undefined;
let machine1: number | undefined;
const w = await runWindow(one, cfg, {
  start() {
    cpu0 = process.cpuUsage();
    server0 = procCpuMs(cfg.serverPid);
    machine0 = machineCpuMs();
  },
  end() {
    cpu = process.cpuUsage(cpu0);
    server1 = procCpuMs(cfg.serverPid);
    machine1 = machineCpuMs();
  },
});
await pool.close();

const result: LoadResult = {
  ...w,
  loadCpu: (cpu.user + cpu.system) / 10 / w.seconds / 1000,
  serverCpu: server0 !== undefined && server1 !== undefined ? (server1 - server0) / 10 / w.seconds : undefined,
};
if (machine0 !== undefined && machine1 !== undefined && result.serverCpu !== undefined) {
  result.otherCpu = Math.max(0, (machine1 - machine0) / 10 / w.seconds - result.serverCpu - result.loadCpu);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
