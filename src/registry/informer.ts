// An in-memory copy of one resource, kept current from the watch cache (kube's shared informer):
// list once, then apply every event. Controllers and the RBAC authorizer read from it instead of
// going to storage on every request. `settled()` waits until writes already committed are applied.

import type { KObject } from '../api/types.js';
import type { CacheEvent } from '../storage/watch-cache.js';
import type { GenericStore } from './generic-store.js';

export type InformerListener = (type: CacheEvent['type'], obj: KObject, old?: KObject) => void;

export const objectKey = (o: KObject): string => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name ?? '');

export class Informer {
  private readonly items = new Map<string, KObject>();
  private readonly listeners: InformerListener[] = [];
  private unwatch = () => {};
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    readonly store: GenericStore,
    /** Told when the cache ends the watch and the copy is listed again. */
    private readonly onDrop?: (reason: string) => void,
    /**
     * Keep only objects passing this (kube's field-selected informer): others are neither held nor
     * reported, and one that stops passing is reported DELETED. A controller that needs a few kinds
     * of Secret then holds those, not a decrypted copy of every Secret.
     */
    private readonly keep: (o: KObject) => boolean = () => true,
  ) {}

  /** Returns the function that removes the listener. */
  onChange(l: InformerListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): IterableIterator<KObject> {
    return this.items.values();
  }

  /** Lists, then follows the watch; may be called again after stop() (a new leader's controllers). */
  async start(): Promise<void> {
    this.stopped = false;
    const page = await this.store.list(undefined, {});
    const seen = new Set<string>();
    for (const o of page.items) {
      if (!this.keep(o)) continue;
      const k = objectKey(o);
      seen.add(k);
      const old = this.items.get(k);
      this.items.set(k, o);
      this.emit(old ? 'MODIFIED' : 'ADDED', o, old);
    }
    for (const [k, o] of this.items) {
      if (!seen.has(k)) {
        this.items.delete(k);
        this.emit('DELETED', o, o);
      }
    }
    this.unwatch = this.store.cache.watch(Number(page.resourceVersion), {
      send: (e) => {
        this.apply(e);
        return true;
      },
      // The cache ended the watch (it restarted or fell over): list again.
      stop: (reason) => {
        if (this.stopped) return;
        this.onDrop?.(reason);
        this.retry = setTimeout(() => void this.start().catch(() => undefined), 500);
      },
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.unwatch();
  }

  /** Resolves once every committed write has reached this copy. */
  settled(): Promise<void> {
    return this.store.cache.settled();
  }

  private apply(e: CacheEvent): void {
    const k = objectKey(e.object);
    const old = this.items.get(k);
    if (e.type !== 'DELETED' && !this.keep(e.object)) {
      if (!old) return;
      this.items.delete(k);
      this.emit('DELETED', e.object, old);
      return;
    }
    if (e.type === 'DELETED') {
      if (!old && !this.keep(e.object)) return; // never reported: nothing to take back
      this.items.delete(k);
    } else this.items.set(k, e.object);
    this.emit(e.type === 'MODIFIED' && !old ? 'ADDED' : e.type, e.object, old);
  }

  private emit(type: CacheEvent['type'], obj: KObject, old?: KObject): void {
    for (const l of this.listeners) l(type, obj, old);
  }
}
