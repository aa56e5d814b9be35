// Runs one load (lib/load.ts) in its own process and returns its result; failed requests fail the bench.

import type { LoadConfig, LoadResult } from './load.js';
import { spawnLib } from './proc.js';

export async function runLoad(label: string, cfg: LoadConfig): Promise<LoadResult> {
  process.stderr.write(`bench: ${label} (${cfg.concurrency} in flight, ${cfg.warmupMs / 1000}s warm-up + ${cfg.durationMs / 1000}s)...\n`);
  const child = spawnLib('load.ts', cfg);
  await child.exited;
  const r = JSON.parse(child.stdout().trim().split('\n').pop()!) as LoadResult;
  if (r.errors) throw new Error(`${label}: ${r.errors} failed requests, first: ${r.firstError}`);
  return r;
}
