// Starts a real `opaque server` process (the built bin) on a free loopback port with its own data dir,
// and offers kubectl and raw HTTPS clients bound to it. Every test cleans up what it starts.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readlinkSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { startEtcd, type EtcdCluster } from './etcd.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'opaque.js');

export interface Opaque {
  url: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  home: string;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
  agent(): Agent;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `opaque-${prefix}-`));
}

/**
 * OPAQUE_TEST_BACKEND=etcd (in the environment, or a server's own env to pin one) runs every server
 * the suites start on etcd: the cluster named by
 * OPAQUE_TEST_ETCD_SERVERS, or else an etcd started here for that data dir (stopped by cleanup).
 * OPAQUE_TEST_ETCD_MEMBERS=3 makes that own etcd a 3-member cluster. On a shared cluster each data
 * dir gets its own key prefix, so servers of different tests never see each other's data; a restart
 * on the same data dir finds its objects again.
 */
const etcdFor = new Map<string, { args: string[]; own?: EtcdCluster }>();

async function backendArgs(dataDir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string[]> {
  const backend = env?.['OPAQUE_TEST_BACKEND'] ?? process.env['OPAQUE_TEST_BACKEND'];
  if (backend !== 'etcd' || args.includes('--etcd-servers')) return [];
  let e = etcdFor.get(dataDir);
  if (!e) {
    const shared = process.env['OPAQUE_TEST_ETCD_SERVERS'];
    const own = shared ? undefined : await startEtcd(Number(process.env['OPAQUE_TEST_ETCD_MEMBERS'] ?? 1));
    // A shared cluster needs a prefix per data dir; an own cluster keeps kube's /registry.
    const prefix = shared ? ['--etcd-prefix', `/registry-${randomUUID().slice(0, 8)}`] : [];
    e = { args: ['--etcd-servers', shared ?? own!.endpoints, ...prefix], own };
    etcdFor.set(dataDir, e);
  }
  return e.args;
}

async function releaseEtcd(dataDir: string): Promise<void> {
  const e = etcdFor.get(dataDir);
  etcdFor.delete(dataDir);
  await e?.own?.stop();
}

export async function startOpaque(o: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Opaque> {
  const dataDir = o.dataDir ?? tempDir('data');
  const home = tempDir('home');
  const extra = await backendArgs(dataDir, o.args ?? [], o.env);
  const proc = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--secure-port', '0', '--log-level', 'warn', ...extra, ...(o.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const ownData = !o.dataDir;
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`server did not start in time: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /serving the Kubernetes API on (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        res(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`server exited with ${code}: ${err}`));
    });
  }).catch(async (e: Error) => {
    // A start that fails (as some tests expect) leaves nothing behind.
    proc.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    if (ownData) {
      rmSync(dataDir, { recursive: true, force: true });
      await releaseEtcd(dataDir);
    }
    throw e;
  });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  let agent: Agent | undefined;
  const self: Opaque = {
    url,
    port: Number(new URL(url).port),
    dataDir,
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    home,
    proc,
    stderr: () => err,
    async stop() {
      agent?.destroy();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      agent?.destroy();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    agent() {
      agent ??= new Agent({
        ca: readFileSync(join(dataDir, 'pki', 'ca.crt')),
        cert: readFileSync(join(dataDir, 'pki', 'admin.crt')),
        key: readFileSync(join(dataDir, 'pki', 'admin.key')),
        keepAlive: true,
      });
      return agent;
    },
  };
  return self;
}

/**
 * Waits until the server's stderr matches: its log is written asynchronously, so a line can reach the
 * test after the HTTP response it explains. Returns the log so far.
 */
export async function logged(o: Pick<Opaque, 'stderr'>, re: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  while (!re.test(o.stderr())) {
    if (Date.now() > end) assert.match(o.stderr(), re, `the server did not log ${re} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return o.stderr();
}

export async function cleanup(o: Opaque, removeData = true): Promise<void> {
  await o.stop();
  rmSync(o.home, { recursive: true, force: true });
  if (removeData) {
    rmSync(o.dataDir, { recursive: true, force: true });
    await releaseEtcd(o.dataDir);
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTPS request as the admin (or with the given agent / no client certificate). */
export function http(o: Opaque, method: string, path: string, body?: string | Buffer | object, headers: Record<string, string> = {}, agent?: Agent): Promise<HttpResult> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const h: Record<string, string | number> = { ...headers };
  if (payload !== undefined) {
    h['content-type'] ??= 'application/json';
    h['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((res, rej) => {
    const req = request(`${o.url}${path}`, { method, headers: h, agent: agent ?? o.agent() }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        res({ status: r.statusCode ?? 0, headers: r.headers, text, json });
      });
    });
    req.on('error', rej);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** kubectl: the machine's dispatcher, or the binary .ci/run unpacked into .cache. */
export function kubectlPath(): string {
  if (process.env['KUBECTL']) return process.env['KUBECTL'];
  const cached = join(ROOT, '.cache', 'kubectl', 'usr', 'bin', 'kubectl');
  if (existsSync(cached)) return cached;
  return 'kubectl';
}

/** A specific bundled minor of the dispatcher (e.g. 1.33), when the machine has it. */
export function kubectlMinor(minor: string): string | undefined {
  try {
    const dispatcher = readlinkSync('/usr/bin/kubectl');
    const p = join(dirname(resolve('/usr/bin', dispatcher)), `kubectl.${minor}`);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kubectl(o: Opaque, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; bin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(opts.bin ?? kubectlPath(), args, {
    input: opts.input,
    timeoutMs: opts.timeoutMs,
    env: { ...process.env, KUBECONFIG: o.kubeconfig, HOME: o.home, ...opts.env },
  });
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', rej);
    p.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
    if (opts.input !== undefined) p.stdin.write(opts.input);
    p.stdin.end();
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
