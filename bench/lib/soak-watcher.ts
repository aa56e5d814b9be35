// The soak's watchers: a Watcher holds a watch on one namespace's Secrets, re-opens it from the last
// resourceVersion when the server ends it, and keeps what it saw so the end can prove every
// acknowledged write reached it, in order.

import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { call, contentHash, Ledger, type Res, type Stats } from './soak-state.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Coverage {
  /** The watch covers revisions in (start, end]: every event in between must have come. */
  start: number;
  end: number;
  seen: Set<number>;
}

export class Watcher {
  private readonly covered: Coverage[] = [];
  private cur: Coverage | undefined;
  private readonly abort = new AbortController();
  private done: Promise<void> | undefined;

  constructor(readonly id: number, readonly ns: string, private readonly http: Client, private readonly stats: Stats, private readonly timeoutS: [number, number]) {}

  start(): void {
    this.done = this.run();
  }

  /** Whether the watcher has seen (or been told by a bookmark) everything up to `rv`. */
  caughtUp(rv: number): boolean {
    return !!this.cur && this.cur.end >= rv;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    await this.http.destroy().catch(() => {});
  }

  /** Acknowledged writes inside a covered range that this watcher never got. */
  missing(acked: Map<number, string> | undefined): { rv: number; name: string }[] {
    const out: { rv: number; name: string }[] = [];
    for (const [rv, name] of acked ?? []) {
      for (const c of this.covered) if (rv > c.start && rv <= c.end && !c.seen.has(rv)) out.push({ rv, name });
    }
    return out;
  }

  private gap(detail: string): void {
    this.stats.watchGaps++;
    this.stats.problem('watch order', `watcher ${this.id} on ${this.ns}: ${detail}`);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const base = `/api/v1/namespaces/${this.ns}/secrets`;
    while (!signal.aborted) {
      if (!this.cur) {
        const res = await call(this.stats, this.http, 'list', 'GET', `${base}?limit=1`, { ok: [200] });
        if (!res) {
          await sleep(500);
          continue;
        }
        const rv = Number(res.json.metadata.resourceVersion);
        this.cur = { start: rv, end: rv, seen: new Set() };
        this.covered.push(this.cur);
      }
      const cur = this.cur;
      const [lo, hi] = this.timeoutS;
      const path = `${base}?watch=1&allowWatchBookmarks=true&resourceVersion=${cur.end}&timeoutSeconds=${lo + randomInt(hi - lo + 1)}`;
      const t0 = performance.now();
      try {
        const res = await this.http.request({ path, method: 'GET', headers: { accept: 'application/json' }, signal });
        if (res.statusCode !== 200) {
          const text = await res.body.text();
          if (res.statusCode === 410) {
            this.stats.record('watch', performance.now() - t0, 'conflict');
            this.stats.watchExpired++;
            this.cur = undefined;
          } else {
            this.stats.record('watch', performance.now() - t0, 'error');
            this.stats.problem(`watch ${res.statusCode}`, `GET ${path} → ${res.statusCode} ${text.slice(0, 300)}`);
            await sleep(500);
          }
          continue;
        }
        this.stats.record('watch', performance.now() - t0, 'ok');
        this.stats.watchesOpened++;
        let buf = '';
        let expired = false;
        for await (const chunk of res.body) {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() && !this.event(cur, line)) expired = true;
          }
          if (expired) break;
        }
        if (expired) {
          res.body.destroy();
          this.stats.watchExpired++;
          this.cur = undefined;
        } else {
          this.stats.watchesEnded++;
        }
      } catch (err) {
        if (signal.aborted) break;
        this.stats.errors++;
        this.stats.problem('watch connection', `GET ${path}: ${(err as Error).message}`);
        await sleep(500);
      }
    }
  }

  /** Takes one event line; false for a 410 ERROR event (the watch must start over from a list). */
  private event(cur: Coverage, line: string): boolean {
    let e: any;
    try {
      e = JSON.parse(line);
    } catch {
      this.stats.errors++;
      this.stats.problem('watch bad line', `watcher ${this.id} on ${this.ns}: ${line.slice(0, 200)}`);
      return true;
    }
    if (e.type === 'ERROR') {
      if (e.object?.code === 410) return false;
      this.stats.errors++;
      this.stats.problem('watch ERROR event', `watcher ${this.id} on ${this.ns}: ${line.slice(0, 300)}`);
      return true;
    }
    const rv = Number(e.object?.metadata?.resourceVersion);
    if (!Number.isFinite(rv)) {
      this.gap(`${e.type} event without a resourceVersion: ${line.slice(0, 200)}`);
      return true;
    }
    if (e.type === 'BOOKMARK') {
      this.stats.watchBookmarks++;
      if (rv < cur.end) this.gap(`BOOKMARK at rv ${rv} after an event at rv ${cur.end}`);
      else cur.end = rv;
      return true;
    }
    if (e.type !== 'ADDED' && e.type !== 'MODIFIED' && e.type !== 'DELETED') {
      this.stats.errors++;
      this.stats.problem('watch bad event', `watcher ${this.id}: type ${e.type}`);
      return true;
    }
    this.stats.watchEvents++;
    if (e.object.metadata.namespace !== this.ns) this.gap(`event for ${e.object.metadata.namespace}/${e.object.metadata.name} on a watch of ${this.ns}`);
    if (rv <= cur.end) this.gap(`${e.type} ${e.object.metadata.name} at rv ${rv} after rv ${cur.end}`);
    else cur.end = rv;
    cur.seen.add(rv);
    return true;
  }
}
