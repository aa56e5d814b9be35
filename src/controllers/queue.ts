// What the token controllers share, a small version of client-go's informer + workqueue: the
// registry's Informer over one store (re-listing if the watch is dropped), and a keyed queue drained
// one key at a time, with retry on failure and delayed re-syncs. start()/stop() so a leader elector can
// run a controller on one server only.

import type { Logger } from 'pino';
import type { KObject } from '../api/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import { Informer } from '../registry/informer.js';
import type { CacheEvent } from '../storage/watch-cache.js';

export type Handler = (type: CacheEvent['type'], obj: KObject) => void;

/** A controller's view of one store: every object on start, then each change (an Informer). */
export class StoreWatch {
  private readonly informer: Informer;

  /** `keep`: the objects this controller cares about; only those are held and reported. */
  constructor(store: GenericStore, handler: Handler, log: Logger, keep?: (o: KObject) => boolean) {
    const dropped = (reason: string) => log.warn({ resource: store.info.resource, reason }, 'controller watch dropped; re-listing');
    this.informer = new Informer(store, dropped, keep);
    this.informer.onChange((type, obj) => handler(type, obj));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }
}

/** Keys processed one at a time. sync returns a delay in ms to look at the key again, if any. */
export class KeyedQueue {
  private readonly queued = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly sync: (key: string) => Promise<number | void>,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queued.clear();
  }

  add(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    void this.drain();
  }

  /** Looks at the key again after delayMs (timers longer than setTimeout allows are chained). */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(key));
    const step = Math.min(Math.max(delayMs, 0), 2 ** 31 - 1);
    const t = setTimeout(() => {
      this.timers.delete(key);
      if (step < delayMs) this.addAfter(key, delayMs - step);
      else this.add(key);
    }, step);
    t.unref();
    this.timers.set(key, t);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queued.size && !this.stopped) {
        const key = this.queued.values().next().value as string;
        this.queued.delete(key);
        try {
          const again = await this.sync(key);
          if (typeof again === 'number') this.addAfter(key, again);
        } catch (err) {
          this.log.warn({ controller: this.name, key, err: (err as Error).message }, 'controller sync failed; retrying');
          this.addAfter(key, this.retryMs);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

export const objectKey = (obj: KObject): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** HTTP-style code of a thrown StatusError, if any. */
export const statusCode = (err: unknown): number | undefined => (err as { code?: unknown }).code as number | undefined;
