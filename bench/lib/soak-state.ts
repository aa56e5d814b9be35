// What `npm run soak` keeps while it runs: per-request outcomes and latencies by verb, every
// acknowledged write (the lost-write ledger), the resourceVersions acknowledged per namespace (what
// the watchers must have seen), and a small HTTP helper that classifies each answer.

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client, Dispatcher } from 'undici';

export type Outcome = 'ok' | 'conflict' | 'error';

export interface VerbStats {
  latencies: number[];
  errors: number;
  conflicts: number;
}

/** Outcomes of one engine's soak. */
export class Stats {
  readonly verbs = new Map<string, VerbStats>();
  errors = 0;
  /** Reads that disagreed with an acknowledged write (stale or wrong content); also errors. */
  readMismatches = 0;
  /** Acknowledged writes missing or different when read back (periodic verify and the final check). */
  lostWrites = 0;
  watchesOpened = 0;
  watchesEnded = 0;
  watchEvents = 0;
  watchBookmarks = 0;
  watchExpired = 0;
  /** Events out of resourceVersion order, or acknowledged writes a watcher never got. */
  watchGaps = 0;
  requests = 0;
  /** Distinct first lines of problems, printed at the end (capped). */
  readonly problems: string[] = [];
  private readonly seenProblems = new Map<string, { n: number; first: string }>();

  verb(v: string): VerbStats {
    let s = this.verbs.get(v);
    if (!s) this.verbs.set(v, (s = { latencies: [], errors: 0, conflicts: 0 }));
    return s;
  }

  record(verb: string, ms: number, outcome: Outcome): void {
    const s = this.verb(verb);
    s.latencies.push(ms);
    this.requests++;
    if (outcome === 'conflict') s.conflicts++;
    if (outcome === 'error') {
      s.errors++;
      this.errors++;
    }
  }

  /** Notes a problem (deduplicated by its first 120 characters). */
  problem(kind: string, detail: string): void {
    const key = `${kind}: ${detail.slice(0, 120)}`;
    const p = this.seenProblems.get(key);
    if (p) p.n++;
    else this.seenProblems.set(key, { n: 1, first: `${kind}: ${detail.slice(0, 600)}` });
    if (!p && this.problems.length < 40) this.problems.push(`${kind}: ${detail.slice(0, 600)}`);
  }

  /** Distinct problems, most frequent first: [count, first occurrence]. */
  problemCounts(): [number, string][] {
    return [...this.seenProblems.values()].sort((a, b) => b.n - a.n).map((p) => [p.n, p.first]);
  }
}

/** One object's last acknowledged state. */
export interface Rec {
  ns: string;
  name: string;
  rv: number;
  hash: string;
  deleted: boolean;
  /** A write to it failed in a way that leaves its outcome unknown: it is re-read before it is checked. */
  uncertain: boolean;
  hot: boolean;
}

export class Ledger {
  readonly recs = new Map<string, Rec>();
  /** Acknowledged write resourceVersions per namespace: each must reach the namespace's watchers. */
  readonly acked = new Map<string, Map<number, string>>();
  readonly maxAcked = new Map<string, number>();

  static key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  get(ns: string, name: string): Rec | undefined {
    return this.recs.get(Ledger.key(ns, name));
  }

  /** Records an acknowledged write (the response object); for shared objects only a newer one wins. */
  wrote(ns: string, obj: any, hot = false): Rec {
    const name = String(obj.metadata.name);
    const rv = Number(obj.metadata.resourceVersion);
    const k = Ledger.key(ns, name);
    let r = this.recs.get(k);
    this.ack(ns, rv, name);
    if (!r) {
      r = { ns, name, rv, hash: contentHash(obj), deleted: false, uncertain: false, hot };
      this.recs.set(k, r);
    } else if (!hot || rv >= r.rv) {
      Object.assign(r, { rv, hash: contentHash(obj), deleted: false, uncertain: false });
    }
    return r;
  }

  /** An acknowledged write at `rv` (of `name`): the namespace's watchers must get its event. */
  ack(ns: string, rv: number, name: string): void {
    let a = this.acked.get(ns);
    if (!a) this.acked.set(ns, (a = new Map()));
    a.set(rv, name);
    if (rv > (this.maxAcked.get(ns) ?? 0)) this.maxAcked.set(ns, rv);
  }

  deleted(ns: string, name: string): void {
    const r = this.get(ns, name);
    if (r) Object.assign(r, { deleted: true, uncertain: false });
  }
}

/** What a write is checked by: the object's data and labels (the user's content, not its metadata). */
export function contentHash(obj: any): string {
  const data = obj?.data ?? {};
  const labels = obj?.metadata?.labels ?? {};
  const sorted = (o: Record<string, string>) => Object.keys(o).sort().map((k) => [k, o[k]]);
  return createHash('sha256').update(JSON.stringify([obj?.type ?? 'Opaque', sorted(data), sorted(labels)])).digest('hex').slice(0, 16);
}

export interface Res {
  status: number;
  json: any;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  /** Statuses that are success. */
  ok: number[];
  /** Statuses that are an expected outcome, counted as conflicts (a PUT's 409). */
  expected?: number[];
}

/**
 * One request on a client's keep-alive connection, timed and classified: `ok` statuses, `expected`
 * ones (conflicts), anything else is an error (5xx, unexpected 4xx, connection errors). Resolves to
 * the response, or undefined for an error (already counted and noted).
 */
export async function call(stats: Stats, client: Client, verb: string, method: string, path: string, o: CallOptions): Promise<Res | undefined> {
  const t0 = performance.now();
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  try {
    const res = await client.request({
      path, method: method as Dispatcher.HttpMethod,
      headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}) },
      body: payload,
    });
    const text = await res.body.text();
    const ms = performance.now() - t0;
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (o.ok.includes(res.statusCode)) {
      stats.record(verb, ms, 'ok');
      return { status: res.statusCode, json, text };
    }
    if (o.expected?.includes(res.statusCode)) {
      stats.record(verb, ms, 'conflict');
      return { status: res.statusCode, json, text };
    }
    stats.record(verb, ms, 'error');
    stats.problem(`${verb} ${res.statusCode}`, `${method} ${path} → ${res.statusCode} ${text.slice(0, 300)}`);
    return undefined;
  } catch (err) {
    stats.record(verb, performance.now() - t0, 'error');
    stats.problem(`${verb} connection`, `${method} ${path}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Percentile of a sorted array. */
export function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;
}
