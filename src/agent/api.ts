// The two Secret requests the agent makes, each naming one Secret so a Role with resourceNames
// allows them: GET the object, and WATCH the namespace with fieldSelector metadata.name=<name>
// from a resourceVersion. Watch events arrive as newline-delimited JSON {type, object}. A non-2xx
// answer throws the client's ServerError (code and Status message).

import { createInterface } from 'node:readline';
import { call, getJson } from '../cli/client.js';
import type { CredentialsProvider } from './credentials.js';
import type { Secret } from './types.js';

const secretsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;

export async function getSecret(creds: CredentialsProvider, ns: string, name: string): Promise<Secret> {
  return (await getJson(creds.connection(), `${secretsPath(ns)}/${encodeURIComponent(name)}`)) as Secret;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

/** Streams the events of one named Secret from resourceVersion rv (or from now when empty). */
export async function* watchSecret(creds: CredentialsProvider, ns: string, name: string, rv: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const q = new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: 'true' });
  if (rv) q.set('resourceVersion', rv);
  const r = await call(creds.connection(), 'GET', `${secretsPath(ns)}?${q}`, signal);
  const lines = createInterface({ input: r, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) yield JSON.parse(line) as WatchEvent;
  }
}
