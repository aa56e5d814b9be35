// Runs one pod: fetches and watches the Secrets it references, projects its secret volumes, starts
// each container as a process once its volumes and environment resolve (else it waits with the
// kubelet's reason and is retried on the next Secret change), applies restartPolicy with the
// kubelet's crash back-off, reacts to real changes of used values as the container's annotation
// asks, and stops everything gracefully on request. Status goes to <pod dir>/status.json.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CredentialsProvider } from './credentials.js';
import { resolveEnv, expandCommand } from './env.js';
import { ContainerConfigError } from './errors.js';
import { prepareMounts } from './mounts.js';
import { ContainerProcess, type Exit } from './process.js';
import { reactionsFor, type Reaction } from './reaction.js';
import { envSecrets, mountedSecrets, referencedSecrets } from './references.js';
import { SecretCache } from './secret-cache.js';
import { writeStatus, type ContainerStatus, type PodStatus, type SecretDelivery } from './status.js';
import type { Container, Pod } from './types.js';
import { VolumeSet } from './volumes.js';
import { runAs, type RunAs } from './identity.js';

export interface PodOptions {
  root: string;
  statusFile: string;
  creds: CredentialsProvider;
  /** First crash back-off; doubles per consecutive crash up to 5 minutes (kubelet: 10 s). */
  backoffMs: number;
  log: (line: string) => void;
}

const MAX_BACKOFF_MS = 300_000;

interface Running {
  c: Container;
  reaction: Reaction;
  proc?: ContainerProcess;
  startedAt?: number;
  state: ContainerStatus['state'];
  reason?: string;
  message?: string;
  exitCode?: number;
  restarts: number;
  crashes: number;
  timer?: NodeJS.Timeout;
  /** Set while the agent stops the process on purpose (restart reaction, shutdown). */
  stopping?: 'restart' | 'shutdown';
  envHash?: string;
  envRV: Map<string, string>;
  envStale: boolean;
  volumeHashes: Map<string, string>;
  final: boolean;
}

const hashEnv = (env: ReadonlyMap<string, string>) => createHash('sha256').update(JSON.stringify([...env].sort())).digest('hex');

export class PodRunner {
  private readonly cache: SecretCache;
  private readonly volumes: VolumeSet;
  private readonly containers: Running[];
  private shuttingDown = false;
  private done!: (code: number) => void;
  private readonly finished = new Promise<number>((r) => (this.done = r));
  private statusQueued = false;

  constructor(
    private readonly pod: Pod,
    private readonly o: PodOptions,
  ) {
    const reactions = reactionsFor(pod);
    this.containers = pod.spec.containers.map((c) => ({
      c, reaction: reactions.get(c.name)!, state: 'waiting', reason: 'ContainerCreating', restarts: 0, crashes: 0,
      envRV: new Map(), envStale: false, volumeHashes: new Map(), final: false,
    }));
    this.volumes = new VolumeSet(o.root, pod.spec.volumes ?? [], pod.spec.securityContext?.fsGroup);
    this.cache = new SecretCache(o.creds, pod.namespace, referencedSecrets(pod), (n) => this.onSecretChange(n), o.log);
  }

