// kubeconfig files (clientcmd v1) with embedded credentials, written 0600 because they hold keys.

import { stringify } from 'yaml';
import { writePrivate } from './files.js';

export interface KubeconfigInput {
  server: string;
  /** Omitted: the client verifies the server with the system's roots. */
  caPem?: string;
  user: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  cluster?: string;
  namespace?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigYaml(k: KubeconfigInput): string {
  const cluster = k.cluster ?? 'opaque';
  const user: Record<string, string> = {};
  if (k.clientCertPem) user['client-certificate-data'] = b64(k.clientCertPem);
  if (k.clientKeyPem) user['client-key-data'] = b64(k.clientKeyPem);
  if (k.token) user['token'] = k.token;
  const context: Record<string, string> = { cluster, user: k.user };
  if (k.namespace) context['namespace'] = k.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: k.server, ...(k.caPem ? { 'certificate-authority-data': b64(k.caPem) } : {}) } }],
    users: [{ name: k.user, user }],
    contexts: [{ name: `${k.user}@${cluster}`, context }],
    'current-context': `${k.user}@${cluster}`,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, k: KubeconfigInput): void {
  writePrivate(file, kubeconfigYaml(k));
}
