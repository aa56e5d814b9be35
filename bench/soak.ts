// `npm run soak` (not in CI): many clients mixing every verb, and long-lived watches, for minutes
// against each storage engine in turn; proves the server stays closed — flat memory, no errors, no
// lost writes, watches in order without gaps.
//   1. A real server per engine (SQLite; then etcd: one member started here), namespaces soak-0..N-1,
//      one non-admin user per namespace (client certificate from the data dir CA, bound to the
//      `admin` ClusterRole there), a ServiceAccount and a few shared ("hot") Secrets in each.
//   2. SOAK_CLIENTS clients (admins and the users, each on its own keep-alive HTTPS connection) do a
//      random mix: create, get, list (label selectors, limit/continue), PUT with resourceVersion (409
//      is an expected outcome, counted as a conflict), merge/strategic/json patch, server-side apply,
//      delete, deletecollection of their own label, ServiceAccounts, TokenRequests, namespaces;
//      Secrets of 100 B to 200 KB. Every read of an owned Secret is checked against its last
//      acknowledged write. SOAK_WATCHES watchers hold watches, re-opened when the server ends them.
//   3. Every 10 s: elapsed, server RSS (/proc/<pid>/status), requests/s, errors so far.
//   4. At the end: every acknowledged write read back (lost writes), every acknowledged write checked
//      against what each watcher of its namespace got, the server's log scanned for error/fatal
//      lines; a table per verb, watch figures, RSS start/min/max/end and the verdict on memory.
// Tunables: SOAK_ENGINES (sqlite,etcd), SOAK_MINUTES (10), SOAK_CLIENTS (200), SOAK_WATCHES
// (clients/6, at least 4), SOAK_NAMESPACES (8), SOAK_THINK_MS (10: mean pause between a client's requests).
// Exits non-zero on any error, lost write, watch gap or memory that is not flat.

import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from 'undici';
import { issueCertificate, loadCA } from '../src/pki/certs.js';
import { cleanup, startOpaque, type Opaque } from '../test/helpers/opaque.js';
import { startEtcd, type EtcdCluster } from '../test/helpers/etcd.js';
import { newClient, SoakClient, type Tls } from './lib/soak-clients.js';
import { Watcher } from './lib/soak-watcher.js';
import { call, contentHash, Ledger, pct, Stats } from './lib/soak-state.js';

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!(v > 0)) throw new Error(`${name} must be a positive number`);
  return v;
};
const ENGINES = (process.env['SOAK_ENGINES'] ?? 'sqlite,etcd').split(',').map((s) => s.trim()).filter(Boolean);
const MINUTES = num('SOAK_MINUTES', 10);
const CLIENTS = Math.round(num('SOAK_CLIENTS', 200));
const WATCHES = Math.round(num('SOAK_WATCHES', Math.max(4, Math.round(CLIENTS / 6))));
const NAMESPACES = Math.round(num('SOAK_NAMESPACES', 8));
const THINK_MS = Number(process.env['SOAK_THINK_MS'] ?? 10);
const HOT = 4;
const FLAT_BYTES = 50 * 1024 * 1024;
const FLAT_FRACTION = 0.1;
for (const e of ENGINES) if (e !== 'sqlite' && e !== 'etcd') throw new Error(`SOAK_ENGINES: unknown engine ${e} (sqlite, etcd)`);

let opaque: Opaque | undefined;
let etcd: EtcdCluster | undefined;

async function tearDown(): Promise<void> {
  if (opaque) await cleanup(opaque);
  opaque = undefined;
  await etcd?.stop();
  etcd = undefined;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void tearDown().finally(() => process.exit(130)));
}

