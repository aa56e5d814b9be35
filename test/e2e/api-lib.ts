// Shared helpers for the protocol-level e2e tests (test/e2e/api-*.test.ts): Status assertions,
// snapshots of what is stored, liveness checks and a raw HTTPS watch reader. Not a test file itself.

import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { http, type HttpResult, type Opaque } from '../helpers/opaque.js';

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export const secretsPath = (ns: string, name?: string, query = ''): string =>
  `/api/v1/namespaces/${ns}/secrets${name !== undefined ? `/${name}` : ''}${query ? `?${query}` : ''}`;

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function secret(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { metadata, ...rest } = extra as { metadata?: Record<string, unknown> };
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, ...(metadata ?? {}) }, ...rest };
}

/** kube-apiserver's summarizeData (handlers/rest.go): the body excerpt appended to undecodable-body errors. */
export function summarizeData(data: Buffer, maxLength = 30): string {
  if (data.length === 0) return '<empty>';
  if (data[0] === 0x7b /* { */) return data.length > maxLength ? `${data.subarray(0, maxLength).toString('latin1')} ...` : data.toString('latin1');
  return data.length > maxLength ? `${data.subarray(0, maxLength).toString('hex')} ...` : data.toString('hex');
}

function short(r: HttpResult): string {
  return `HTTP ${r.status}: ${r.text.slice(0, 600)}`;
}

/**
 * Asserts a failure Status as kube-apiserver encodes it: kind Status, apiVersion v1, empty metadata,
 * status Failure, the code in the body equal to the HTTP code, the reason (omitted when `reason` is ''),
 * and the message (exact string, or a RegExp).
 */
export function assertStatus(r: HttpResult, code: number, reason: string, message?: string | RegExp): any {
  assert.equal(r.status, code, short(r));
  assert.match(String(r.headers['content-type'] ?? ''), /^application\/json\b/, `content-type of ${short(r)}`);
  const s = r.json;
  assert.ok(s && typeof s === 'object', `a JSON Status body: ${short(r)}`);
  assert.equal(s.kind, 'Status', short(r));
  assert.equal(s.apiVersion, 'v1', short(r));
  // Only an expired list carries metadata (a token to continue at the latest revision).
  if (reason !== 'Expired') assert.deepEqual(s.metadata, {}, short(r));
  assert.equal(s.status, 'Failure', short(r));
  assert.equal(s.code, code, short(r));
  if (reason === '') assert.equal(s.reason, undefined, `no reason expected: ${short(r)}`);
  else assert.equal(s.reason, reason, short(r));
  assert.equal(typeof s.message, 'string', short(r));
  if (typeof message === 'string') assert.equal(s.message, message, short(r));
  else if (message) assert.match(s.message, message, short(r));
  return s;
}