  private get graceMs(): number {
    return (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  /** Runs until every container is done (or stop()); resolves with the agent's exit code. */
  async run(): Promise<number> {
    await this.cache.start();
    this.sync();
    return this.finished;
  }

  /** Stops every container gracefully (SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.cache.stop();
    await Promise.all(this.containers.map(async (r) => {
      clearTimeout(r.timer);
      r.final = true;
      if (r.proc) {
        r.stopping = 'shutdown';
        this.o.log(`stopping container "${r.c.name}" (SIGTERM, SIGKILL after ${this.graceMs / 1000}s)`);
        await r.proc.stop(this.graceMs);
      }
    }));
    this.writeStatusNow();
    this.done(0);
  }

  private onSecretChange(name: string): void {
    if (this.shuttingDown) return;
    this.sync();
    for (const r of this.containers) {
      if (r.proc && !r.stopping && (envSecrets(r.c).has(name) || [...mountedSecrets(this.pod, r.c).values()].includes(name))) this.checkChange(r);
    }
    this.queueStatus();
  }

  /** Brings volumes up to date, then starts every container that can start. */
  private sync(): void {
    if (this.shuttingDown) return;
    const { ready, events, errors } = this.volumes.sync(this.cache);
    for (const e of events) this.o.log(e.message);
    for (const r of this.containers) {
      if (r.proc || r.final || r.timer) continue;
      if (!ready) {
        // The kubelet mounts every volume before any container starts.
        const err = [...errors.values()][0]!;
        this.setWaiting(r, err.reason, err.message);
        continue;
      }
      this.tryStart(r);
    }
    this.queueStatus();
  }

  private baseEnv(croot: string): Map<string, string> {
    return new Map([['PATH', process.env['PATH'] ?? '/usr/bin:/bin'], ['HOSTNAME', this.pod.name], ['OPAQUE_ROOT', croot]]);
  }

  private volumeDirs(): Map<string, string> {
    const dirs = new Map<string, string>();
    for (const [n, st] of this.volumes.states) if (st.current) dirs.set(n, st.dir);
    return dirs;
  }

  private tryStart(r: Running): void {
    const croot = join(this.o.root, 'containers', r.c.name);
    let argv: string[];
    let env: Map<string, string>;
    let as: RunAs | undefined;
    try {
      const resolved = resolveEnv(r.c, this.pod.namespace, this.cache, this.baseEnv(croot));
      env = resolved.env;
      prepareMounts(this.o.root, r.c, this.volumeDirs());
      argv = expandCommand(r.c, env);
      if (r.c.workingDir && !existsSync(resolve(r.c.workingDir))) throw new ContainerConfigError(`workingDir ${resolve(r.c.workingDir)} does not exist`, 'CreateContainerError');
      as = runAs(this.pod.spec, r.c);
    } catch (e) {
      // Anything else (a copy for a subPath failing...) is what a runtime reports as CreateContainerError.
      if (e instanceof ContainerConfigError) this.setWaiting(r, e.reason, e.message);
      else this.setWaiting(r, 'CreateContainerError', (e as Error).message);
      return;
    }
    r.envHash = hashEnv(env);
    r.envRV = new Map([...envSecrets(r.c)].map((n) => [n, this.latestRV(n)]));
    r.envStale = false;
    r.volumeHashes = this.currentVolumeHashes(r);
    const cwd = r.c.workingDir ? resolve(r.c.workingDir) : undefined;
    const proc = new ContainerProcess(r.c.name, argv, env, cwd, as);
    Object.assign(r, { proc, startedAt: Date.now(), state: 'running', reason: undefined, message: undefined, exitCode: undefined });
    this.o.log(`started container "${r.c.name}" (pid ${proc.pid})`);
    void proc.exited.then((x) => this.onExit(r, proc, x));
    // At once, not queued: the process's first output may be forwarded before a queued write.
    this.writeStatusNow();
  }

  private setWaiting(r: Running, reason: string, message: string): void {
    if (r.state !== 'waiting' || r.reason !== reason || r.message !== message) this.o.log(`container "${r.c.name}" waiting: ${reason}: ${message}`);
    Object.assign(r, { state: 'waiting', reason, message });
  }

  private latestRV(name: string): string {
    const v = this.cache.get(name);
    return v.found ? v.resourceVersion : '';
  }

  private currentVolumeHashes(r: Running): Map<string, string> {
    const out = new Map<string, string>();
    for (const vol of mountedSecrets(this.pod, r.c).keys()) out.set(vol, this.volumes.states.get(vol)?.current?.hash ?? '');
    return out;
  }

  /** Reacts when a value the running container uses really changed; nothing otherwise. */
  private checkChange(r: Running): void {
    let envChanged = false;
    try {
      const now = resolveEnv(r.c, this.pod.namespace, this.cache, this.baseEnv(join(this.o.root, 'containers', r.c.name)));
      envChanged = hashEnv(now.env) !== r.envHash;
    } catch (e) {
      // A Secret it needs is gone or lost a key: the process keeps the environment it started with.
      this.o.log(`container "${r.c.name}" keeps its environment: ${(e as Error).message}`);
    }
    const vols = this.currentVolumeHashes(r);
    const filesChanged = [...vols].some(([v, h]) => r.volumeHashes.get(v) !== h);
    r.volumeHashes = vols;
    if (envChanged) r.envStale = true;
    else if (!r.envStale) for (const n of r.envRV.keys()) r.envRV.set(n, this.latestRV(n));
    if (!envChanged && !filesChanged) return;
    const what = [envChanged && 'environment', filesChanged && 'files'].filter(Boolean).join(' and ');
    const react = r.reaction;
    if (react.kind === 'restart') {
      this.o.log(`container "${r.c.name}": a secret value it uses changed (${what}); restarting it`);
      r.stopping = 'restart';
      void r.proc!.stop(this.graceMs);
    } else if (react.kind === 'signal') {
      this.o.log(`container "${r.c.name}": a secret value it uses changed (${what}); sending ${react.signal}`);
      r.proc!.signal(react.signal);
    } else if (envChanged) {
      this.o.log(`container "${r.c.name}": a secret value in its environment changed; it keeps the old value until it restarts`);
    }
  }

  private onExit(r: Running, proc: ContainerProcess, x: Exit): void {
    if (r.proc !== proc) return;
    r.proc = undefined;
    const ranMs = Date.now() - (r.startedAt ?? Date.now());
    Object.assign(r, { state: 'terminated', exitCode: x.code, reason: x.code === 0 ? 'Completed' : 'Error', message: x.signal ? `killed by ${x.signal}` : undefined });
    const why = r.stopping;
    r.stopping = undefined;
    this.o.log(`container "${r.c.name}" exited with code ${x.code}${x.signal ? ` (${x.signal})` : ''}`);
    if (why === 'shutdown' || this.shuttingDown) return this.queueStatus();
    if (why === 'restart') {
      r.restarts++;
      this.tryStart(r);
      return this.checkDone();
    }
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && x.code !== 0)) {
      // Kubelet's CrashLoopBackOff: doubling delays, forgiven after a long enough healthy run.
      if (ranMs > 10 * this.o.backoffMs) r.crashes = 0;
      const delay = Math.min(this.o.backoffMs * 2 ** r.crashes, MAX_BACKOFF_MS);
      r.crashes++;
      this.setWaiting(r, 'CrashLoopBackOff', `back-off ${Math.round(delay / 100) / 10}s restarting failed container=${r.c.name}`);
      r.exitCode = x.code;
      r.timer = setTimeout(() => {
        r.timer = undefined;
        if (this.shuttingDown) return;
        r.restarts++;
        this.sync();
      }, delay);
    } else {
      r.final = true;
    }
    this.checkDone();
  }

