// The two Secret requests the agent makes, each naming one Secret so a Role with resourceNames
// allows them: GET the object, and WATCH the namespace with fieldSelector metadata.name=<name>.
// A watch either resumes from a resourceVersion, or (without one) is client-go's watch-list: it
// starts with ADDED for the current object, then a BOOKMARK annotated k8s.io/initial-events-end
// whose resourceVersion is where the state was read; it needs no list permission, and its
// resourceVersion is current (a GET answers the object's own, which may be older than the watch
// window). Watch events arrive as newline-delimited JSON {type, object}. A non-2xx answer throws
// the client's ServerError (code and Status message).

import { createInterface } from 'node:readline';
import { call, getJson } from '../cli/client.js';
import type { CredentialsProvider } from './credentials.js';
import type { Secret } from './types.js';

const secretsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;

export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export async function getSecret(creds: CredentialsProvider, ns: string, name: string): Promise<Secret> {
  return (await getJson(creds.connection(), `${secretsPath(ns)}/${encodeURIComponent(name)}`)) as Secret;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

/** True for the bookmark that ends a watch-list's initial events. */
export const endsInitialEvents = (ev: WatchEvent) => ev.type === 'BOOKMARK' && ev.object?.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true';

/** Streams the events of one named Secret from resourceVersion rv, or as a watch-list when rv is "". */
export async function* watchSecret(creds: CredentialsProvider, ns: string, name: string, rv: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const q = new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: 'true' });
  if (rv) {
    q.set('resourceVersion', rv);
  } else {
    q.set('sendInitialEvents', 'true');
    q.set('resourceVersionMatch', 'NotOlderThan');
  }
  const r = await call(creds.connection(), 'GET', `${secretsPath(ns)}?${q}`, signal);
  const lines = createInterface({ input: r, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) yield JSON.parse(line) as WatchEvent;
  }
}
