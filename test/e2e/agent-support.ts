// Starts a real `opaque run` agent process against a test server, with its own state dir, and
// lets a test wait for lines it prints (its own log and its containers' prefixed output).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ROOT, cleanup, http, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';

const BIN = join(ROOT, 'bin', 'opaque.js');

export interface Agent {
  proc: ChildProcess;
  dir: string;
  stateDir: string;
  out(): string;
  err(): string;
  /** Resolves when stdout+stderr match re (checked from the start). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

const started: Agent[] = [];

/** Stops every agent a test file started (a failed assertion must not leave one running). */
export async function stopAgents(): Promise<void> {
  await Promise.all(started.splice(0).map((a) => a.stop()));
}

/** A server for the whole test file; stopped, with every agent, after it. */
export function suiteServer(opts?: Parameters<typeof startOpaque>[0]): () => Opaque {
  let o: Opaque | undefined;
  before(async () => {
    o = await startOpaque(opts);
  });
  after(async () => {
    await stopAgents();
    if (o) await cleanup(o);
  });
  return () => o!;
}

export function writeManifest(dir: string, manifest: object, name = 'pod.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return file;
}

export function startAgent(o: Opaque, manifest: object | string, args: string[] = []): Agent {
  const dir = tempDir('agent');
  const file = typeof manifest === 'string' ? manifest : writeManifest(dir, manifest);
  const stateDir = join(dir, 'state');
  const proc = spawn(process.execPath, [BIN, 'run', '-f', file, '--state-dir', stateDir, '--kubeconfig', o.kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const poke = () => waiters.forEach((w) => w());
  proc.stdout!.on('data', (d) => ((out += d), poke()));
  proc.stderr!.on('data', (d) => ((err += d), poke()));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => (poke(), res(code))));
  const self: Agent = {
    proc, dir, stateDir, exited,
    out: () => out,
    err: () => err,
    waitFor(re, ms = 40_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = re.exec(out + err);
          if (m) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(t);
            res(m);
          }
        };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          rej(new Error(`timed out waiting for ${re}\n--- stdout\n${out}\n--- stderr\n${err}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  started.push(self);
  return self;
}

/** A file of a container's mounts, as the container sees it at `path` (e.g. "etc/cfg/key"). */
export function mountedFile(a: Agent, podName: string, container: string, path: string, ns = 'default'): string {
  return join(a.stateDir, 'pods', `${ns}_${podName}`, 'root', 'containers', container, path);
}

/**
 * Resolves once `file` holds exactly `want`. Polls on every turn of the event loop, not on a timer:
 * the update tests measure how soon a change reaches the file. `agent`'s log goes into the failure.
 */
export async function waitForContent(file: string, want: string, ms: number, agent?: Agent): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (readFileSync(file, 'utf8') === want) return;
    } catch {
      // not there yet
    }
    if (Date.now() > end) throw new Error(`${file} did not become ${want} within ${ms} ms${agent ? `:\n${agent.err()}` : ''}`);
    await new Promise((r) => setImmediate(r));
  }
}

export function podStatus(a: Agent, ns = 'default', name: string): any {
  return JSON.parse(readFileSync(join(a.stateDir, 'pods', `${ns}_${name}`, 'status.json'), 'utf8'));
}

/** Creates or replaces a Secret with string data as the admin. */
export async function putSecret(o: Opaque, name: string, data: Record<string, string>, ns = 'default'): Promise<any> {
  const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data };
  const r = await http(o, 'PUT', `/api/v1/namespaces/${ns}/secrets/${name}`, body);
  if (r.status === 404) {
    const c = await http(o, 'POST', `/api/v1/namespaces/${ns}/secrets`, body);
    if (c.status !== 201) throw new Error(`create ${name}: ${c.text}`);
    return c.json;
  }
  if (r.status !== 200) throw new Error(`put ${name}: ${r.status} ${r.text}`);
  return r.json;
}
