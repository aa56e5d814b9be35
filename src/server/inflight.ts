// kube-apiserver's --max-requests-inflight and --max-mutating-requests-inflight: past the limit a
// request is answered at once with 429, "Retry-After: 1" and kube's plain-text body (client-go and
// kubectl then retry by themselves), so an overloaded server sheds load cheaply instead of queueing
// without bound. Reads (get, list) and writes count separately; long-running requests (watches, the
// streaming operator endpoints) and system:masters are never turned away; 0 lifts a limit.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { UserInfo } from '../auth/types.js';

const READ_VERBS = new Set(['get', 'list', 'watch']);
export const TOO_MANY_REQUESTS = 'Too many requests, please try again later.\n';

export interface InflightLimits {
  readOnly: number;
  mutating: number;
  /**
   * Watches one user may hold open at once (0: no limit). Not kube's: kube has no such cap, but each
   * watch costs this single process memory, and one tenant opening thousands must not starve the rest.
   */
  watchesPerUser?: number;
}

export class InflightLimiter {
  private readonly current = { readOnly: 0, mutating: 0 };
  /** Highest count since the last scrape (kube samples its watermark every second instead). */
  private readonly watermark = { readOnly: 0, mutating: 0 };
  private readonly dropped: Counter;

  constructor(private readonly limits: InflightLimits, registry: Registry) {
    const self = this;
    new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind since the last scrape.',
      labelNames: ['request_kind'],
      registers: [registry],
      collect() {
        this.set({ request_kind: 'readOnly' }, self.watermark.readOnly);
        this.set({ request_kind: 'mutating' }, self.watermark.mutating);
        self.watermark.readOnly = self.current.readOnly;
        self.watermark.mutating = self.current.mutating;
      },
    });
    this.dropped = new Counter({
      name: 'apiserver_dropped_requests_total',
      help: 'Number of requests dropped with \'Try again later\' response.',
      labelNames: ['request_kind'],
      registers: [registry],
    });
  }

  /** A release to call when the request is done, or undefined when it must be turned away. */
  admit(verb: string, longRunning: boolean, user: UserInfo): (() => void) | undefined {
    if (verb === 'watch') return this.admitWatch(user);
    if (longRunning) return noop;
    const kind = READ_VERBS.has(verb) ? 'readOnly' : 'mutating';
    const limit = this.limits[kind];
    if (limit <= 0) return noop;
    if (this.current[kind] >= limit) {
      // kube: a system:masters caller is a super-admin or the server itself; it always gets an answer.
      if (user.groups.includes('system:masters')) return noop;
      this.dropped.inc({ request_kind: kind });
      return undefined;
    }
    const n = ++this.current[kind];
    if (n > this.watermark[kind]) this.watermark[kind] = n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.current[kind]--;
    };
  }

  private readonly watches = new Map<string, number>();

  private admitWatch(user: UserInfo): (() => void) | undefined {
    const limit = this.limits.watchesPerUser ?? 0;
    if (limit <= 0 || user.groups.includes('system:masters')) return noop;
    const name = user.username;
    const n = this.watches.get(name) ?? 0;
    if (n >= limit) {
      this.dropped.inc({ request_kind: 'watch' });
      return undefined;
    }
    this.watches.set(name, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.watches.get(name) ?? 1) - 1;
      if (left > 0) this.watches.set(name, left);
      else this.watches.delete(name);
    };
  }
}

const noop = () => {};
