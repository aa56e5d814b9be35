// The two Secret requests the agent makes, each naming one Secret so a Role with resourceNames
// allows them: GET the object, and WATCH the namespace with fieldSelector metadata.name=<name>
// from a resourceVersion. Watch events arrive as newline-delimited JSON {type, object}.

import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import type { CredentialsProvider } from './credentials.js';
import type { Secret } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function send(creds: CredentialsProvider, path: string, signal?: AbortSignal): Promise<IncomingMessage> {
  const conn = creds.connection();
  return new Promise((res, rej) => {
    const req = request(`${conn.server}${path}`, { method: 'GET', ...conn.tls, headers: { Accept: 'application/json', ...conn.headers }, signal }, (r) => {
      if ((r.statusCode ?? 0) < 300) return res(r);
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
        rej(new ApiError(r.statusCode ?? 0, msg));
      });
    });
    req.on('error', (e) => rej(new ApiError(0, `cannot reach ${conn.server}: ${e.message}`)));
    req.end();
  });
}

const secretsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;

export async function getSecret(creds: CredentialsProvider, ns: string, name: string): Promise<Secret> {
  const r = await send(creds, `${secretsPath(ns)}/${encodeURIComponent(name)}`);
  let body = '';
  r.setEncoding('utf8');
  for await (const chunk of r) body += chunk;
  return JSON.parse(body) as Secret;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

/** Streams the events of one named Secret from resourceVersion rv (or from now when empty). */
export async function* watchSecret(creds: CredentialsProvider, ns: string, name: string, rv: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const q = new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: 'true' });
  if (rv) q.set('resourceVersion', rv);
  const r = await send(creds, `${secretsPath(ns)}?${q}`, signal);
  const lines = createInterface({ input: r, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) yield JSON.parse(line) as WatchEvent;
  }
}