  private checkDone(): void {
    this.queueStatus();
    if (!this.containers.every((r) => r.final && !r.proc)) return;
    this.cache.stop();
    this.writeStatusNow();
    const failed = this.containers.find((r) => (r.exitCode ?? 0) !== 0);
    this.done(failed?.exitCode ?? 0);
  }

  private deliveries(r: Running): SecretDelivery[] {
    const out = new Map<string, SecretDelivery>();
    const add = (name: string, rv: string, via: 'env' | 'volume') => {
      const d = out.get(name) ?? { name, resourceVersion: rv, latest: this.latestRV(name), via: [] };
      if (!d.via.includes(via)) d.via.push(via);
      // A container holding an older value through one path delivers that older version.
      if (rv && (!d.resourceVersion || Number(rv) < Number(d.resourceVersion))) d.resourceVersion = rv;
      out.set(name, d);
    };
    for (const [n, rv] of r.envRV) add(n, rv, 'env');
    for (const [vol, secret] of mountedSecrets(this.pod, r.c)) add(secret, this.volumes.states.get(vol)?.current?.resourceVersion ?? '', 'volume');
    return [...out.values()];
  }

  private queueStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    setImmediate(() => {
      this.statusQueued = false;
      this.writeStatusNow();
    });
  }

  private writeStatusNow(): void {
    const s: PodStatus = {
      namespace: this.pod.namespace, name: this.pod.name, agentPid: process.pid, root: this.o.root, updatedAt: new Date().toISOString(),
      containers: this.containers.map((r) => ({
        name: r.c.name, state: r.state, reason: r.reason, message: r.message, pid: r.proc?.pid, exitCode: r.exitCode, restarts: r.restarts,
        root: join(this.o.root, 'containers', r.c.name), secrets: r.state === 'running' || r.state === 'terminated' ? this.deliveries(r) : [],
      })),
    };
    writeStatus(this.o.statusFile, s);
  }
}
