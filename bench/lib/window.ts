// The measuring window shared by the load generators: keeps `concurrency` operations in flight,
// warms up, then counts the operations that both start and finish inside a fixed window (so the
// window is exact), with latency percentiles. Stops early after 100 failures.

import { performance } from 'node:perf_hooks';

export interface WindowConfig {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface WindowResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

/** `op` throws on a failed operation; `hooks` run at the window's edges (CPU snapshots). */
export async function runWindow(op: () => Promise<void>, cfg: WindowConfig, hooks: { start?(): void; end?(): void } = {}): Promise<WindowResult> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const one = async () => {
    const t0 = performance.now();
    const started = phase;
    try {
      await op();
      if (started === 'measure' && phase === 'measure') latencies.push(performance.now() - t0);
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  };
  const worker = async () => {
    while (phase !== 'stop' && errors < 100) await one();
  };
  const workers = Array.from({ length: cfg.concurrency }, worker);
  await new Promise((r) => setTimeout(r, cfg.warmupMs));
  phase = 'measure';
  const start = performance.now();
  hooks.start?.();
  await new Promise((r) => setTimeout(r, cfg.durationMs));
  phase = 'stop';
  const seconds = (performance.now() - start) / 1000;
  hooks.end?.();
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : NaN);
  return { requests: latencies.length, seconds, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors, firstError };
}
