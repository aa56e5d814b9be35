// Rollout visibility: the agent keeps <pod dir>/status.json current (replaced atomically), saying
// per container its state and which resourceVersion of each Secret it delivers now; `opaque run
// status` reads these files.

import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewFile } from './safe-fs.js';

export interface SecretDelivery {
  name: string;
  /** The resourceVersion whose values the container has (env at start, files as last written). */
  resourceVersion: string;
  /** The newest resourceVersion the agent has seen ("" when the Secret does not exist). */
  latest: string;
  via: ('env' | 'volume')[];
}

export interface ContainerStatus {
  name: string;
  state: 'waiting' | 'running' | 'terminated';
  reason?: string;
  message?: string;
  pid?: number;
  exitCode?: number;
  restarts: number;
  root: string;
  secrets: SecretDelivery[];
}

export interface PodStatus {
  namespace: string;
  name: string;
  agentPid: number;
  root: string;
  updatedAt: string;
  containers: ContainerStatus[];
}

/** Replaces the file in one step, private to the agent; the aside copy is a new file, never a reused one. */
export function writeStatus(file: string, s: PodStatus): void {
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  writeNewFile(tmp, `${JSON.stringify(s, null, 2)}\n`, 0o600);
  renameSync(tmp, file);
}

export function readStatus(file: string): PodStatus | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PodStatus) : undefined;
}

export function readStatuses(stateDir: string): PodStatus[] {
  const pods = join(stateDir, 'pods');
  if (!existsSync(pods)) return [];
  return readdirSync(pods).sort().flatMap((d) => readStatus(join(pods, d, 'status.json')) ?? []);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A table as kubectl prints one: a row per container and Secret. */
export function formatStatuses(pods: PodStatus[]): string {
  const rows = [['POD', 'CONTAINER', 'STATE', 'RESTARTS', 'SECRET', 'DELIVERED', 'LATEST', 'VIA']];
  for (const p of pods) {
    const agent = alive(p.agentPid) ? '' : ' (agent stopped)';
    for (const c of p.containers) {
      const state = `${c.state}${c.reason ? `:${c.reason}` : ''}${c.exitCode !== undefined && c.state === 'terminated' ? `(${c.exitCode})` : ''}${agent}`;
      const base = [`${p.namespace}/${p.name}`, c.name, state, String(c.restarts)];
      if (!c.secrets.length) rows.push([...base, '-', '-', '-', '-']);
      for (const s of c.secrets) rows.push([...base, s.name, s.resourceVersion || '-', s.latest || '(deleted)', s.via.join(',')]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
