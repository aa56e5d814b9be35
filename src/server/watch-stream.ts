// One watch's outgoing stream, with memory bounded per watcher. Events are written only while the
// connection takes them (until a write fills the socket's buffer, then on 'drain'); the rest wait as
// references to the cache's shared, frozen objects, never as serialized copies. A watcher whose
// backlog passes its limit, or that takes nothing for the stall timeout while events wait, is closed,
// as kube's cacher closes watchers that stop reading; the client re-watches (or re-lists on 410).
// Before this, every watcher serialized and queued every event for itself: 1,500 unread watches of
// three 1 MB Secrets took the heap to 7.8 GB and the process down.

import type { ServerResponse } from 'node:http';

export interface WatchStreamLimits {
  /** Events that may wait for a watcher that does not read. */
  maxBacklog: number;
  /** A watcher with events waiting that takes nothing for this long is closed. */
  stallMs: number;
}

export const WATCH_STREAM_LIMITS: WatchStreamLimits = {
  maxBacklog: 1000,
  stallMs: Number(process.env['OPAQUE_WATCH_STALL_MS'] ?? 30_000),
};

export interface WatchEvent {
  type: string;
  object: unknown;
}

// Watchers of a resource are sent the same stored revisions: each initial list, each live event.
// Their bytes are kept in a small LRU keyed by event type and object revision (kind, namespace, name,
// resourceVersion name one stored value), so 1,000 watchers of one Secret cost one serialization and
// one copy of its bytes, not a thousand.
const SERIALIZED_MAX_BYTES = 64 * 1024 * 1024;
const serialized = new Map<string, Buffer>();
let serializedBytes = 0;

function revisionKey(e: WatchEvent): string | undefined {
  const o = e.object as { apiVersion?: string; kind?: string; metadata?: { namespace?: string; name?: string; resourceVersion?: string } } | null;
  const m = o?.metadata;
  if (!m?.name || !m.resourceVersion || !o?.kind) return undefined;
  return `${e.type}\0${o.apiVersion}\0${o.kind}\0${m.namespace ?? ''}\0${m.name}\0${m.resourceVersion}`;
}

function eventBytes(e: WatchEvent): Buffer {
  const key = revisionKey(e);
  if (key === undefined) return Buffer.from(`${JSON.stringify(e)}\n`);
  const hit = serialized.get(key);
  if (hit) {
    // Most recently used last, so eviction takes the oldest.
    serialized.delete(key);
    serialized.set(key, hit);
    return hit;
  }
  const bytes = Buffer.from(`${JSON.stringify(e)}\n`);
  if (bytes.length > SERIALIZED_MAX_BYTES / 8) return bytes;
  serialized.set(key, bytes);
  serializedBytes += bytes.length;
  while (serializedBytes > SERIALIZED_MAX_BYTES) {
    const [oldest, b] = serialized.entries().next().value as [string, Buffer];
    serialized.delete(oldest);
    serializedBytes -= b.length;
  }
  return bytes;
}

export class WatchStream {
  private readonly waiting: WatchEvent[] = [];
  private initial?: Iterator<WatchEvent | Buffer>;
  private stallTimer?: NodeJS.Timeout;
  private writable = true;
  private ended = false;
  /** Why the stream gave up on its client, if it did. */
  reason?: string;

  /**
   * `render`, when given, turns an event into what goes on the wire (a Table row for kubectl get -w);
   * it runs when the event is written, so rows keep their order.
   */
  constructor(
    private readonly raw: ServerResponse,
    private readonly render: ((e: WatchEvent) => WatchEvent) | undefined,
    private readonly limits: WatchStreamLimits = WATCH_STREAM_LIMITS,
  ) {
    raw.on('drain', () => {
      this.writable = true;
      this.pump();
    });
  }

  /**
   * Events sent first (the initial list), written as the connection takes them. Without a render
   * step they wait as their (shared) bytes, so a watcher that does not read holds no decoded objects.
   */
  sendInitial(events: WatchEvent[]): void {
    const queued: (WatchEvent | Buffer)[] = this.render ? events : events.map(eventBytes);
    this.initial = queued[Symbol.iterator]();
    this.pump();
  }

  /** Queues one event; false when the watcher is closed or has fallen too far behind. */
  send(e: WatchEvent): boolean {
    if (this.ended) return false;
    if (this.waiting.length >= this.limits.maxBacklog) {
      this.giveUp(`more than ${this.limits.maxBacklog} events waiting`);
      return false;
    }
    this.waiting.push(e);
    this.pump();
    return !this.ended;
  }

  /** Nothing is waiting to be written (bookmarks are only worth sending then). */
  get idle(): boolean {
    return this.waiting.length === 0 && !this.initial;
  }

  /** Ends the response; a client that does not read the rest within the stall timeout is cut off. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.stallTimer);
    this.waiting.length = 0;
    this.initial = undefined;
    this.raw.end();
    // The response counts as closed once ended; the socket is what still holds the unread bytes.
    // 'finish' says they reached the OS: from then on the connection may carry the client's next
    // request (keep-alive), which the cut must never touch.
    const socket = this.raw.socket;
    if (socket && !socket.destroyed && !this.raw.writableFinished && socket.writableLength > 0) {
      const cut = setTimeout(() => socket.destroy(), this.limits.stallMs);
      cut.unref();
      const spare = () => clearTimeout(cut);
      this.raw.once('finish', spare);
      socket.once('close', spare);
    }
  }

  private next(): WatchEvent | Buffer | undefined {
    if (this.initial) {
      const r = this.initial.next();
      if (!r.done) return r.value;
      this.initial = undefined;
    }
    return this.waiting.shift();
  }

  private pump(): void {
    while (this.writable && !this.ended) {
      const e = this.next();
      if (!e) break;
      const bytes = Buffer.isBuffer(e) ? e : this.render ? Buffer.from(`${JSON.stringify(this.render(e))}\n`) : eventBytes(e);
      this.writable = this.raw.write(bytes);
    }
    if (this.ended) return;
    // The stall clock runs only while events wait, and restarts with every drain (progress).
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (!this.writable && !this.idle) {
      this.stallTimer = setTimeout(() => this.giveUp(`no progress for ${this.limits.stallMs} ms`), this.limits.stallMs);
      this.stallTimer.unref();
    }
  }

  /**
   * A watcher that stopped reading: its response ends after what the socket already holds, as kube's
   * cacher closes the result channel; if the client does not read that either, end() cuts it off.
   */
  private giveUp(why: string): void {
    if (this.ended) return;
    this.reason = why;
    this.end();
  }
}
