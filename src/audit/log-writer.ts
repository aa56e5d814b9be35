// The audit log backend: lines are queued and written in batches off the request path (a write at
// most every few milliseconds, sooner when a batch grows large: one write per event would cost a
// thread-pool round trip per request), rotated like lumberjack, and flushed synchronously on close
// so a clean shutdown loses nothing. `-` writes to standard output without rotation.

import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { write as fsWrite } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { backupName, pruneBackups, type Retention } from './rotation.js';

const writeAsync = promisify(fsWrite);
const MB = 1024 * 1024;
/** How long a line may wait for companions before it is written. */
const BATCH_MS = 5;
/** A batch this large is written at once. */
const BATCH_BYTES = 256 * 1024;

export interface LogWriterOptions extends Retention {
  path: string;
  /** Megabytes before rotation; 0 never rotates (kube ≥ 1.36 semantics). */
  maxSizeMB: number;
  /** Reports a problem without event content (a dropped oversized event, a failed write). */
  onError: (message: string) => void;
}

export class LogWriter {
  private queue: string[] = [];
  private draining: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private fd = -1;
  private size = 0;
  private firstWrite = true;
  private lastBackup = 0;
  private queuedChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly max: number;

  constructor(private readonly o: LogWriterOptions) {
    this.max = o.maxSizeMB > 0 ? o.maxSizeMB * MB : Number.POSITIVE_INFINITY;
    if (o.path === '-') return;
    mkdirSync(dirname(o.path), { recursive: true, mode: 0o700 });
    this.open();
  }

  private open(): void {
    this.fd = openSync(this.o.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Queues one event line (with its newline). */
  write(line: string): void {
    if (this.closed) {
      this.writeSyncLines([line]);
      return;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.queuedChars >= BATCH_BYTES) {
      this.kick();
    } else if (!this.scheduled) {
      this.scheduled = true;
      this.timer = setTimeout(() => this.kick(), BATCH_MS);
    }
  }

  private kick(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    if (!this.draining) this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const lines = this.queue;
      this.queue = [];
      this.queuedChars = 0;
      if (this.o.path === '-') {
        await new Promise<void>((res) => process.stdout.write(lines.join(''), () => res()));
        continue;
      }
      for (const chunk of this.plan(lines)) {
        try {
          await writeAsync(this.fd, chunk);
        } catch (err) {
          this.o.onError(`writing the audit log ${this.o.path} failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /**
   * Splits lines into chunks that fit the current file, rotating between chunks as lumberjack does
   * before a write that would exceed the maximum (on the first write after opening an existing file
   * it rotates when the file would reach the maximum).
   */
  private *plan(lines: string[]): Generator<string> {
    let parts: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      const n = Buffer.byteLength(line, 'utf8');
      if (n > this.max) {
        this.o.onError(`audit event dropped: write length ${n} exceeds maximum file size ${this.max}`);
        continue;
      }
      const full = this.firstWrite ? this.size + bytes + n >= this.max : this.size + bytes + n > this.max;
      this.firstWrite = false;
      if (full) {
        if (parts.length) {
          this.size += bytes;
          yield parts.join('');
        }
        parts = [];
        bytes = 0;
        this.rotate();
      }
      parts.push(line);
      bytes += n;
    }
    if (parts.length) {
      this.size += bytes;
      yield parts.join('');
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    // Names must grow with time even for rotations within one millisecond (readers and retention
    // order backups by the time in their name).
    let at = Math.max(Date.now(), this.lastBackup + 1);
    while (existsSync(backupName(this.o.path, new Date(at)))) at++;
    this.lastBackup = at;
    renameSync(this.o.path, backupName(this.o.path, new Date(at)));
    this.open();
    setImmediate(() => {
      try {
        pruneBackups(this.o.path, this.o);
      } catch (err) {
        this.o.onError(`removing old audit logs failed: ${(err as Error).message}`);
      }
    });
  }

  private writeSyncLines(lines: string[]): void {
    if (!lines.length) return;
    if (this.o.path === '-') {
      writeSync(1, lines.join(''));
      return;
    }
    for (const chunk of this.plan(lines)) writeSync(this.fd, chunk);
  }

  /** Resolves when everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.draining || this.queue.length || this.scheduled) {
      if (!this.draining && this.queue.length) this.kick();
      await (this.draining ?? new Promise((r) => setImmediate(r)));
    }
  }

  /** Writes what is queued and switches to synchronous writes for anything that still comes. */
  async close(): Promise<void> {
    await this.draining;
    this.closed = true;
    clearTimeout(this.timer);
    this.scheduled = false;
    const rest = this.queue;
    this.queue = [];
    this.queuedChars = 0;
    this.writeSyncLines(rest);
    if (this.fd >= 0) fsyncSync(this.fd);
  }
}
