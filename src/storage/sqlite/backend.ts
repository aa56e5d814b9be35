// Embedded storage engine: an append-only revision log in SQLite, shaped like etcd's MVCC store.
// Every write appends one row whose rowid is the new global revision; the latest row of a key is its
// current value (or a tombstone). Older rows stay until compaction, so lists at a past revision
// (continue tokens, resourceVersionMatch=Exact) read a consistent snapshot.
//
// Invariant: a write is acknowledged only after it is durable. The database runs in WAL mode with
// synchronous=FULL, and every write is a single synchronous transaction that has committed (and
// fsynced the WAL) before the promise resolves.

import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type {
  Backend, BackendEvent, DeleteResult, KV, RangeOptions, RangeResult, WatchHandle, WriteResult,
} from '../backend.js';
import { StorageError } from '../backend.js';

interface Row {
  rev: number;
  key: string;
  create_rev: number;
  deleted: number;
  value: Buffer | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_rev INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  value BLOB
);
CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('rev', 1), ('compacted', 0), ('schema', 1);
`;

/** The smallest string greater than every key with this prefix (etcd's prefix range end). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const toKV = (r: Row): KV => ({ key: r.key, value: r.value ?? Buffer.alloc(0), modRev: r.rev, createRev: r.create_rev });

export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  readonly localEvents = true;
  private readonly db: Database.Database;
  private readonly events = new EventEmitter();
  private rev: number;
  private compacted: number;
  private readonly stmt;
  private pending: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;

  constructor(readonly file: string) {
    // Created 0600 before SQLite opens it: the WAL and journal files inherit the database's mode.
    if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      // WAL alone defaults to NORMAL durability in many builds: FULL makes every commit fsync the WAL.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 2000');
      // One server owns a data dir: two writers would each keep their own revision counter. In WAL
      // mode EXCLUSIVE locking holds the lock from the first access until close.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec(SCHEMA);
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (err) {
      this.db.close();
      if (/locked|busy/i.test((err as Error).message)) {
        throw new StorageError('Unavailable', `${file} is in use by another opaque server`);
      }
      throw err;
    }
    this.events.setMaxListeners(0);
    this.stmt = {
      latest: this.db.prepare<[string], Row>('SELECT rev, key, create_rev, deleted, value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1'),
      latestAt: this.db.prepare<[string, number], Row>('SELECT rev, key, create_rev, deleted, value FROM log WHERE key = ? AND rev <= ? ORDER BY rev DESC LIMIT 1'),
      insert: this.db.prepare('INSERT INTO log (rev, key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, ?, ?, ?)'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      // For each key in range, its newest row at or below the read revision; tombstones are skipped
      // after the newest row is chosen, so a deleted key never shows an older value.
      range: this.db.prepare<[string, string, number, number], Row>(`
        SELECT l.rev, l.key, l.create_rev, l.deleted, l.value FROM log l
        JOIN (SELECT key, MAX(rev) AS mrev FROM log WHERE key > ? AND key < ? AND rev <= ? GROUP BY key ORDER BY key LIMIT ?) m
          ON l.rev = m.mrev
        ORDER BY l.key`),
      rangeFrom: this.db.prepare<[string, string, number, number], Row>(`
        SELECT l.rev, l.key, l.create_rev, l.deleted, l.value FROM log l
        JOIN (SELECT key, MAX(rev) AS mrev FROM log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key ORDER BY key LIMIT ?) m
          ON l.rev = m.mrev
        ORDER BY l.key`),
      count: this.db.prepare<[string, string, number], { n: number }>(`
        SELECT COUNT(*) AS n FROM log l
        JOIN (SELECT key, MAX(rev) AS mrev FROM log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key) m ON l.rev = m.mrev
        WHERE l.deleted = 0`),
      countAfter: this.db.prepare<[string, string, number], { n: number }>(`
        SELECT COUNT(*) AS n FROM log l
        JOIN (SELECT key, MAX(rev) AS mrev FROM log WHERE key > ? AND key < ? AND rev <= ? GROUP BY key) m ON l.rev = m.mrev
        WHERE l.deleted = 0`),
      compact: this.db.prepare(`
        DELETE FROM log WHERE rev <= @c AND (deleted = 1 OR EXISTS (
          SELECT 1 FROM log n WHERE n.key = log.key AND n.rev > log.rev AND n.rev <= @c))`),
    };
    this.rev = this.stmt.getMeta.get('rev')!.value;
    this.compacted = this.stmt.getMeta.get('compacted')!.value;
  }

  private current(key: string): Row | undefined {
    const r = this.stmt.latest.get(key);
    return r && !r.deleted ? r : undefined;
  }

  /** Appends one revision; runs inside the caller's transaction. */
  private append(key: string, createRev: number, prevRev: number, deleted: boolean, value: Uint8Array | null): number {
    const rev = this.rev + 1;
    this.stmt.insert.run(rev, key, createRev || rev, prevRev, deleted ? 1 : 0, value ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : null);
    this.stmt.setMeta.run(rev, 'rev');
    return rev;
  }

  /**
   * Group commit: writes queued during one turn of the event loop share one transaction, so one WAL
   * fsync makes them all durable (concurrent requests and the re-encryption job no longer pay one
   * fsync each). Each write runs in its own savepoint, so one failing write does not undo the others,
   * and each promise resolves only after the shared commit (a write is acknowledged once durable).
   */
  private commit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    const results: { value?: unknown; error?: unknown }[] = [];
    const before = this.rev;
    try {
      this.db.transaction(() => {
        for (const op of batch) {
          const rev = this.rev;
          try {
            results.push({ value: this.db.transaction(op.fn)() });
          } catch (error) {
            this.rev = rev;
            results.push({ error });
          }
        }
      }).immediate();
    } catch (err) {
      this.rev = before;
      for (const op of batch) op.reject(new StorageError('Internal', `storage write failed: ${(err as Error).message}`));
      return;
    }
    batch.forEach((op, i) => {
      const r = results[i]!;
      if ('error' in r) op.reject(new StorageError('Internal', `storage write failed: ${(r.error as Error).message}`));
      else op.resolve(r.value);
    });
  }

  private emit(e: BackendEvent): void {
    this.events.emit('event', e);
  }

  async get(key: string): Promise<KV | undefined> {
    const r = this.current(key);
    return r ? toKV(r) : undefined;
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const atRev = opts.rev && opts.rev > 0 ? opts.rev : this.rev;
    if (atRev < this.compacted) throw new StorageError('TooOld', `revision ${atRev} has been compacted`, prefix, this.compacted);
    if (atRev > this.rev) throw new StorageError('TooLarge', `revision ${atRev} is in the future`, prefix, this.rev);
    const end = prefixEnd(prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const out: KV[] = [];
    let lower = opts.startAfter && opts.startAfter >= prefix ? opts.startAfter : undefined;
    const batch = limit ? Math.max(limit + 1, 64) : 10_000;
    for (;;) {
      const rows = lower === undefined
        ? this.stmt.rangeFrom.all(prefix, end, atRev, batch)
        : this.stmt.range.all(lower, end, atRev, batch);
      for (const r of rows) {
        if (r.deleted) continue;
        if (limit && out.length === limit) return { kvs: out, rev: atRev, more: true };
        out.push(toKV(r));
      }
      if (rows.length < batch) return { kvs: out, rev: atRev, more: false };
      lower = rows[rows.length - 1]!.key;
    }
  }

  async count(prefix: string, opts: Omit<RangeOptions, 'limit'> = {}): Promise<number> {
    const atRev = opts.rev && opts.rev > 0 ? opts.rev : this.rev;
    if (atRev < this.compacted) throw new StorageError('TooOld', `revision ${atRev} has been compacted`, prefix, this.compacted);
    const lower = opts.startAfter && opts.startAfter >= prefix ? opts.startAfter : undefined;
    return lower === undefined
      ? this.stmt.count.get(prefix, prefixEnd(prefix), atRev)!.n
      : this.stmt.countAfter.get(lower, prefixEnd(prefix), atRev)!.n;
  }


  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    const res = await this.commit((): WriteResult => {
      const cur = this.current(key);
      if (cur) return { ok: false, current: toKV(cur) };
      this.rev = this.append(key, 0, 0, false, value);
      return { ok: true, rev: this.rev };
    });
    if (res.ok) this.emit({ type: 'put', key, value, rev: res.rev, created: true });
    return res;
  }

  async update(key: string, value: Uint8Array, expectModRev: number): Promise<WriteResult> {
    let prev: Row | undefined;
    const res = await this.commit((): WriteResult => {
      prev = this.current(key);
      if (!prev || prev.rev !== expectModRev) return { ok: false, current: prev ? toKV(prev) : undefined };
      this.rev = this.append(key, prev.create_rev, prev.rev, false, value);
      return { ok: true, rev: this.rev };
    });
    if (res.ok) this.emit({ type: 'put', key, value, prevValue: prev!.value ?? undefined, rev: res.rev });
    return res;
  }

  async delete(key: string, expectModRev: number): Promise<DeleteResult> {
    const res = await this.commit((): DeleteResult => {
      const prev = this.current(key);
      if (!prev || prev.rev !== expectModRev) return { ok: false, current: prev ? toKV(prev) : undefined };
      this.rev = this.append(key, prev.create_rev, prev.rev, true, null);
      return { ok: true, rev: this.rev, prev: toKV(prev) };
    });
    if (res.ok) this.emit({ type: 'delete', key, prevValue: res.prev.value, rev: res.rev });
    return res;
  }

  watch(prefix: string, fromRev: number, onEvent: (e: BackendEvent) => void, onError: (err: Error) => void): WatchHandle {
    // In one process every write passes through this object, so a watch only needs history when it
    // starts in the past; the watch cache above starts at the current revision.
    if (fromRev < this.rev) {
      onError(new StorageError('TooOld', `the embedded engine cannot replay from revision ${fromRev}`, prefix, this.rev));
      return { cancel() {} };
    }
    const listener = (e: BackendEvent) => {
      if (e.key.startsWith(prefix) && e.rev > fromRev) onEvent(e);
    };
    this.events.on('event', listener);
    return { cancel: () => this.events.off('event', listener) };
  }

  async currentRevision(): Promise<number> {
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async compact(rev: number): Promise<void> {
    if (rev <= this.compacted) return;
    const target = Math.min(rev, this.rev);
    this.db.transaction(() => {
      this.stmt.compact.run({ c: target });
      this.stmt.setMeta.run(target, 'compacted');
    }).immediate();
    this.compacted = target;
  }

  /** A consistent snapshot of the raw database for backups and tests. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    this.flush(); // writes still queued are committed (and acknowledged) before the database closes
    this.events.removeAllListeners();
    if (this.db.open) this.db.close();
  }
}
