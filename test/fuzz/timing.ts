// Super-linear time checks that hold on a loaded 2-core CI machine: the base size grows until one
// call costs at least MIN_BASE_MS (so timer noise and JIT warm-up do not dominate), then the median
// of several runs at size n and 8n is compared. Linear work gives ×8, n·log n about ×10, quadratic
// ×64: a bound of ×20 tells them apart with a wide margin either way.

import assert from 'node:assert/strict';

const MIN_BASE_MS = 8;
const RUNS = 5;
const GROWTH = 8;
export const MAX_RATIO = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timeOnce<I>(input: I, run: (input: I) => unknown): number {
  const t = performance.now();
  run(input);
  return performance.now() - t;
}

function timeMedian<I>(input: I, run: (input: I) => unknown): number {
  return median(Array.from({ length: RUNS }, () => timeOnce(input, run)));
}

/**
 * Asserts that run(build(8n)) costs at most MAX_RATIO × run(build(n)). `build` may throw nothing;
 * `run` is expected to swallow the parser's own typed errors (a rejected input still costs time).
 */
export function assertNotSuperLinear<I>(what: string, build: (n: number) => I, run: (input: I) => unknown, opts: { start?: number; maxBase?: number } = {}): { n: number; base: number; big: number } {
  // A collection or a burst of load on a shared CI machine can land on one measurement; super-linear
  // work fails every attempt, so only three failures in a row are a verdict.
  for (let attempt = 1; ; attempt++) {
    const m = measure(build, run, opts);
    if (m.big <= m.base * MAX_RATIO || attempt === 3) {
      assert.ok(m.big <= m.base * MAX_RATIO,
        `${what}: ×${GROWTH} input (n=${m.n}→${m.n * GROWTH}) cost ×${(m.big / m.base).toFixed(1)} time (${m.base.toFixed(1)} ms → ${m.big.toFixed(1)} ms), more than ×${MAX_RATIO}, ${attempt} times`);
      return m;
    }
  }
}

function measure<I>(build: (n: number) => I, run: (input: I) => unknown, opts: { start?: number; maxBase?: number }): { n: number; base: number; big: number } {
  let n = opts.start ?? 256;
  const maxBase = opts.maxBase ?? 1 << 16;
  let small = build(n);
  timeOnce(small, run); // warm the JIT on the code path
  let base = timeMedian(small, run);
  while (base < MIN_BASE_MS && n < maxBase) {
    n *= 2;
    small = build(n);
    base = timeMedian(small, run);
  }
  const large = build(n * GROWTH);
  // One run far over the bound is verdict enough: the median of five would cost minutes.
  const first = timeOnce(large, run);
  const big = first > base * MAX_RATIO * 4 ? first : timeMedian(large, run);
  // Measured once more at the small size: a burst of load during the first measurement must not
  // make the big one look cheap, nor the reverse.
  base = Math.max(base, timeMedian(small, run));
  return { n, base, big };
}

/** Runs fn and swallows any throw: timing counts rejected inputs too. */
export function quietly(fn: () => unknown): void {
  try { fn(); } catch { /* rejected: the cost is what is measured */ }
}
