// Shared helpers for the @kubernetes/client-node (1.x) end-to-end suites (client-node*.test.ts).
// Not a test file itself: it only wraps the client and the common assertions.

import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { Opaque } from '../helpers/opaque.js';

export { k8s };

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  objects: k8s.KubernetesObjectApi;
}

export function clients(o: Opaque): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(o.kubeconfig);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), objects: k8s.KubernetesObjectApi.makeApiClient(kc) };
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** A Kubernetes Status object, as carried in ApiException.body. */
export interface Status {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/**
 * Awaits a call that must fail with an ApiException of the given HTTP code; returns the parsed
 * Status body after checking its common shape (kind Status, status Failure, code, reason).
 */
export async function expectApiError(p: Promise<unknown>, code: number, reason: string): Promise<Status> {
  let err: unknown;
  try {
    const res = await p;
    assert.fail(`expected ApiException ${code} ${reason}, got success: ${JSON.stringify(res)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.ok(err instanceof k8s.ApiException, `expected ApiException, got ${String(err)}`);
  const ex = err as k8s.ApiException<string>;
  assert.equal(ex.code, code, `HTTP code (body: ${String(ex.body)})`);
  assert.equal(typeof ex.body, 'string');
  const status = JSON.parse(ex.body) as Status;
  assert.equal(status.kind, 'Status', ex.body);
  assert.equal(status.apiVersion, 'v1', ex.body);
  assert.deepEqual(status.metadata, {}, ex.body);
  assert.equal(status.status, 'Failure', ex.body);
  assert.equal(status.code, code, ex.body);
  assert.equal(status.reason, reason, ex.body);
  assert.equal(typeof status.message, 'string');
  return status;
}

/** Polls `fn` until it returns a truthy value (or throws the last assertion after `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

let counter = 0;
/** A unique DNS-1123 label with a readable prefix (tests share one server per file). */
export function uniq(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid.toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Creates a fresh namespace for one test and returns its name. */
export async function freshNamespace(core: k8s.CoreV1Api, prefix = 'cn'): Promise<string> {
  const name = uniq(prefix);
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** resourceVersions are opaque, but kube's (and ours) are etcd-style decimal revisions. */
export function rvNum(rv: string | undefined): bigint {
  assert.ok(rv && /^[0-9]+$/.test(rv), `resourceVersion ${String(rv)} is a decimal revision`);
  return BigInt(rv);
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** A running client-node Watch that records its events and how it ended. */
export interface Recorder {
  events: WatchEvent[];
  controller: AbortController;
  /** Resolves with the error given to onDone (null for a clean end). */
  done: Promise<unknown>;
  isDone(): boolean;
  /** Waits until `n` events (optionally of `types`) have arrived. */
  waitFor(pred: (events: WatchEvent[]) => boolean, what: string, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Events other than BOOKMARK. */
  data(): WatchEvent[];
}

/**
 * Starts `new Watch(kc).watch(path, query, onEvent, onDone)` and fails if the returned promise
 * does not resolve within `resolveMs` (client-node resolves only once response headers arrive).
 */
export async function startWatch(kc: k8s.KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>, resolveMs = 5000): Promise<Recorder> {
  const events: WatchEvent[] = [];
  let finished = false;
  let resolveDone!: (v: unknown) => void;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const waiters = new Set<() => void>();
  const watch = new k8s.Watch(kc);
  const started = watch.watch(
    path,
    query,
    (type: string, object: any) => {
      events.push({ type, object });
      for (const w of waiters) w();
    },
    (err: unknown) => {
      finished = true;
      resolveDone(err ?? null);
      for (const w of waiters) w();
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const controller = await Promise.race([
    started,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`Watch.watch(${path}) did not resolve within ${resolveMs} ms (response headers not flushed?)`)), resolveMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const rec: Recorder = {
    events,
    controller,
    done,
    isDone: () => finished,
    data: () => events.filter((e) => e.type !== 'BOOKMARK'),
    waitFor(pred, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pred(events)) {
            cleanupWaiter();
            resolve(events);
          }
        };
        const t = setTimeout(() => {
          cleanupWaiter();
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events.map((e) => [e.type, e.object?.metadata?.name, e.object?.metadata?.resourceVersion]))}`));
        }, timeoutMs);
        const cleanupWaiter = (): void => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
  return rec;
}
