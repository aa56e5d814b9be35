// Connection to an etcd cluster from kube-apiserver's flags: --etcd-servers (comma-separated URLs),
// --etcd-cafile / --etcd-certfile / --etcd-keyfile for TLS. Unary calls get a deadline so a member
// that hangs (rather than refusing) cannot stall a request for ever; new calls avoid a member that has
// stopped answering (member-health.ts), and keepalive pings (kube-apiserver's 30 s / 10 s) close a
// connection, watch streams included, to a member that no longer answers them.

import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import type { Logger } from 'pino';
import { MemberHealth } from './member-health.js';

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

/** The client, with the members' health gates stopped when it closes. */
export class EtcdClient extends Etcd3 {
  constructor(opts: IOptions, readonly health: MemberHealth) {
    super(opts);
  }

  override close(): void {
    this.health.close();
    super.close();
  }
}

export function connectEtcd(c: EtcdConnection, log?: Logger): EtcdClient {
  const opts: IOptions = {
    hosts: c.servers,
    dialTimeout: 5_000,
    grpcOptions: { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 },
  };
  if (c.caFile || c.certFile || c.keyFile) {
    if (!!c.certFile !== !!c.keyFile) throw new Error('--etcd-certfile and --etcd-keyfile must be given together');
    opts.credentials = {
      // Without --etcd-cafile the system roots verify the members (grpc takes null for that).
      rootCertificate: (c.caFile ? readFileSync(c.caFile) : null) as Buffer,
      ...(c.certFile ? { certChain: readFileSync(c.certFile), privateKey: readFileSync(c.keyFile!) } : {}),
    };
  }
  const health = new MemberHealth({ ...opts }, (member, answering) => {
    if (answering) log?.info({ member }, 'etcd member answers again');
    else log?.warn({ member }, 'etcd member stopped answering; calls go to the other members until it answers');
  });
  const client = new EtcdClient({
    ...opts,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    faultHandling: { host: (h) => health.gate(h) },
  }, health);
  // etcd3 keeps its per-member connections in an internal pool: a hung member's are dropped so that
  // it gets a fresh connection once it answers again (without that internal, the old one is reused).
  const pool = (client as unknown as { pool?: { hosts?: { host: string; resetAllServices(): void }[] } }).pool;
  health.resetConnections = (host) => pool?.hosts?.find((h) => host.endsWith(`//${h.host}`) || host === h.host)?.resetAllServices();
  return client;
}
