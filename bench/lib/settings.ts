// What every bench shares: the tunables (BENCH_CONCURRENCY, BENCH_DURATION_S, BENCH_WARMUP_S,
// BENCH_CPU_PROF), the environment that profiles the Opaque process, and running one load child.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLib } from './proc.js';

export const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
export const DURATION_MS = Number(process.env['BENCH_DURATION_S'] ?? 10) * 1000;
export const WARMUP_MS = Number(process.env['BENCH_WARMUP_S'] ?? 3) * 1000;
const PROF_DIR = process.env['BENCH_CPU_PROF'] ? resolve(process.env['BENCH_CPU_PROF']) : undefined;

export function checkSettings(): void {
  if (!(Number.isInteger(CONCURRENCY) && CONCURRENCY > 0 && DURATION_MS > 0 && WARMUP_MS >= 0)) {
    throw new Error('BENCH_CONCURRENCY must be a positive integer, BENCH_DURATION_S > 0, BENCH_WARMUP_S >= 0');
  }
}

/** Environment for the Opaque process: with BENCH_CPU_PROF, preload the profiler (lib/cpu-prof.ts). */
export function opaqueEnv(): NodeJS.ProcessEnv {
  if (!PROF_DIR) return {};
  const prof = fileURLToPath(new URL('cpu-prof.ts', import.meta.url));
  return { BENCH_CPU_PROF: PROF_DIR, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import tsx --import ${prof}` };
}

/** Runs bench/lib/<script> over the window settings; fails on any failed request. */
export async function runLoad<T extends { errors: number; firstError?: string }>(label: string, script: string, cfg: object): Promise<T> {
  process.stderr.write(`bench: ${label} (${CONCURRENCY} in flight, ${WARMUP_MS / 1000}s warm-up + ${DURATION_MS / 1000}s)...\n`);
  const child = spawnLib(script, { ...cfg, concurrency: CONCURRENCY, warmupMs: WARMUP_MS, durationMs: DURATION_MS });
  await child.exited;
  const r = JSON.parse(child.stdout().trim().split('\n').pop()!) as T;
  if (r.errors) throw new Error(`${label}: ${r.errors} failed requests, first: ${r.firstError}`);
  return r;
}
