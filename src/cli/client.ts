// How operator commands reach a running server: a kubeconfig (as kubectl finds one) and HTTPS with
// its credentials. The server owns the database, so every operation goes through its API.

import { existsSync, readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

export interface Connection {
  server: string;
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  headers: Record<string, string>;
  /** The current context's namespace, when it names one. */
  namespace?: string;
}

/** --kubeconfig, else $KUBECONFIG, else the default data dir's admin kubeconfig, else ~/.kube/config. */
export function findKubeconfig(flag?: string): string {
  const candidates = [flag, process.env['KUBECONFIG']?.split(':')[0], './opaque-data/admin.kubeconfig', `${homedir()}/.kube/config`];
  for (const c of candidates) if (c && existsSync(c)) return resolve(c);
  throw new Error('no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run from the directory holding opaque-data/');
}

type Entry = Record<string, unknown>;
const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** A name for a message, whatever the document holds there. */
const shown = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v) ?? '');

/** The `name`d entry's inner object in a kubeconfig list (contexts, clusters, users), as kubectl looks it up. */
function named(list: unknown, name: unknown, field: string): Entry | undefined {
  if (!Array.isArray(list)) return undefined;
  const hit = list.find((e) => isEntry(e) && e['name'] === name) as Entry | undefined;
  const inner = hit?.[field];
  return isEntry(inner) ? inner : undefined;
}

export function connect(kubeconfigPath: string): Connection {
  let kc: unknown;
  try {
    kc = parse(readFileSync(kubeconfigPath, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    // yaml throws ReferenceError for an unresolved alias, YAMLParseError for the rest.
    if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'EACCES') throw err;
    throw new Error(`${kubeconfigPath}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isEntry(kc)) throw new Error(`${kubeconfigPath}: not a kubeconfig (expected a mapping with contexts, clusters and users)`);
  const ctxName = kc['current-context'];
  const ctx = named(kc['contexts'], ctxName, 'context');
  if (!ctx) throw new Error(`${kubeconfigPath}: current context "${shown(ctxName)}" not found`);
  const cluster = named(kc['clusters'], ctx['cluster'], 'cluster');
  const user = named(kc['users'], ctx['user'], 'user') ?? {};
  const server = text(cluster?.['server']);
  if (!cluster || !server) throw new Error(`${kubeconfigPath}: cluster "${shown(ctx['cluster'])}" has no server`);
  const data = (key: string, from: Entry) => {
    const b64 = text(from[key]);
    return b64 ? Buffer.from(b64, 'base64') : undefined;
  };
  const file = (key: string, from: Entry) => {
    const p = text(from[key]);
    return p ? readFileSync(resolve(dirname(kubeconfigPath), p)) : undefined;
  };
  const headers: Record<string, string> = {};
  const token = text(user['token']);
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const namespace = text(ctx['namespace']);
  return {
    server: server.replace(/\/+$/, ''),
    tls: {
      ca: data('certificate-authority-data', cluster) ?? file('certificate-authority', cluster),
      cert: data('client-certificate-data', user) ?? file('client-certificate', user),
      key: data('client-key-data', user) ?? file('client-key', user),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    },
    headers,
    ...(namespace ? { namespace } : {}),
  };
}

/** A non-2xx answer: the HTTP code and the Status message. */
export class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly statusMessage: string,
    /** The answer's Retry-After, in seconds. */
    readonly retryAfterS?: number,
  ) {
    super(`the server answered ${code}: ${statusMessage}`);
  }
}

/** As client-go: a 429 with Retry-After (the server shed load before doing anything) is sent again. */
const MAX_RETRIES = 10;
const MAX_RETRY_AFTER_S = 10;

/** Sends a request; resolves with the response stream once headers arrive (non-2xx throws ServerError). */
export async function call(conn: Connection, method: string, path: string, signal?: AbortSignal, body?: object): Promise<IncomingMessage> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(conn, method, path, signal, body);
    } catch (err) {
      if (!(err instanceof ServerError) || err.code !== 429 || err.retryAfterS === undefined || attempt >= MAX_RETRIES) throw err;
      signal?.throwIfAborted();
      const wait = Math.min(err.retryAfterS, MAX_RETRY_AFTER_S) * 1000;
      await new Promise<void>((resolve, reject) => {
        const aborted = () => {
          clearTimeout(t);
          reject(signal!.reason);
        };
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', aborted);
          resolve();
        }, wait);
        signal?.addEventListener('abort', aborted, { once: true });
      });
    }
  }
}

function callOnce(conn: Connection, method: string, path: string, signal?: AbortSignal, body?: object): Promise<IncomingMessage> {
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', ...conn.headers };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const req = request(`${conn.server}${path}`, { method, ...conn.tls, headers, signal }, (r) => {
      if ((r.statusCode ?? 0) >= 200 && (r.statusCode ?? 0) < 300) return res(r);
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => {
        let msg = body;
        try {
          msg = JSON.parse(body).message ?? body;
        } catch {
          // not a Status
        }
        const after = Number(r.headers['retry-after']);
        rej(new ServerError(r.statusCode ?? 0, msg, Number.isInteger(after) && after >= 0 ? after : undefined));
      });
    });
    req.on('error', (e) => rej(new Error(`cannot reach ${conn.server}: ${e.message}`)));
    req.end(payload);
  });
}

/** The whole body of a successful answer, parsed as JSON. */
/** The whole body of a successful answer, as text. */
export async function readText(r: Awaited<ReturnType<typeof call>>): Promise<string> {
  let body = '';
  r.setEncoding('utf8');
  for await (const chunk of r) body += chunk;
  return body;
}

export async function readJson(r: Awaited<ReturnType<typeof call>>): Promise<any> {
  return JSON.parse(await readText(r));
}

export async function getJson(conn: Connection, path: string): Promise<any> {
  return readJson(await call(conn, 'GET', path));
}
