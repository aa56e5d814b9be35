// Acting as the pod's ServiceAccount, as the kubelet's projected token does: the agent's own
// identity (a kubeconfig allowed to create serviceaccounts/token) asks the server for a short-lived
// token through TokenRequest, and every Secret read uses that token. The token is renewed once 80%
// of its lifetime has passed (the kubelet's rule); a failed renewal is retried every 10 s while the
// current token stays in use, so a server restart does not stop delivery.

import { call, connect, type Connection, readJson } from '../cli/client.js';
import type { CredentialsProvider } from './credentials.js';

export interface TokenRequestOptions {
  namespace: string;
  serviceAccount: string;
  audiences?: string[];
  /** Omitted: the server's default (one hour). */
  expirationSeconds?: number;
  /** The token is valid only while this object (a Secret here) exists. */
  boundObjectRef?: { kind: string; apiVersion: string; name: string; uid?: string };
  log?: (msg: string) => void;
}

interface Issued {
  token: string;
  expiresAt: number;
}

const RETRY_MS = 10_000;

export async function requestToken(base: Connection, o: TokenRequestOptions): Promise<Issued> {
  const spec: Record<string, unknown> = {};
  if (o.expirationSeconds) spec['expirationSeconds'] = o.expirationSeconds;
  if (o.audiences?.length) spec['audiences'] = o.audiences;
  if (o.boundObjectRef) spec['boundObjectRef'] = o.boundObjectRef;
  const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/serviceaccounts/${encodeURIComponent(o.serviceAccount)}/token`;
  const r = await call(base, 'POST', path, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  const status = (await readJson(r)).status ?? {};
  if (typeof status.token !== 'string' || !status.token) throw new Error('the TokenRequest answer carries no token');
  return { token: status.token, expiresAt: Date.parse(status.expirationTimestamp) };
}

export interface TokenRequestCredentials extends CredentialsProvider {
  /** Gets the first token; the agent starts nothing before it has one. */
  start(): Promise<void>;
  stop(): void;
}

export function tokenRequestCredentials(kubeconfigPath: string, o: TokenRequestOptions): TokenRequestCredentials {
  const base = connect(kubeconfigPath);
  let current: Issued | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void renew(), ms);
    timer.unref();
  };
  const renew = async () => {
    try {
      const issued = await requestToken(base, o);
      const issuedAt = Date.now();
      current = issued;
      schedule(Math.max(1_000, (issued.expiresAt - issuedAt) * 0.8));
    } catch (err) {
      o.log?.(`renewing the token of ServiceAccount ${o.namespace}/${o.serviceAccount} failed (retrying in 10s): ${(err as Error).message}`);
      schedule(RETRY_MS);
    }
  };
  return {
    description: `ServiceAccount ${o.namespace}/${o.serviceAccount} (TokenRequest through kubeconfig ${kubeconfigPath})`,
    async start() {
      const issued = await requestToken(base, o);
      current = issued;
      schedule(Math.max(1_000, (issued.expiresAt - Date.now()) * 0.8));
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    connection() {
      if (!current) throw new Error(`no token yet for ServiceAccount ${o.namespace}/${o.serviceAccount}`);
      return { server: base.server, tls: { ca: base.tls.ca, rejectUnauthorized: base.tls.rejectUnauthorized }, headers: { Authorization: `Bearer ${current.token}` } };
    },
  };
}
