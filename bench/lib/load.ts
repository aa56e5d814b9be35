// Load generator, run as its own process so it never shares an event loop with the server under test.
// Keeps exactly `concurrency` requests in flight on `concurrency` keep-alive TLS connections (undici
// Pool, pipelining 1), warms up (handshakes, JIT), then counts the requests that complete inside a
// fixed window. Prints one JSON line (LoadResult) on stdout.

import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
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

/** Busy time of the whole machine in ms, from /proc/stat (all CPUs, USER_HZ = 100). */
function machineCpuMs(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 10;
  } catch {
    return undefined;
  }
}

/** utime+stime of a process in ms, from /proc/<pid>/stat (clock ticks, USER_HZ = 100 on Linux). */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

const cfg = JSON.parse(process.argv[2]!) as LoadConfig;
const pool = new Pool(cfg.url, {
  connections: cfg.concurrency,
  pipelining: 1,
  connect: { ca: readFileSync(cfg.tls.ca), cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) },
});

// A small Secret like the ones real clients write: two short keys.
const secretBody = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { app: 'bench' } }, type: 'Opaque',
  data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from(name).toString('base64') },
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
