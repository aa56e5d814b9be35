// A window of recent events for one resource prefix, fed by the engine's watch. Watchers start from a
// revision inside the window and receive every later event in order; a revision older than the window
// gets TooOld (HTTP 410) so the client re-lists, exactly as kube-apiserver's watch cache answers.

import type { KObject } from '../api/types.js';
import type { Backend, BackendEvent, WatchHandle } from './backend.js';
import { StorageError } from './backend.js';
import type { ObjectStore } from './store.js';

export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  rev: number;
  object: KObject;
  /** State before this event (absent for ADDED). */
  prevObject?: KObject;
}

export interface Watcher {
  /** Delivers one event; returns false if the watcher must be dropped (it fell behind). */
  send(e: CacheEvent): boolean;
  /** Called when the cache stops the watcher (falling behind, cache shutdown). */
  stop(reason: string): void;
}

export class WatchCache {
  private readonly buffer: CacheEvent[] = [];
  /** Every event with rev > oldestRev is in the buffer. */
  private oldestRev = 0;
  /** Each watcher with the revision it started after: events still queued at registration may be older. */
  private readonly watchers = new Map<Watcher, number>();
  private handle?: WatchHandle;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private failed?: Error;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  /** Every event with rev <= delivered has been sent to watchers (for engines with remote writers). */
  private delivered = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly backend: Backend,
    readonly prefix: string,
    private readonly capacity = 10_000,
  ) {}

  async start(): Promise<void> {
    const rev = await this.backend.currentRevision();
    this.oldestRev = rev;
    this.delivered = rev;
    this.handle = this.backend.watch(this.prefix, rev, (e) => this.enqueue(e), (err) => this.restart(err), (r) => this.progress(r));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.handle?.cancel();
    for (const w of this.watchers.keys()) w.stop('watch cache stopped');
    this.watchers.clear();
  }

  /**
   * The engine's watch ended (its start revision was compacted while this server was cut off, or
   * the engine canceled it): as kube's cacher re-initialises, every watcher is ended (it re-watches
   * and gets 410 if it is now too old) and the window starts again at the current revision.
   */
  private restart(err: Error): void {
    if (this.stopped) return;
    this.handle?.cancel();
    this.handle = undefined;
    for (const w of this.watchers.keys()) w.stop(`watch restarted: ${err.message}`);
    this.watchers.clear();
    this.buffer.length = 0;
    // Until the new window starts every revision is too old for it.
    this.oldestRev = Number.MAX_SAFE_INTEGER;
    const again = () => {
      if (this.stopped) return;
      this.start().catch(() => {
        this.restartTimer = setTimeout(again, 1000);
      });
    };
    this.queue = this.queue.then(again);
  }

  /** The engine says every event up to rev was passed on: once those are processed, rev is delivered. */
  private progress(rev: number): void {
    this.queue = this.queue.then(() => {
      if (rev > this.delivered) this.delivered = rev;
    });
  }

  /** Events are decoded asynchronously (decryption) but must be delivered in revision order. */
  private enqueue(e: BackendEvent): void {
    this.pending++;
    this.queue = this.queue
      .then(() => this.process(e))
      .catch((err) => this.fail(err as Error))
      .finally(() => this.pending--);
  }

  private async process(e: BackendEvent): Promise<void> {
    const prevObject = e.prevValue ? await this.store.decodeValue(e.key, e.prevValue, e.rev) : undefined;
    let ev: CacheEvent;
    if (e.rev > this.delivered) this.delivered = e.rev;
    if (e.type === 'delete' && !prevObject) return; // etcd omits the previous value only once compacted
    if (e.type === 'delete') {
      ev = { type: 'DELETED', key: e.key, rev: e.rev, object: prevObject!, prevObject };
    } else {
      const object = await this.store.decodeValue(e.key, e.value!, e.rev);
      ev = { type: e.created || !prevObject ? 'ADDED' : 'MODIFIED', key: e.key, rev: e.rev, object, prevObject };
    }
    this.buffer.push(ev);
    if (this.buffer.length > this.capacity) {
      const dropped = this.buffer.shift()!;
      this.oldestRev = dropped.rev;
    }
    for (const [w, from] of this.watchers) {
      if (ev.rev <= from) continue;
      if (!w.send(ev)) {
        this.watchers.delete(w);
        w.stop('watcher fell behind');
      }
    }
  }

  private fail(err: Error): void {
    this.failed = err;
    for (const w of this.watchers.keys()) w.stop(`watch cache failed: ${err.message}`);
    this.watchers.clear();
  }

  /** The oldest revision a watch may start from. */
  get oldest(): number {
    return this.oldestRev;
  }

  /**
   * A revision such that every event up to it has been delivered to watchers: safe for bookmarks.
   * Read the engine revision first, then check the queue: events are queued synchronously with the
   * write that bumps the revision, so an empty queue means all of them were processed.
   */
  async progressRevision(): Promise<number | undefined> {
    if (!this.backend.localEvents) {
      // Other servers write too: only events (and engine progress notifications) prove progress.
      await this.queue;
      return this.delivered;
    }
    const rev = await this.backend.currentRevision();
    await this.queue;
    return this.pending === 0 ? rev : undefined;
  }

  /** Registers a watcher from `fromRev` (exclusive): replays buffered events, then streams live ones. */
  watch(fromRev: number, w: Watcher): () => void {
    if (this.failed) throw new StorageError('Unavailable', `watch cache unavailable: ${this.failed.message}`);
    if (fromRev < this.oldestRev) {
      const first = this.buffer.length ? this.buffer[0]!.rev : this.oldestRev + 1;
      throw new StorageError('TooOld', `too old resource version: ${fromRev} (${first})`, this.prefix, first);
    }
    let last = fromRev;
    for (const ev of this.buffer) {
      if (ev.rev <= fromRev) continue;
      if (!w.send(ev)) {
        w.stop('watcher fell behind');
        return () => {};
      }
      last = ev.rev;
    }
    this.watchers.set(w, last);
    return () => this.watchers.delete(w);
  }

  /** Waits until queued events are delivered (used so a watch opened after a write sees it). */
  async settled(): Promise<void> {
    await this.queue;
  }
}
