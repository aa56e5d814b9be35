// The request every HTTPS load generator sends: a keep-alive pool with the admin client certificate,
// and one checked request — a GET of a path, or a POST of a fresh small Secret — that throws unless
// the status (and, for GETs, the exact body length) is what the bench expects.

import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { secretBody } from './secret.js';

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** GET: this path; POST: the collection path (each request creates a fresh Secret). */
  path: string;
  expectStatus: number;
  /** GET: the exact body length every response must have (catches wrong or truncated answers). */
  expectBytes?: number;
}

export function tlsPool(url: string, tls: { ca: string; cert: string; key: string }, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, connect: { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) } });
}

let seq = 0;

export async function checkedRequest(pool: Pool, r: RequestSpec): Promise<void> {
  const post = r.method === 'POST';
  const res = await pool.request({
    path: r.path, method: r.method,
    headers: post ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    body: post ? secretBody(`bench-${process.pid}-${seq++}`) : undefined,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== r.expectStatus || (r.expectBytes !== undefined && body.length !== r.expectBytes)) {
    throw new Error(`status ${res.statusCode}, ${body.length} bytes: ${body.toString('utf8', 0, 200)}`);
  }
}
