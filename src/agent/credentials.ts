// Where the agent's identity comes from. Every request asks the provider for a fresh Connection,
// so a credential that rotates on disk (a projected ServiceAccount token) is picked up without a
// restart. Providers: a kubeconfig (client certificate or token), or a bearer-token file read at
// each request with the server and CA from a kubeconfig. A TokenRequest-based provider fits the
// same interface: it returns a Connection whose Authorization header carries the requested token.

import { readFileSync } from 'node:fs';
import { connect, type Connection } from '../cli/client.js';

export interface CredentialsProvider {
  /** What identifies the agent, for messages ("kubeconfig /x", "token file /y"). */
  readonly description: string;
  connection(): Connection;
}

export function kubeconfigCredentials(path: string): CredentialsProvider {
  const conn = connect(path);
  return { description: `kubeconfig ${path}`, connection: () => conn };
}

/** A token file (as a ServiceAccount token projection) over the server and CA of a kubeconfig. */
export function tokenFileCredentials(tokenFile: string, kubeconfigPath: string): CredentialsProvider {
  const base = connect(kubeconfigPath);
  return {
    description: `token file ${tokenFile}`,
    connection() {
      const token = readFileSync(tokenFile, 'utf8').trim();
      if (!token) throw new Error(`${tokenFile} is empty`);
      return { server: base.server, tls: { ca: base.tls.ca, rejectUnauthorized: base.tls.rejectUnauthorized }, headers: { Authorization: `Bearer ${token}` } };
    },
  };
}
