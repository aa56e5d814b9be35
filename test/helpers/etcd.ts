// Starts real etcd (Debian's etcd-server, installed by .ci/run) for tests: one member or a
// cluster on free loopback ports with temp data dirs. A missing etcd fails loudly: the etcd tests
// must never skip silently. Every process started here is killed by stop().

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tempDir } from './opaque.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc?: ChildProcess;
  log: () => string;
  /** SIGKILL the member and wait for it to exit. */
  kill(): Promise<void>;
  /** Start a killed member again on the same data dir and ports. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Comma-separated client URLs, as --etcd-servers takes them. */
  endpoints: string;
  stop(): Promise<void>;
}

export function etcdBinary(): string {
  const bin = process.env['ETCD_BIN'] ?? 'etcd';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`etcd is not installed (${bin} --version failed): run .ci/run or apt-get install etcd-server`);
  }
  return bin;
}

/**
 * `n` distinct free loopback ports. All are held open until every one is chosen: ports taken one at a
 * time and released in between can repeat (CI once gave two members the same peer port).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  try {
    return await Promise.all(servers.map((s) => new Promise<number>((res, rej) => {
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => res((s.address() as { port: number }).port));
    })));
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
  }
}

/** Client TLS for the members: they then serve https:// and require this client certificate. */
export interface EtcdTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The members' own serving certificate and key (for 127.0.0.1), issued by the same CA. */
  serverCertFile: string;
  serverKeyFile: string;
}

function healthy(url: string, tls?: EtcdTls): Promise<boolean> {
  if (!tls) return fetch(`${url}/health`).then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true');
  return new Promise((res, rej) => {
    const req = request(`${url}/health`, { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => res(r.statusCode === 200 && /"health":"true"/.test(body)));
    });
    req.on('error', rej);
    req.end();
  });
}

async function waitHealthy(url: string, member: EtcdMember, tls?: EtcdTls, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await healthy(url, tls)) return;
    } catch {
      // not up yet
    }
    const p = member.proc;
    if (p && (p.exitCode !== null || p.signalCode !== null)) {
      throw new Error(`etcd ${member.name} exited (${p.exitCode ?? p.signalCode}) before it became healthy: ${member.log().slice(-2000)}`);
    }
    if (Date.now() > deadline) throw new Error(`etcd ${member.name} did not become healthy: ${member.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEtcd(size = 1, tls?: EtcdTls): Promise<EtcdCluster> {
  // A port found free can be taken by another test process before etcd binds it: start again on
  // fresh ports then, and only then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(size, tls);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(size: number, tls: EtcdTls | undefined): Promise<EtcdCluster> {
  const bin = etcdBinary();
  const token = `opaque-test-${process.pid}-${Date.now()}`;
  const members: EtcdMember[] = [];
  const ports = await freePorts(2 * size);
  for (let i = 0; i < size; i++) {
    const [cp, pp] = [ports[2 * i]!, ports[2 * i + 1]!];
    members.push({ name: `m${i}`, clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${cp}`, peerUrl: `http://127.0.0.1:${pp}`, dataDir: tempDir(`etcd-m${i}`) } as EtcdMember);
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  for (const m of members) {
    let out = '';
    const launch = (state: 'new' | 'existing') => {
      const proc = spawn(bin, [
        '--name', m.name, '--data-dir', m.dataDir,
        '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', token,
        // Bookmarks on quiet resources advance with etcd's progress notifications.
        '--experimental-watch-progress-notify-interval', '2s',
        '--logger', 'zap', '--log-level', 'warn',
        ...(tls ? ['--cert-file', tls.serverCertFile, '--key-file', tls.serverKeyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth'] : []),
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr!.on('data', (d) => {
        out += d;
        if (out.length > 200_000) out = out.slice(-100_000);
      });
      m.proc = proc;
    };
    m.log = () => out;
    m.kill = async () => {
      const p = m.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    };
    m.restart = async () => {
      await m.kill();
      launch('existing');
      await waitHealthy(m.clientUrl, m, tls);
    };
    launch('new');
  }
  const stop = async () => {
    await Promise.all(members.map((m) => m.kill()));
    for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
  };
  // Members of a new cluster become healthy together once a quorum has joined.
  try {
    await Promise.all(members.map((m) => waitHealthy(m.clientUrl, m, tls)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, endpoints: members.map((m) => m.clientUrl).join(','), stop };
}

/** The index of the member that leads the cluster now (asked through etcd's JSON gateway). */
export async function etcdLeader(c: EtcdCluster): Promise<number> {
  for (const m of c.members) {
    try {
      const r = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      if (!r.ok) continue;
      const s = (await r.json()) as { leader?: string };
      if (!s.leader || s.leader === '0') continue;
      for (let i = 0; i < c.members.length; i++) {
        const st = await fetch(`${c.members[i]!.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' }).then((x) => x.json() as Promise<{ header?: { member_id?: string } }>).catch(() => undefined);
        if (st?.header?.member_id === s.leader) return i;
      }
    } catch {
      // member down: ask the next
    }
  }
  throw new Error('no etcd member reports a leader');
}
