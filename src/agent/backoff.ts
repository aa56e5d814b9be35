// Back-off between watch attempts, as client-go's reflector configures it
// (wait.NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)): each wait doubles from 800 ms to a
// 30 s cap, jittered up by as much again (so a dead server sees one attempt per 30-60 s, ~98% less
// than a fixed 1 s retry), and forgiven once no back-off was needed for two minutes.

export interface BackoffOptions {
  initialMs: number;
  capMs: number;
  resetMs: number;
  factor: number;
  /** Each wait is d + random() * jitter * d. */
  jitter: number;
  now: () => number;
  random: () => number;
}

export const REFLECTOR_BACKOFF: BackoffOptions = {
  initialMs: 800, capMs: 30_000, resetMs: 120_000, factor: 2, jitter: 1, now: () => Date.now(), random: Math.random,
};

export class Backoff {
  private durationMs: number;
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly o: BackoffOptions;

  constructor(o: Partial<BackoffOptions> = {}) {
    this.o = { ...REFLECTOR_BACKOFF, ...o };
    this.durationMs = this.o.initialMs;
  }

  /** The next wait in milliseconds. */
  next(): number {
    const now = this.o.now();
    if (now - this.lastAt > this.o.resetMs) this.durationMs = this.o.initialMs;
    this.lastAt = now;
    const d = this.durationMs;
    this.durationMs = Math.min(d * this.o.factor, this.o.capMs);
    return d + this.o.random() * this.o.jitter * d;
  }
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((res) => {
    if (signal.aborted) return res();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
