// One etcd watch on a key range that survives member failures: it resumes from the revision after
// the last event it delivered (never from a response header, which may run ahead of the events
// delivered so far while etcd catches a watcher up), and reports a compacted start as TooOld.
//
// Invariant: events reach onEvent exactly once and in revision order, across reconnects.

import type { Etcd3, IWatchResponse } from 'etcd3';
import type { BackendEvent } from '../backend.js';
import { StorageError } from '../backend.js';

type Stream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

export interface WatchSink {
  onEvent(e: BackendEvent): void;
  /** etcd's progress notification: every event up to rev has been delivered. */
  onProgress?(rev: number): void;
  onError(err: Error): void;
}

export class EtcdWatch {
  private stream?: Stream;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private timer?: NodeJS.Timeout;
  /** The first revision not yet delivered. */
  private next: number;

  constructor(
    private readonly client: Etcd3,
    private readonly key: Buffer,
    private readonly rangeEnd: Buffer,
    fromRev: number,
    private readonly sink: WatchSink,
  ) {
    this.next = fromRev + 1;
    void this.connect();
  }

  cancel(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.stream = undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let stream: Stream;
    try {
      stream = await this.client.watchClient.watch();
    } catch {
      return this.retry();
    }
    if (this.stopped) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    let broken = false;
    const lost = () => {
      if (broken || this.stream !== stream) return;
      broken = true;
      this.stream = undefined;
      stream.cancel();
      this.retry();
    };
    stream.on('data', (res: IWatchResponse) => {
      if (this.stream !== stream) return;
      if (!this.handle(res)) {
        broken = true;
        this.stream = undefined;
        stream.cancel();
      }
    });
    stream.on('error', lost);
    stream.on('end', lost);
    stream.write({
      create_request: { key: this.key, range_end: this.rangeEnd, start_revision: this.next, prev_kv: true, progress_notify: true },
    });
  }

  private retry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  /** Returns false when the watch ended for good. */
  private handle(res: IWatchResponse): boolean {
    if (res.canceled) {
      const compacted = Number(res.compact_revision ?? 0);
      this.stopped = true;
      this.sink.onError(compacted > 0
        ? new StorageError('TooOld', `watch from revision ${this.next - 1} is older than the compacted revision ${compacted}`, undefined, compacted)
        : new StorageError('Internal', `etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`));
      return false;
    }
    this.backoff = MIN_BACKOFF_MS;
    if (res.created) return true;
    if (!res.events.length) {
      // A progress notification: etcd sends it only to watchers that have caught up.
      const rev = Number(res.header.revision);
      if (rev >= this.next) this.next = rev + 1;
      this.sink.onProgress?.(rev);
      return true;
    }
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev < this.next) continue;
      this.next = rev + 1;
      const key = ev.kv.key.toString('utf8');
      if (String(ev.type).toLowerCase() === 'delete') {
        this.sink.onEvent({ type: 'delete', key, rev, prevValue: ev.prev_kv?.value });
      } else {
        const created = ev.kv.create_revision === ev.kv.mod_revision;
        this.sink.onEvent({ type: 'put', key, rev, value: ev.kv.value, prevValue: created ? undefined : ev.prev_kv?.value, created });
      }
    }
    return true;
  }
}
