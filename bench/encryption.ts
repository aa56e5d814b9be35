// `npm run bench:encryption`: what encryption at rest costs, measured in one run through the real server.
//   1. Per provider (identity, aescbc, aesgcm, secretbox, kms v2 through `opaque kms-plugin`): creates/s,
//      GETs/s of one Secret (the server answers repeated GETs of an unchanged object from its decoded-
//      object cache, so this is what clients see, not the decryption cost) and LIST items/s (a LIST
//      decrypts every item: the read cost of the provider), each as a ratio to identity.
//   2. `opaque encryption reencrypt` of N Secrets (BENCH_REENCRYPT_N, default 100,000) from one secretbox
//      key to another, against better-sqlite3 alone reading and rewriting the same rows (same pragmas,
//      one fsynced transaction per row, as the server's rewrites are), run right before and right after
//      the server on copies of the same database (the rate over both runs). The server commits the
//      rewrites that meet together (group commit), so the raw rate with 32 rows per transaction is
//      printed as well.
// Goals: secretbox and aesgcm within 10% of identity, kms v2 within 25%; reencrypt >= 0.5 of raw.
// The five servers run side by side and are measured interleaved (lib/interleave.ts): BENCH_ROUNDS
// rounds of one BENCH_SLICE_S slice per provider, the order rotating every round, so slow moments of
// a shared machine (a long disk flush, another process) fall on every provider alike. The server's
// CPU per operation is printed too.
// Tunables: BENCH_CONCURRENCY (16), BENCH_SLICE_S (1), BENCH_WARMUP_S (1, per server), BENCH_LIST_ITEMS (100),
// BENCH_ROUNDS (8; 0 skips part 1), BENCH_REENCRYPT_N (100000; 0 skips part 2), BENCH_CPU_PROF=<dir> (a
// .cpuprofile of the server that re-encrypts, see lib/cpu-prof.ts). Exits non-zero only when something failed.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { cleanup, startOpaque, type Opaque } from '../test/helpers/opaque.js';
import { type KmsPlugin, kmsProvider, startKmsPlugin, writeEncryptionConfig } from '../test/helpers/kms-plugin.js';
import type { InterleaveConfig, InterleaveResult, Target, TargetResult } from './lib/interleave.js';
import { runBench, spawnLib, stopAllChildren } from './lib/proc.js';
import { fillDatabase, rawRewriteRate, secretboxConfig } from './lib/reencrypt-data.js';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const SLICE_MS = Number(process.env['BENCH_SLICE_S'] ?? 1) * 1000;
const WARMUP_MS = Number(process.env['BENCH_WARMUP_S'] ?? 1) * 1000;
const LIST_ITEMS = Number(process.env['BENCH_LIST_ITEMS'] ?? 100);
const REENCRYPT_N = Number(process.env['BENCH_REENCRYPT_N'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);
const PROF_DIR = process.env['BENCH_CPU_PROF'] ? resolve(process.env['BENCH_CPU_PROF']) : undefined;

const work = mkdtempSync(join(tmpdir(), 'opaque-bench-enc-'));
let opaque: Opaque | undefined;
const servers: Opaque[] = [];
let plugin: KmsPlugin | undefined;

async function tearDown(): Promise<void> {
  await stopAllChildren();
  if (opaque) await cleanup(opaque);
  opaque = undefined;
  for (const o of servers.splice(0)) await cleanup(o);
  await plugin?.stop();
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void tearDown().finally(() => process.exit(130)));

const key = (n: number) => Buffer.alloc(32, n).toString('base64');
const PROVIDERS: [string, () => string][] = [
  ['identity', () => 'identity: {}'],
  ['aescbc', () => `aescbc:\n  keys:\n    - name: k1\n      secret: ${key(1)}`],
  ['aesgcm', () => `aesgcm:\n  keys:\n    - name: k1\n      secret: ${key(2)}`],
  ['secretbox', () => `secretbox:\n  keys:\n    - name: k1\n      secret: ${key(3)}`],
  ['kms v2', () => kmsProvider('bench', plugin!.socket)],
];

interface Row { provider: string; create: TargetResult; get: TargetResult; list: TargetResult }

function tlsOf(o: Opaque) {
  const pki = join(o.dataDir, 'pki');
  return { ca: join(pki, 'ca.crt'), cert: join(pki, 'admin.crt'), key: join(pki, 'admin.key') };
}

function client(o: Opaque): Agent {
  const t = tlsOf(o);
  return new Agent({ connect: { ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key) } });
}

