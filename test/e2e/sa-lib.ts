// Shared helpers for the service-account and token e2e tests: requests and kubeconfigs that carry a
// bearer token (and no client certificate), and tokens minted with the server's own signing key for
// cases the API cannot produce (already expired). Not a test file itself.

import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, createHash } from 'node:crypto';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { stringify } from 'yaml';
import { http, kubectl, type HttpResult, type Opaque, type RunResult } from '../helpers/opaque.js';

const agents = new WeakMap<Opaque, Agent>();

/** An agent that trusts the server's CA and presents no client certificate. */
export function anonAgent(o: Opaque): Agent {
  let a = agents.get(o);
  if (!a) {
    a = new Agent({ ca: readFileSync(join(o.dataDir, 'pki', 'ca.crt')), keepAlive: false });
    agents.set(o, a);
  }
  return a;
}

export function withToken(o: Opaque, token: string, method: string, path: string, body?: object): Promise<HttpResult> {
  return http(o, method, path, body, { authorization: `Bearer ${token}` }, anonAgent(o));
}

/** A kubeconfig with the server, its CA and only this bearer token. */
export function tokenKubeconfig(o: Opaque, token: string, name: string): string {
  const file = join(o.home, `${name}.kubeconfig`);
  writeFileSync(file, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: o.url, 'certificate-authority': join(o.dataDir, 'pki', 'ca.crt') } }],
    users: [{ name: 'u', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
  }));
  return file;
}

export function kubectlAs(o: Opaque, token: string, args: string[]): Promise<RunResult> {
  return kubectl(o, args, { env: { KUBECONFIG: tokenKubeconfig(o, token, `t${Math.random().toString(36).slice(2)}`) } });
}

/** Signs arbitrary claims with the server's service-account key (<data-dir>/pki/sa.key), kid as kube computes it. */
export function mint(o: Opaque, claims: Record<string, unknown>): Promise<string> {
  const key = createPrivateKey(readFileSync(join(o.dataDir, 'pki', 'sa.key')));
  const kid = createHash('sha256').update(createPublicKey(key).export({ format: 'der', type: 'spki' })).digest('base64url');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

export function decodeClaims(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

export const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
