// `npm run bench`: Opaque's GET and create throughput against baselines, measured in one run.
//   1. GET one Secret from Opaque (HTTPS, client certificate, keep-alive) at fixed concurrency.
//   2. The same load against a bare node:https server with the same TLS setup serving the same bytes.
//   3. Creates (POST of small Secrets) through Opaque, and better-sqlite3's raw commit rate.
// Servers and the load generator each run in their own process (the load generator must not steal
// the server's event loop). Tunables: BENCH_CONCURRENCY (16), BENCH_DURATION_S (10), BENCH_WARMUP_S (3),
// BENCH_CPU_PROF=<dir> (writes a .cpuprofile of the Opaque process there on exit, see lib/cpu-prof.ts).
// Exits non-zero only when something failed (request errors, crashes), never for missed goals.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, startOpaque, type Opaque } from '../test/helpers/opaque.js';
import type { LoadConfig, LoadResult } from './lib/load.js';
import { runBench, spawnLib, stopAllChildren, stopChild, waitForLine } from './lib/proc.js';
import { CONCURRENCY, DURATION_MS, WARMUP_MS, checkSettings, opaqueEnv, runLoad } from './lib/settings.js';
import { sqliteInsertRate } from './lib/sqlite-insert.js';
import { createBenchSecret } from './lib/secret.js';

const SECRET = 'bench-get';
const GET_PATH = `/api/v1/namespaces/default/secrets/${SECRET}`;

let opaque: Opaque | undefined;
const work = mkdtempSync(join(tmpdir(), 'opaque-bench-'));

async function tearDown(): Promise<void> {
  await stopAllChildren();
  if (opaque) await cleanup(opaque);
  opaque = undefined;
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void tearDown().finally(() => process.exit(130)));
}

const load = (label: string, cfg: Omit<LoadConfig, 'concurrency' | 'warmupMs' | 'durationMs'>) => runLoad<LoadResult>(label, 'load.ts', cfg);

async function main(): Promise<void> {
  checkSettings();
  // Other work on the machine skews every figure: record how busy it was before we started.
  const loadBefore = loadavg()[0]!;
  opaque = await startOpaque({
    env: opaqueEnv(),
  });
  const pki = join(opaque.dataDir, 'pki');
  const tls = { ca: join(pki, 'ca.crt'), cert: join(pki, 'admin.crt'), key: join(pki, 'admin.key') };

  // The object under test, then its exact JSON representation, which the bare server will replay.
  const { body, contentType } = await createBenchSecret(opaque.url, tls, SECRET);
  const bodyFile = join(work, 'secret.json');
  writeFileSync(bodyFile, body);

  const getOpaque = await load('GET opaque', { url: opaque.url, method: 'GET', path: GET_PATH, tls, expectStatus: 200, expectBytes: body.length, serverPid: opaque.proc.pid });

  const bare = spawnLib('bare-server.ts', { cert: join(pki, 'serving.crt'), key: join(pki, 'serving.key'), ca: tls.ca, bodyFile, contentType });
  const port = (await waitForLine(bare, /listening (\d+)/))[1]!;
  const getBare = await load('GET bare', { url: `https://127.0.0.1:${port}`, method: 'GET', path: GET_PATH, tls, expectStatus: 200, expectBytes: body.length, serverPid: bare.proc.pid });
  await stopChild(bare.proc);

  const post = await load('POST opaque', { url: opaque.url, method: 'POST', path: '/api/v1/namespaces/default/secrets', tls, expectStatus: 201, serverPid: opaque.proc.pid });
  // Stop Opaque before the raw SQLite run so the two never compete for the disk or the CPU.
  const code = await opaque.stop();
  if (code !== 0) throw new Error(`opaque exited with ${code}: ${opaque.stderr()}`);
  process.stderr.write(`bench: raw better-sqlite3 inserts (${DURATION_MS / 1000}s)...\n`);
  const raw = sqliteInsertRate(work, WARMUP_MS, DURATION_MS);

  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const pc = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)}%`);
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(i ? 8 : 7) : c.padStart(i < 6 ? 14 : 12))).join('');
  console.log(`\nOpaque bench: ${CONCURRENCY} in flight on ${CONCURRENCY} keep-alive HTTPS connections (client cert), ` +
    `${WARMUP_MS / 1000}s warm-up, ${DURATION_MS / 1000}s measured; secret JSON ${body.length} bytes (${contentType}); ` +
    `1-min load average before the run ${loadBefore.toFixed(2)} on ${availableParallelism()} cores\n`);
  // CPU columns are % of one core (2 cores = 200%): a load generator near 100% means it, not the server,
  // was the limit; much "other" CPU means something else on the machine skewed that row.
  // Server CPU per request does not depend on who saturates first, so it is the steadier comparison.
  const us = (r: LoadResult) => (r.serverCpu === undefined ? undefined : (r.serverCpu * 1e4) / r.rps);
  console.log(row(['', 'server', 'req/s', 'p50', 'p99', 'requests', 'server CPU', 'loadgen CPU', 'other CPU', 'CPU µs/req']));
  for (const [op, name, r] of [['GET', 'opaque', getOpaque], ['GET', 'bare', getBare], ['CREATE', 'opaque', post]] as const) {
    const u = us(r);
    console.log(row([op, name, n(r.rps), ms(r.p50), ms(r.p99), n(r.requests), pc(r.serverCpu), pc(r.loadCpu), pc(r.otherCpu), u === undefined ? '-' : u.toFixed(1)]));
  }
  console.log(row(['INSERT', 'sqlite', n(raw.rps), '-', '-', n(raw.inserts), '-', '-', '-', '-']));
  const getRatio = getOpaque.rps / getBare.rps;
  const [uo, ub] = [us(getOpaque), us(getBare)];
  console.log(`\nGET     opaque ${n(getOpaque.rps)} req/s  bare ${n(getBare.rps)} req/s  ratio ${getRatio.toFixed(3)} (goal >= 0.5: ${getRatio >= 0.5 ? 'met' : 'not met'})` +
    (uo && ub ? `; server CPU per request bare/opaque ${(ub / uo).toFixed(3)}` : ''));
  console.log(`CREATE  opaque ${n(post.rps)} creates/s  raw sqlite ${n(raw.rps)} inserts/s  ratio ${(post.rps / raw.rps).toFixed(3)}`);
}

await runBench(main, tearDown);