async function call(o: Opaque, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await request(`${o.url}${path}`, { method: method as 'GET', dispatcher: agent, headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.statusCode, text: await r.body.text() };
}

const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { app: 'bench' } }, type: 'Opaque',
  data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from(`pw-${name}`).toString('base64') } });

/** A server with `provider` first, the LIST namespace filled and the GET Secret created. */
interface Started { name: string; o: Opaque; getBytes: number; listBytes: number }

async function startProvider(name: string, provider: string): Promise<Started> {
  const cfg = join(work, `${name.replace(/\W/g, '')}.yaml`);
  writeEncryptionConfig(cfg, [provider]);
  const o = await startOpaque({ args: ['--encryption-provider-config', cfg] });
  servers.push(o);
  const agent = client(o);
  const must = async (p: Promise<{ status: number; text: string }>, want: number) => {
    const r = await p;
    if (r.status !== want) throw new Error(`${name}: ${r.status} ${r.text}`);
    return r;
  };
  await must(call(o, agent, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-list' } }), 201);
  for (let i = 0; i < LIST_ITEMS; i++) await must(call(o, agent, 'POST', '/api/v1/namespaces/bench-list/secrets', secret(`item-${i}`)), 201);
  await must(call(o, agent, 'POST', '/api/v1/namespaces/default/secrets', secret('bench-get')), 201);
  const getBytes = Buffer.byteLength((await must(call(o, agent, 'GET', GET_PATH), 200)).text);
  const listBytes = Buffer.byteLength((await must(call(o, agent, 'GET', LIST_PATH), 200)).text);
  await agent.close();
  return { name, o, getBytes, listBytes };
}

const GET_PATH = '/api/v1/namespaces/default/secrets/bench-get';
const LIST_PATH = '/api/v1/namespaces/bench-list/secrets';

/** Every provider's server side by side, each load measured interleaved across them. */
async function measureProviders(): Promise<Row[]> {
  const started: Started[] = [];
  for (const [name, provider] of PROVIDERS) started.push(await startProvider(name, provider()));
  const loads: [keyof Omit<Row, 'provider'>, (s: Started) => Omit<Target, 'name' | 'url' | 'tls' | 'serverPid'>][] = [
    // Reads first: a LIST carries the current revision, whose length the creates would change.
    ['get', (s) => ({ method: 'GET', path: GET_PATH, expectStatus: 200, expectBytes: s.getBytes })],
    ['list', (s) => ({ method: 'GET', path: LIST_PATH, expectStatus: 200, expectBytes: s.listBytes })],
    ['create', () => ({ method: 'POST', path: '/api/v1/namespaces/default/secrets', expectStatus: 201 })],
  ];
  const by = new Map<string, Partial<Row>>(started.map((s) => [s.name, { provider: s.name }]));
  for (const [kind, target] of loads) {
    process.stderr.write(`bench: ${kind}, ${started.length} servers interleaved (${CONCURRENCY} in flight, ${ROUNDS} rounds of ${SLICE_MS / 1000}s slices)...\n`);
    const cfg: InterleaveConfig = {
      concurrency: CONCURRENCY, warmupMs: WARMUP_MS, sliceMs: SLICE_MS, rounds: ROUNDS,
      targets: started.map((s) => ({ name: s.name, url: s.o.url, tls: tlsOf(s.o), serverPid: s.o.proc.pid, ...target(s) })),
    };
    const child = spawnLib('interleave.ts', cfg);
    await child.exited;
    const r = JSON.parse(child.stdout().trim().split('\n').pop()!) as InterleaveResult;
    if (r.errors) throw new Error(`${kind}: ${r.errors} failed requests, first: ${r.firstError}`);
    for (const t of r.results) by.get(t.name)![kind] = t;
  }
  for (const o of servers.splice(0)) {
    const code = await o.stop();
    if (code !== 0) throw new Error(`opaque exited with ${code}: ${o.stderr()}`);
    await cleanup(o);
  }
  return [...by.values()] as Row[];
}

async function measureReencrypt(): Promise<{ n: number; seconds: number; rps: number; raw: ReturnType<typeof rawRewriteRate>; rawRuns: number[]; grouped: ReturnType<typeof rawRewriteRate> }> {
  const dataDir = join(work, 'reencrypt');
  mkdirSync(dataDir, { mode: 0o700 });
  const oldKey = { name: 'old', secret: key(7) };
  const newKey = { name: 'new', secret: key(8) };
  process.stderr.write(`bench: writing ${REENCRYPT_N} secretbox-encrypted Secrets...\n`);
  await fillDatabase(dataDir, secretboxConfig([oldKey]), REENCRYPT_N, (s) => process.stderr.write(`bench: ${s}\n`));
  copyFileSync(join(dataDir, 'opaque.db'), join(work, 'raw-before.db'));
  copyFileSync(join(dataDir, 'opaque.db'), join(work, 'raw-after.db'));
  copyFileSync(join(dataDir, 'opaque.db'), join(work, 'raw-grouped.db'));
  // The disk is shared: measure the raw rate right before and right after the server, and use both.
  process.stderr.write('bench: raw better-sqlite3 read + rewrite of the same rows (before)...\n');
  const before = rawRewriteRate(join(work, 'raw-before.db'));

  const cfg = join(work, 'reencrypt.yaml');
  writeFileSync(cfg, secretboxConfig([newKey, oldKey]), { mode: 0o600 });
  opaque = await startOpaque({
    dataDir, args: ['--encryption-provider-config', cfg],
    env: PROF_DIR ? { BENCH_CPU_PROF: PROF_DIR, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import tsx --import ${fileURLToPath(new URL('lib/cpu-prof.ts', import.meta.url))}` } : {},
  });
  const agent = client(opaque);
  process.stderr.write(`bench: opaque encryption reencrypt of ${REENCRYPT_N} Secrets...\n`);
  const t0 = performance.now();
  const r = await request(`${opaque.url}/opaque/v1/encryption/reencrypt`, { method: 'POST', dispatcher: agent, headersTimeout: 0, bodyTimeout: 0 });
  let last = '';
  let buf = '';
  for await (const chunk of r.body) {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.trim()) last = l;
  }
  const seconds = (performance.now() - t0) / 1000;
  await agent.close();
  const done = JSON.parse(last) as { phase: string; rewritten: number; failed: number };
  if (done.phase !== 'done' || done.failed || done.rewritten !== REENCRYPT_N) throw new Error(`reencrypt ended with ${last}`);
  await cleanup(opaque);
  opaque = undefined;
  process.stderr.write('bench: raw better-sqlite3 read + rewrite of the same rows (after)...\n');
  const afterRaw = rawRewriteRate(join(work, 'raw-after.db'));
  // The server commits the rewrites that meet (up to 32 in flight) together: the same grouping, raw.
  process.stderr.write('bench: raw better-sqlite3 read + rewrite, 32 rows per transaction...\n');
  const grouped = rawRewriteRate(join(work, 'raw-grouped.db'), 32);
  const rows = before.rows + afterRaw.rows;
  const rawSeconds = before.seconds + afterRaw.seconds;
  return { n: REENCRYPT_N, seconds, rps: REENCRYPT_N / seconds, raw: { rows, seconds: rawSeconds / 2, rps: rows / rawSeconds }, rawRuns: [before.rps, afterRaw.rps], grouped };
}

async function main(): Promise<void> {
  if (!(Number.isInteger(CONCURRENCY) && CONCURRENCY > 0 && SLICE_MS > 0 && WARMUP_MS >= 0 && LIST_ITEMS > 0 && REENCRYPT_N >= 0 && Number.isInteger(ROUNDS) && ROUNDS >= 0)) {
    throw new Error('BENCH_CONCURRENCY and BENCH_LIST_ITEMS must be positive, BENCH_SLICE_S > 0, BENCH_WARMUP_S >= 0, BENCH_ROUNDS and BENCH_REENCRYPT_N >= 0');
  }
  const loadBefore = loadavg()[0]!;
  plugin = await startKmsPlugin(join(work, 'kms.sock'), join(work, 'kek.yaml'));
  const rows = ROUNDS === 0 ? [] : await measureProviders();
  await plugin.stop();
  plugin = undefined;
  const re = REENCRYPT_N > 0 ? await measureReencrypt() : undefined;

  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  if (rows.length) printProviders(rows, loadBefore, n);
  if (re) {
    const ratio = re.rps / re.raw.rps;
    console.log(`\nREENCRYPT ${n(re.n)} Secrets (secretbox key to key): opaque ${n(re.rps)}/s (${re.seconds.toFixed(1)} s), ` +
      `raw better-sqlite3 read+rewrite ${n(re.raw.rps)}/s (before ${n(re.rawRuns[0]!)}/s, after ${n(re.rawRuns[1]!)}/s), ratio ${ratio.toFixed(3)} (goal >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})` +
      `; raw with 32 rows per transaction ${n(re.grouped.rps)}/s, ratio ${(re.rps / re.grouped.rps).toFixed(3)}`);
  }
}

function printProviders(rows: Row[], loadBefore: number, n: (x: number) => string): void {
  const cell = (v: string, w: number) => v.padStart(w);
  console.log(`\nOpaque encryption bench: ${CONCURRENCY} in flight on keep-alive HTTPS connections (client cert); the five servers measured ` +
    `interleaved, ${ROUNDS} rounds of ${SLICE_MS / 1000}s slices each; LIST of ${LIST_ITEMS} Secrets (every item decrypted; a GET of an unchanged ` +
    `Secret is served from the decoded-object cache); 1-min load average before the run ${loadBefore.toFixed(2)} on ${availableParallelism()} cores\n`);
  const us = (r: TargetResult, per = 1) => (r.cpuPerRequestUs === undefined ? '-' : (r.cpuPerRequestUs / per).toFixed(1));
  console.log(['provider'.padEnd(10), cell('creates/s', 11), cell('ratio', 7), cell('slices', 13), cell('GETs/s', 9), cell('ratio', 7), cell('LIST items/s', 14), cell('ratio', 7),
    cell('goal (create, GET)', 26), cell('server CPU µs per create / GET / LIST item', 46)].join(''));
  const id = rows[0]!;
  const goals: Record<string, number> = { secretbox: 0.9, aesgcm: 0.9, 'kms v2': 0.75 };
  for (const r of rows) {
    const rc = r.create.rps / id.create.rps;
    const rg = r.get.rps / id.get.rps;
    const rl = r.list.rps / id.list.rps;
    const goal = goals[r.provider];
    const verdict = goal === undefined ? '' : `>= ${goal.toFixed(2)}: ${Math.min(rc, rg) >= goal ? 'met' : 'NOT met'}`;
    console.log([r.provider.padEnd(10), cell(n(r.create.rps), 11), cell(rc.toFixed(3), 7), cell(`${n(r.create.sliceMin)}-${n(r.create.sliceMax)}`, 13),
      cell(n(r.get.rps), 9), cell(rg.toFixed(3), 7), cell(n(r.list.rps * LIST_ITEMS), 14), cell(rl.toFixed(3), 7), cell(verdict, 26),
      cell(`${us(r.create)} / ${us(r.get)} / ${us(r.list, LIST_ITEMS)}`, 46)].join(''));
  }
  console.log('(slices: the slowest and fastest create slice, creates/s — how much the machine drifted during the run)');
}

await runBench(main, tearDown);
