// Load generator, run as its own process so it never shares an event loop with the server under test.
// Keeps exactly `concurrency` requests in flight on `concurrency` keep-alive TLS connections (undici
// Pool, pipelining 1), warms up (handshakes, JIT), then counts the requests that complete inside a
// fixed window. Prints one JSON line (LoadResult) on stdout.

import { checkedRequest, tlsPool, type RequestSpec } from './request.js';
import { machineCpuMs, procCpuMs } from './proc-stat.js';
import { runWindow, type WindowResult } from './window.js';

export interface LoadConfig extends RequestSpec {
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  tls: { ca: string; cert: string; key: string }; // file paths
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
const pool = tlsPool(cfg.url, cfg.tls, cfg.concurrency);
const one = () => checkedRequest(pool, cfg);

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