/** A 4xx answered as a proper Status, whatever the exact reason. */
export function assertClientErrorStatus(r: HttpResult, context = ''): any {
  assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx, got ${short(r)} ${context}`);
  const s = assertStatus(r, r.status, r.json?.reason ?? '');
  assert.ok(typeof s.reason === 'string' && s.reason.length > 0, `a reason in ${short(r)} ${context}`);
  assert.ok(s.message.length > 0, `a message in ${short(r)} ${context}`);
  return s;
}

export interface Snapshot {
  /** The store's revision as reported by a cluster-wide list. */
  rv: string;
  /** "namespace/name" → resourceVersion for every secret. */
  secrets: Record<string, string>;
  namespaces: Record<string, string>;
}

/**
 * Waits for the server's own start-up and namespace writes: the ServiceAccount controller gives
 * every active namespace its `default` ServiceAccount shortly after the namespace appears.
 */
async function serviceAccountsSettled(o: Opaque): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const ns = await http(o, 'GET', '/api/v1/namespaces');
    const sa = await http(o, 'GET', '/api/v1/serviceaccounts?fieldSelector=metadata.name%3Ddefault');
    assert.equal(ns.status, 200, short(ns));
    assert.equal(sa.status, 200, short(sa));
    const have = new Set(sa.json.items.map((x: { metadata: { namespace: string } }) => x.metadata.namespace));
    const missing = ns.json.items.filter((n: { metadata: { name: string }; status?: { phase?: string } }) =>
      n.status?.phase !== 'Terminating' && !have.has(n.metadata.name));
    if (!missing.length) return;
    if (Date.now() > end) assert.fail(`no default ServiceAccount in ${missing.map((n: { metadata: { name: string } }) => n.metadata.name).join(', ')}`);
    await sleep(20);
  }
}

/** Everything that is stored, cheaply: a changed revision means something was written. */
export async function snapshot(o: Opaque): Promise<Snapshot> {
  await serviceAccountsSettled(o);
  const s = await http(o, 'GET', '/api/v1/secrets');
  assert.equal(s.status, 200, short(s));
  const n = await http(o, 'GET', '/api/v1/namespaces');
  assert.equal(n.status, 200, short(n));
  const secrets: Record<string, string> = {};
  for (const it of s.json.items) secrets[`${it.metadata.namespace}/${it.metadata.name}`] = it.metadata.resourceVersion;
  const namespaces: Record<string, string> = {};
  for (const it of n.json.items) namespaces[it.metadata.name] = it.metadata.resourceVersion;
  return { rv: s.json.metadata.resourceVersion, secrets, namespaces };
}

/** The process is running and answers both a probe and an authenticated API read. */
export async function assertAlive(o: Opaque, context = ''): Promise<void> {
  assert.equal(o.proc.exitCode, null, `server exited (${o.proc.exitCode}) ${context}: ${o.stderr().slice(-2000)}`);
  assert.equal(o.proc.signalCode, null, `server killed by ${o.proc.signalCode} ${context}: ${o.stderr().slice(-2000)}`);
  const ready = await http(o, 'GET', '/readyz');
  assert.equal(ready.status, 200, `readyz ${context}: ${short(ready)}`);
  assert.equal(ready.text, 'ok');
  const list = await http(o, 'GET', '/api/v1/namespaces/default/secrets?limit=1');
  assert.equal(list.status, 200, `list ${context}: ${short(list)}`);
  assert.equal(list.json?.kind, 'SecretList');
}

export async function createNamespace(o: Opaque, name: string): Promise<void> {
  const r = await http(o, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  assert.equal(r.status, 201, short(r));
}

export async function create(o: Opaque, ns: string, body: Record<string, unknown>, query = ''): Promise<any> {
  const r = await http(o, 'POST', secretsPath(ns, undefined, query), body);
  assert.equal(r.status, 201, short(r));
  return r.json;
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Polls until fn returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface WatchStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** ms from sending the request to receiving the response headers. */
  headersAfterMs: number;
  /** The next event, or undefined when the stream ended; rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<WatchEvent | undefined>;
  /** Collects events until `count` arrived (or the stream ended). */
  take(count: number, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  /** Raw body received so far (for non-200 answers). */
  body(): string;
  close(): void;
}

/** Opens a watch over raw HTTPS; resolves as soon as the response headers arrive. */
export function openWatch(o: Opaque, path: string, headers: Record<string, string> = {}, agent?: Agent): Promise<WatchStream> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // A dedicated agent: a long-lived stream must not hold a keep-alive socket of the shared one.
    const ownAgent = agent ?? new Agent({ ...(o.agent().options as object), keepAlive: false });
    const req = request(`${o.url}${path}`, { method: 'GET', headers, agent: ownAgent }, (res) => {
      let buf = '';
      let raw = '';
      const queue: WatchEvent[] = [];
      const waiters: Array<() => void> = [];
      let done = false;
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      const wake = () => {
        for (const w of waiters.splice(0)) w();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) queue.push(JSON.parse(line) as WatchEvent);
        }
        wake();
      });
      const finish = () => {
        if (done) return;
        done = true;
        if (buf.trim() && res.statusCode === 200) {
          try {
            queue.push(JSON.parse(buf.trim()) as WatchEvent);
          } catch {
            // a torn last line: ignore
          }
        }
        endResolve();
        wake();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const next = (timeoutMs = 5000): Promise<WatchEvent | undefined> =>
        new Promise((resolveNext, rejectNext) => {
          let settled = false;
          const t = setTimeout(() => {
            settled = true;
            rejectNext(new Error(`no watch event within ${timeoutMs} ms on ${path}; received so far: ${raw.slice(-500)}`));
          }, timeoutMs);
          const attempt = () => {
            if (settled) return;
            if (queue.length || done) {
              settled = true;
              clearTimeout(t);
              resolveNext(queue.shift());
              return;
            }
            waiters.push(attempt);
          };
          attempt();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        headersAfterMs: Date.now() - started,
        next,
        async take(count, timeoutMs = 5000) {
          const out: WatchEvent[] = [];
          while (out.length < count) {
            const e = await next(timeoutMs);
            if (!e) break;
            out.push(e);
          }
          return out;
        },
        ended,
        body: () => raw,
        close() {
          req.destroy();
          if (!agent) ownAgent.destroy();
        },
      });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') return;
      reject(err);
    });
    req.end();
  });
}
