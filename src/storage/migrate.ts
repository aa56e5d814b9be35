// Moves every stored object under a prefix from one engine to another (SQLite data dir ⇄ etcd), or
// from a backup file into an engine, with its stored bytes: the keys are the same on both sides, so
// encrypted values, whose providers may bind the storage key as additional data, stay valid without
// re-encryption. An engine is read at one revision (a consistent snapshot), and the target is
// verified by reading everything back.

import type { Backend, KV } from './backend.js';
import { StorageError } from './backend.js';

export interface MigrateOptions {
  /** Key prefix with its trailing slash, e.g. /registry/ */
  prefix: string;
  /** Overwrite objects the target already holds instead of refusing a non-empty target. */
  force: boolean;
  onProgress?: (done: number, total: number) => void;
  pageSize?: number;
}

export interface MigrateResult {
  copied: number;
  /** Objects that existed in the target and were overwritten (--force). */
  overwritten: number;
  verified: number;
  rev: number;
}

/** Writes in flight while copying. */
const IN_FLIGHT = 32;

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function* snapshot(source: Backend, prefix: string, rev: number, pageSize: number): AsyncGenerator<KV[]> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await source.range(prefix, { rev, startAfter, limit: pageSize });
    if (page.kvs.length) yield page.kvs;
    if (!page.more || !page.kvs.length) return;
    startAfter = page.kvs[page.kvs.length - 1]!.key;
  }
}

/** Objects to write into a target: a snapshot of another engine, or a backup file. */
export interface CopySource {
  total: number;
  /** Iterated twice: once to copy, once to verify the target against it. */
  pages(): AsyncIterable<KV[]>;
}

export type CopyResult = Omit<MigrateResult, 'rev'>;

/** Writes every object of `source` into `target` with its bytes, then reads each back to compare. */
export async function copyAll(source: CopySource, target: Backend, o: Omit<MigrateOptions, 'pageSize'>): Promise<CopyResult> {
  const existing = await target.count(o.prefix);
  if (existing > 0 && !o.force) {
    throw new StorageError('Exists', `the target already holds ${existing} objects under ${o.prefix}; use --force to overwrite them`);
  }
  let copied = 0;
  let overwritten = 0;
  const write = async (kv: KV) => {
    // Only a target that held objects (--force) can have this key: look before writing.
    const cur = existing > 0 ? await target.get(kv.key) : undefined;
    if (cur) {
      if (!same(cur.value, kv.value)) {
        const upd = await target.update(kv.key, kv.value, cur.modRev);
        if (!upd.ok) throw new StorageError('Conflict', `${kv.key} changed in the target while it was written`, kv.key);
      }
      overwritten++;
    } else {
      const res = await target.create(kv.key, kv.value);
      if (!res.ok) throw new StorageError('Conflict', `${kv.key} appeared in the target while it was written`, kv.key);
    }
    copied++;
    o.onProgress?.(copied, source.total);
  };
  for await (const page of source.pages()) {
    // Several writes in flight: the engine commits those that meet in one transaction (one fsync
    // for many on SQLite, fewer round trips on etcd); keys are distinct, so order does not matter.
    // After a failure no worker starts another write, and every write under way ends before the
    // error is passed on (the caller closes the target then).
    let next = 0;
    let failed = false;
    const worker = async () => {
      try {
        while (next < page.length && !failed) await write(page[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: IN_FLIGHT }, worker));
    const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason;
  }

  // Verify: every source object is in the target with the same bytes.
  let verified = 0;
  for await (const page of source.pages()) {
    for (const kv of page) {
      const got = await target.get(kv.key);
      if (!got || !same(got.value, kv.value)) throw new StorageError('Internal', `verification failed: ${kv.key} differs in the target`, kv.key);
      verified++;
    }
  }
  if (verified !== copied) throw new StorageError('Internal', `verification read back ${verified} objects, ${copied} were copied`);
  return { copied, overwritten, verified };
}

export async function migrate(source: Backend, target: Backend, o: MigrateOptions): Promise<MigrateResult> {
  const pageSize = o.pageSize ?? 500;
  const rev = await source.currentRevision();
  const total = await source.count(o.prefix, { rev });
  const res = await copyAll({ total, pages: () => snapshot(source, o.prefix, rev, pageSize) }, target, o);
  return { ...res, rev };
}