function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const mb = (b: number | undefined) => (b === undefined ? '-' : `${(b / 1024 / 1024).toFixed(1)} MB`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's log lines at level error (50) or fatal (60), and lines that are not pino's JSON. */
function scanLog(text: string): { errors: string[]; other: string[]; warnings: string[] } {
  const errors: string[] = [];
  const other: string[] = [];
  const warnings: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: { level?: number } | undefined;
    try {
      rec = JSON.parse(line);
    } catch {
      rec = undefined;
    }
    if (!rec || typeof rec.level !== 'number') {
      // Node's own process warnings are not the server's errors.
      if (!/^\(node:\d+\) \w*Warning|^\(Use `node --trace-/.test(line)) other.push(line);
      continue;
    }
    if (rec.level >= 50) errors.push(line);
    else if (rec.level >= 40) warnings.push(line);
  }
  return { errors, other, warnings };
}

interface Sample {
  t: number;
  rss: number;
}

/** Least-squares slope of RSS over time (bytes per second). */
function slope(xs: Sample[]): number {
  if (xs.length < 2) return 0;
  const n = xs.length;
  const mt = xs.reduce((s, x) => s + x.t, 0) / n;
  const mr = xs.reduce((s, x) => s + x.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of xs) {
    num += (x.t - mt) * (x.rss - mr);
    den += (x.t - mt) ** 2;
  }
  return den ? num / den : 0;
}

async function adminSetup(stats: Stats, admin: Client, ledger: Ledger): Promise<void> {
  const must = async (what: string, method: string, path: string, body: unknown, ok = [200, 201]) => {
    const r = await call(stats, admin, 'setup', method, path, { body, ok });
    if (!r) throw new Error(`setup: ${what} failed: ${stats.problems.at(-1)}`);
    return r;
  };
  for (let i = 0; i < NAMESPACES; i++) {
    const ns = `soak-${i}`;
    await must(`namespace ${ns}`, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await must(`rolebinding in ${ns}`, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'soak-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `soak-user-${i}` }],
    });
    await must(`serviceaccount in ${ns}`, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'soak' } });
    for (let h = 0; h < HOT; h++) {
      const r = await must(`hot-${h} in ${ns}`, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: `hot-${h}`, labels: { soak: 'true', 'soak-size': 'small', 'soak-hot': 'true' } },
        data: { seed: Buffer.from(`hot ${h}`).toString('base64') },
      });
      ledger.wrote(ns, r.json, true);
    }
  }
}

interface EngineResult {
  engine: string;
  failed: boolean;
}

async function soakEngine(engine: string): Promise<EngineResult> {
  const tag = `[${engine}]`;
  process.stderr.write(`soak ${tag}: starting the server${engine === 'etcd' ? ' on a 1-member etcd' : ''}...\n`);
  if (engine === 'etcd') {
    etcd = await startEtcd(1);
    opaque = await startOpaque({ args: ['--etcd-servers', etcd.endpoints], env: { OPAQUE_TEST_BACKEND: '' } });
  } else {
    opaque = await startOpaque({ env: { OPAQUE_TEST_BACKEND: '' } });
  }
  const o = opaque;
  const pki = join(o.dataDir, 'pki');
  const caPem = readFileSync(join(pki, 'ca.crt'));
  const adminTls: Tls = { ca: caPem, cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  const ca = await loadCA(caPem.toString('utf8'), readFileSync(join(pki, 'ca.key'), 'utf8'));
  const userTls: Tls[] = [];
  for (let i = 0; i < NAMESPACES; i++) {
    const pair = await issueCertificate(ca, { commonName: `soak-user-${i}`, organizations: ['soak-users'], usage: 'client' });
    userTls.push({ ca: caPem, cert: pair.cert, key: pair.key });
  }

  const stats = new Stats();
  const ledger = new Ledger();
  const admin = newClient(o.url, adminTls);
  await adminSetup(stats, admin, ledger);
  // Role bindings reach the authorizer through its informer: wait until every user is allowed.
  for (let i = 0; i < NAMESPACES; i++) {
    const c = newClient(o.url, userTls[i]!);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await c.request({ path: `/api/v1/namespaces/soak-${i}/secrets?limit=1`, method: 'GET' });
      await r.body.dump();
      if (r.statusCode === 200) break;
      if (Date.now() > deadline) throw new Error(`soak-user-${i} is still refused (${r.statusCode}) in soak-${i}`);
      await sleep(100);
    }
    await c.close();
  }
  const setupRequests = stats.requests;

  const hot = Array.from({ length: HOT }, (_, h) => `hot-${h}`);
  const clients = Array.from({ length: CLIENTS }, (_, id) => {
    const n = id % NAMESPACES;
    const isAdmin = Math.floor(id / NAMESPACES) % 3 === 0;
    return new SoakClient(id, `soak-${n}`, isAdmin, newClient(o.url, isAdmin ? adminTls : userTls[n]!), stats, ledger, hot);
  });
  const watchers = Array.from({ length: WATCHES }, (_, id) => {
    const n = id % NAMESPACES;
    const isAdmin = Math.floor(id / NAMESPACES) % 2 === 0;
    return new Watcher(id, `soak-${n}`, newClient(o.url, isAdmin ? adminTls : userTls[n]!, true), stats, [20, 60]);
  });

  const pid = o.proc.pid;
  const etcdPid = etcd?.members[0]?.proc?.pid;
  const samples: Sample[] = [];
  const etcdRss: number[] = [];
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const sample = () => {
    const r = rssBytes(pid);
    if (r !== undefined) samples.push({ t: elapsed(), rss: r });
    const e = rssBytes(etcdPid);
    if (e !== undefined) etcdRss.push(e);
  };
  sample();
  const sampler = setInterval(sample, 1000);
  let lastReq = stats.requests;
  let lastT = 0;
  const logErrorsSoFar = () => scanLog(o.stderr()).errors.length;
  const progress = setInterval(() => {
    const t = elapsed();
    const rps = (stats.requests - lastReq) / (t - lastT);
    [lastReq, lastT] = [stats.requests, t];
    const errs = stats.errors + logErrorsSoFar();
    const extra = etcdPid ? `  etcd RSS ${mb(etcdRss.at(-1))}` : '';
    console.log(`${tag} ${t.toFixed(0).padStart(5)} s  RSS ${mb(samples.at(-1)?.rss).padStart(9)}${extra}  ${rps.toFixed(0).padStart(5)} req/s  ` +
      `errors ${errs}  conflicts ${[...stats.verbs.values()].reduce((s, v) => s + v.conflicts, 0)}  lost ${stats.lostWrites}  mismatches ${stats.readMismatches}  ` +
      `watch events ${stats.watchEvents}  objects ${[...ledger.recs.values()].filter((r) => !r.deleted).length}`);
  }, 10_000);

  process.stderr.write(`soak ${tag}: ${CLIENTS} clients, ${WATCHES} watches, ${NAMESPACES} namespaces, ${MINUTES} min...\n`);
  for (const w of watchers) w.start();
  let stopped = false;
  const running = clients.map((c) => c.run(() => stopped, THINK_MS));
  await sleep(MINUTES * 60_000);
  stopped = true;
  await Promise.all(running);
  const loadSeconds = elapsed();
  clearInterval(progress);

  // Every watcher must reach the newest acknowledged write of its namespace.
  const drainUntil = Date.now() + 20_000;
  while (Date.now() < drainUntil && !watchers.every((w) => w.caughtUp(ledger.maxAcked.get(w.ns) ?? 0))) await sleep(100);
  const behind = watchers.filter((w) => !w.caughtUp(ledger.maxAcked.get(w.ns) ?? 0));
  for (const w of behind) {
    stats.watchGaps++;
    stats.problem('watch behind', `watcher ${w.id} on ${w.ns} did not reach rv ${ledger.maxAcked.get(w.ns)} within 20 s of the end of the load`);
  }
  await Promise.all(watchers.map((w) => w.stop()));
  clearInterval(sampler);
  for (const w of watchers) {
    for (const m of w.missing(ledger.acked.get(w.ns))) {
      stats.watchGaps++;
      stats.problem('watch gap', `watcher ${w.id} on ${w.ns} never got the event of the acknowledged write of ${m.name} at rv ${m.rv}`);
    }
  }

  // The final read-back: every acknowledged write is there as acknowledged, or deleted as acknowledged.
  let verified = 0;
  let unverifiable = 0;
  let unacknowledged = 0;
  for (let i = 0; i < NAMESPACES; i++) {
    const ns = `soak-${i}`;
    const items = new Map<string, any>();
    let cont = '';
    do {
      const r = await call(stats, admin, 'list', 'GET', `/api/v1/namespaces/${ns}/secrets?limit=100${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, { ok: [200] });
      if (!r) throw new Error(`final read-back of ${ns} failed: ${stats.problems.at(-1)}`);
      for (const it of r.json.items) items.set(String(it.metadata.name), it);
      cont = r.json.metadata?.continue ?? '';
    } while (cont);
    for (const rec of ledger.recs.values()) {
      if (rec.ns !== ns) continue;
      const it = items.get(rec.name);
      items.delete(rec.name);
      if (rec.uncertain) {
        unverifiable++;
        continue;
      }
      verified++;
      if (rec.deleted) {
        if (it) {
          stats.lostWrites++;
          stats.problem('lost write', `final read-back: ${ns}/${rec.name} is there (rv ${it.metadata.resourceVersion}) after an acknowledged delete`);
        }
      } else if (!it) {
        stats.lostWrites++;
        stats.problem('lost write', `final read-back: ${ns}/${rec.name} (acknowledged rv ${rec.rv}) is missing`);
      } else if (Number(it.metadata.resourceVersion) !== rec.rv || contentHash(it) !== rec.hash) {
        stats.lostWrites++;
        stats.problem('lost write', `final read-back: ${ns}/${rec.name} is rv ${it.metadata.resourceVersion} content ${contentHash(it)}, acknowledged rv ${rec.rv} content ${rec.hash}`);
      }
    }
    for (const [name, it] of items) {
      if (it.metadata.labels?.soak !== 'true') continue;
      unacknowledged++;
      stats.problem('unacknowledged object', `${ns}/${name} rv ${it.metadata.resourceVersion} exists but no write of it was acknowledged`);
    }
  }
  await admin.close();

  const rssBeforeStop = rssBytes(pid);
  const code = await o.stop();
  const log = scanLog(o.stderr());
  await tearDown();

  // Report.
  const rows: string[][] = [['verb', 'count', 'p50', 'p99', 'max', 'errors', 'conflicts']];
  const ms = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(1)} ms`);
  const verbs = [...stats.verbs.entries()].filter(([v]) => v !== 'setup').sort((a, b) => b[1].latencies.length - a[1].latencies.length);
  for (const [v, s] of verbs) {
    const l = [...s.latencies].sort((a, b) => a - b);
    rows.push([v, String(l.length), ms(pct(l, 0.5)), ms(pct(l, 0.99)), ms(l.at(-1) ?? NaN), String(s.errors), String(s.conflicts)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\n${tag} soak: ${CLIENTS} clients, ${WATCHES} watches, ${NAMESPACES} namespaces, ${(loadSeconds / 60).toFixed(1)} min, ` +
    `${stats.requests - setupRequests} requests (${((stats.requests - setupRequests) / loadSeconds).toFixed(0)}/s); ` +
    `1-min load average now ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`);
  for (const r of rows) console.log('  ' + r.map((c, i) => (i ? c.padStart(widths[i]! + 2) : c.padEnd(widths[i]!))).join(''));

  const first = samples[0]?.rss;
  const last = samples.at(-1)?.rss;
  const rssValues = samples.map((s) => s.rss);
  const half = samples.filter((s) => s.t >= loadSeconds / 2);
  const halfSeconds = loadSeconds / 2;
  const growth = slope(half) * halfSeconds;
  const halfMean = half.length ? half.reduce((s, x) => s + x.rss, 0) / half.length : 0;
  const limit = Math.max(FLAT_BYTES, FLAT_FRACTION * halfMean);
  const flat = half.length >= 2 && growth <= limit;
  const logErrors = log.errors.length + log.other.length;
  const errors = stats.errors + logErrors + (code === 0 ? 0 : 1);
  console.log(`  watches: ${stats.watchesOpened} opened, ${stats.watchesEnded} ended by the server, ${stats.watchExpired} expired (410), ` +
    `${stats.watchEvents} events, ${stats.watchBookmarks} bookmarks, ${stats.watchGaps} out of order or missing`);
  console.log(`  writes: ${verified} objects verified at the end (${unverifiable} with an unknown outcome skipped, ${unacknowledged} unacknowledged found); ` +
    `lost writes ${stats.lostWrites}; reads that disagreed with an acknowledged write ${stats.readMismatches}`);
  console.log(`  server log: ${log.errors.length} error/fatal lines, ${log.other.length} non-JSON lines, ${log.warnings.length} warnings; exit code ${code}`);
  for (const l of [...log.errors, ...log.other, ...log.warnings].slice(0, 6)) console.log(`    ${l.slice(0, 400)}`);
  console.log(`  RSS: start ${mb(first)}, min ${mb(Math.min(...rssValues))}, max ${mb(Math.max(...rssValues))}, end ${mb(last)} (before stop ${mb(rssBeforeStop)})` +
    (etcdRss.length ? `; etcd RSS start ${mb(etcdRss[0])}, end ${mb(etcdRss.at(-1))}` : ''));
  console.log(`  RSS over the second half: ${(slope(half) * 60 / 1024 / 1024).toFixed(2)} MB/min, ${mb(growth)} over ${(halfSeconds / 60).toFixed(1)} min ` +
    `(flat: under ${mb(limit)}) → memory ${flat ? 'flat' : 'NOT flat'}`);
  const problems = stats.problemCounts();
  if (problems.length) {
    console.log('  problems (count, first occurrence):');
    for (const [n, p] of problems.slice(0, 25)) console.log(`    ${String(n).padStart(6)}  ${p}`);
  }
  const failed = errors > 0 || stats.lostWrites > 0 || stats.readMismatches > 0 || stats.watchGaps > 0 || unacknowledged > 0 || !flat;
  console.log(`  verdict: ${failed ? 'FAIL' : 'pass'} (errors ${errors}, lost writes ${stats.lostWrites}, read mismatches ${stats.readMismatches}, ` +
    `watch gaps ${stats.watchGaps}, memory ${flat ? 'flat' : 'not flat'})`);
  return { engine, failed };
}

async function main(): Promise<void> {
  const results: EngineResult[] = [];
  for (const engine of ENGINES) results.push(await soakEngine(engine));
  console.log(`\nsoak: ${results.map((r) => `${r.engine} ${r.failed ? 'FAIL' : 'pass'}`).join(', ')}`);
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error(`soak failed: ${(err as Error).stack ?? err}`);
} finally {
  await tearDown();
}
