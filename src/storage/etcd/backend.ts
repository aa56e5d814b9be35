// Storage engine on an etcd cluster, laid out as kube-apiserver lays it: one key per object under
// --etcd-prefix, the value the (encrypted) JSON bytes, resourceVersion = the key's mod revision.
// Writes are single transactions comparing the key's create or mod revision (kube's optimistic
// concurrency); ranges read at a revision so continue tokens list a consistent snapshot; watches
// start at a revision; compaction is etcd's own, and reads below it answer TooOld.
//
// Invariant: a write is acknowledged only after etcd committed it (a quorum has it on disk). When
// the answer is lost (a member died mid-call) the client retries the transaction elsewhere; the
// retry then fails its compare, so we recognise our own committed bytes and report success.

import type { IKeyValue, IRangeRequest, IRequestOp } from 'etcd3';
import { CompareResult, CompareTarget } from 'etcd3';
import type {
  Backend, DeleteResult, KV, RangeOptions, RangeResult, WatchHandle, WriteResult, BackendEvent,
} from '../backend.js';
import { StorageError } from '../backend.js';
import { storageError } from './errors.js';
import type { EtcdClient } from './client.js';
import { hedged, LIST_HEDGE_AFTER_MS } from './hedge.js';
import { ReadBatcher } from './read-batcher.js';
import { EtcdWatch } from './watch.js';

/** The key kube-apiserver's compactor uses to agree on one compaction per interval. */
export const COMPACT_KEY = 'compact_rev_key';

const b = (s: string) => Buffer.from(s, 'utf8');

/** etcd's prefix range end: the prefix with its last byte incremented. */
export function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const toKV = (kv: IKeyValue): KV => ({
  key: kv.key.toString('utf8'),
  value: kv.value,
  modRev: Number(kv.mod_revision),
  createRev: Number(kv.create_revision),
});

const sameBytes = (a: Uint8Array, c: Uint8Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(c.buffer, c.byteOffset, c.byteLength)) === 0;

export class EtcdBackend implements Backend {
  readonly name = 'etcd';
  /** Events come from etcd's watch, not from this object's writes (other servers write too). */
  readonly localEvents = false;

  private readonly reads: ReadBatcher;

  constructor(readonly client: EtcdClient) {
    this.reads = new ReadBatcher(client);
  }

  private async call<T>(fn: () => Promise<T>, key?: string, rev?: number): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = storageError(err, key, rev);
      if (e.code !== 'TooOld') throw e;
      // Name the compacted revision, as the SQLite engine does (kube's "too old resource version: X (Y)").
      const compacted = await this.compactedRevision().catch(() => rev ?? 0);
      throw new StorageError('TooOld', `revision ${rev ?? 0} has been compacted (at ${compacted})`, key, compacted);
    }
  }

  async get(key: string): Promise<KV | undefined> {
    const kv = await this.call(() => this.reads.get(b(key)), key);
    return kv ? toKV(kv) : undefined;
  }

  private rangeRequest(prefix: string, opts: Omit<RangeOptions, 'limit'>): IRangeRequest {
    const p = b(prefix);
    // startAfter + NUL is the smallest key strictly after it (kube's continue key).
    const start = opts.startAfter && opts.startAfter >= prefix ? b(`${opts.startAfter}\u0000`) : p;
    return { key: start, range_end: rangeEnd(p), revision: opts.rev && opts.rev > 0 ? opts.rev : 0 };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const req = this.rangeRequest(prefix, opts);
    if (opts.limit && opts.limit > 0) req.limit = opts.limit;
    const res = await this.call(() => hedged(this.client.health, () => this.client.kv.range(req), LIST_HEDGE_AFTER_MS), prefix, opts.rev);
    const rev = opts.rev && opts.rev > 0 ? opts.rev : Number(res.header.revision);
    return { kvs: res.kvs.map(toKV), rev, more: !!res.more };
  }

  async count(prefix: string, opts: Omit<RangeOptions, 'limit'> = {}): Promise<number> {
    const req = { ...this.rangeRequest(prefix, opts), count_only: true };
    const res = await this.call(() => hedged(this.client.health, () => this.client.kv.range(req)), prefix, opts.rev);
    return Number(res.count);
  }

  private async txn(key: string, target: CompareTarget, expect: number, success: IRequestOp) {
    return this.call(() => this.client.kv.txn({
      compare: [{ key: b(key), target, result: CompareResult.Equal, ...(target === CompareTarget.Create ? { create_revision: expect } : { mod_revision: expect }) }],
      success: [success],
      failure: [{ request_range: { key: b(key) } }],
    }), key);
  }

  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    const res = await this.txn(key, CompareTarget.Create, 0, { request_put: { key: b(key), value: Buffer.from(value) } });
    if (res.succeeded) return { ok: true, rev: Number(res.header.revision) };
    const cur = res.responses[0]?.response_range.kvs[0];
    if (cur && sameBytes(cur.value, value)) return { ok: true, rev: Number(cur.mod_revision) };
    return { ok: false, current: cur ? toKV(cur) : undefined };
  }

  async update(key: string, value: Uint8Array, expectModRev: number): Promise<WriteResult> {
    const res = await this.txn(key, CompareTarget.Mod, expectModRev, { request_put: { key: b(key), value: Buffer.from(value) } });
    if (res.succeeded) return { ok: true, rev: Number(res.header.revision) };
    const cur = res.responses[0]?.response_range.kvs[0];
    if (cur && sameBytes(cur.value, value)) return { ok: true, rev: Number(cur.mod_revision) };
    return { ok: false, current: cur ? toKV(cur) : undefined };
  }

  async delete(key: string, expectModRev: number): Promise<DeleteResult> {
    const res = await this.txn(key, CompareTarget.Mod, expectModRev, { request_delete_range: { key: b(key), prev_kv: true } });
    if (res.succeeded) {
      const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
      if (prev) return { ok: true, rev: Number(res.header.revision), prev: toKV(prev) };
      return { ok: false };
    }
    const cur = res.responses[0]?.response_range.kvs[0];
    return { ok: false, current: cur ? toKV(cur) : undefined };
  }

  watch(prefix: string, fromRev: number, onEvent: (e: BackendEvent) => void, onError: (err: Error) => void, onProgress?: (rev: number) => void): WatchHandle {
    const p = b(prefix);
    const w = new EtcdWatch(this.client, p, rangeEnd(p), fromRev, { onEvent, onError, onProgress });
    return { cancel: () => w.cancel() };
  }

  async currentRevision(): Promise<number> {
    // Any read returns the cluster's revision in its header; a count of one key is the cheapest.
    const res = await this.call(() => hedged(this.client.health, () => this.client.kv.range({ key: b(COMPACT_KEY), count_only: true })));
    return Number(res.header.revision);
  }

  async compactedRevision(): Promise<number> {
    // kube's compactor writes the revision it compacts to into the compact key before compacting.
    const res = await this.call(() => hedged(this.client.health, () => this.client.kv.range({ key: b(COMPACT_KEY) })));
    const kv = res.kvs[0];
    return kv ? Number(kv.value.toString('utf8')) || 0 : 0;
  }

  async compact(rev: number): Promise<void> {
    if (rev <= 0) return;
    try {
      await this.client.kv.compact({ revision: rev, physical: false });
    } catch (err) {
      // Someone (another server, etcdctl) compacted further already: nothing left to do.
      if (/required revision has been compacted/.test((err as Error).message)) return;
      throw storageError(err);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
