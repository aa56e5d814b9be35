// Prometheus metrics named like kube-apiserver's, on a registry of our own (not the global one) so
// several servers in one process (tests) do not collide.

import { Counter, Histogram, Registry } from 'prom-client';

type Child = { inc(): void };
type HistChild = { observe(v: number): void };

export class ServerMetrics {
  // Labelled children cached per label combination: prom-client hashes labels on every call.
  private readonly counters = new Map<string, Child>();
  private readonly histograms = new Map<string, HistChild>();

  observe(verb: string, group: string, version: string, resource: string, subresource: string, code: number, seconds: number): void {
    const VERB = verb.toUpperCase();
    const base = `${VERB}|${group}|${version}|${resource}|${subresource}`;
    let h = this.histograms.get(base);
    if (!h) this.histograms.set(base, (h = this.duration.labels(VERB, group, version, resource, subresource)));
    h.observe(seconds);
    const key = `${base}|${code}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = this.requests.labels(VERB, group, version, resource, subresource, String(code))));
    c.inc();
  }

  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency distribution in seconds for each verb, group, version and resource.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource'],
    buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
    registers: [this.registry],
  });
}
