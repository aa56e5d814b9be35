// Connection to an etcd cluster from kube-apiserver's flags: --etcd-servers (comma-separated URLs),
// --etcd-cafile / --etcd-certfile / --etcd-keyfile for TLS. Unary calls get a deadline so a member
// that hangs (rather than refusing) cannot stall a request; the client retries on another member.

import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';

export interface EtcdConnection {
  /** URLs such as http://127.0.0.1:2379 (https:// with TLS). */
  servers: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Longer than etcd's own request timeout (~7 s), so etcd's answer wins when it has one. */
const CALL_DEADLINE_MS = 10_000;

export function parseEtcdServers(v: string): string[] {
  const urls = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!urls.length) throw new Error('--etcd-servers needs at least one URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new Error(`--etcd-servers: "${u}" is not a URL (expected http://host:port or https://host:port)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`--etcd-servers: "${u}" must use http:// or https://`);
    }
  }
  return urls;
}

export function connectEtcd(c: EtcdConnection): Etcd3 {
  const opts: IOptions = {
    hosts: c.servers,
    dialTimeout: 5_000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
  };
  if (c.caFile || c.certFile || c.keyFile) {
    if (!!c.certFile !== !!c.keyFile) throw new Error('--etcd-certfile and --etcd-keyfile must be given together');
    opts.credentials = {
      // Without --etcd-cafile the system roots verify the members (grpc takes null for that).
      rootCertificate: (c.caFile ? readFileSync(c.caFile) : null) as Buffer,
      ...(c.certFile ? { certChain: readFileSync(c.certFile), privateKey: readFileSync(c.keyFile!) } : {}),
    };
  }
  return new Etcd3(opts);
}
