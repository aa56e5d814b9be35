// How operator commands reach a running server: a kubeconfig (as kubectl finds one) and HTTPS with
// its credentials. The server owns the database, so every operation goes through its API.

import { existsSync, readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
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

const data = (b64?: string) => (b64 ? Buffer.from(b64, 'base64') : undefined);
const file = (p?: string) => (p ? readFileSync(p) : undefined);

export function connect(kubeconfigPath: string): Connection {
  const kc = parse(readFileSync(kubeconfigPath, 'utf8'));
  const ctxName = kc['current-context'];
  const ctx = kc.contexts?.find((c: { name: string }) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`${kubeconfigPath}: current context "${ctxName}" not found`);
  const cluster = kc.clusters?.find((c: { name: string }) => c.name === ctx.cluster)?.cluster;
  const user = kc.users?.find((u: { name: string }) => u.name === ctx.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${kubeconfigPath}: cluster "${ctx.cluster}" has no server`);
  const headers: Record<string, string> = {};
  if (user.token) headers['Authorization'] = `Bearer ${user.token}`;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    tls: {
      ca: data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
      cert: data(user['client-certificate-data']) ?? file(user['client-certificate']),
      key: data(user['client-key-data']) ?? file(user['client-key']),
      rejectUnauthorized: !cluster['insecure-skip-tls-verify'],
    },
    headers,
    ...(ctx.namespace ? { namespace: String(ctx.namespace) } : {}),
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
