// Object-level storage (kube-apiserver's storage.Interface): encodes objects as JSON, passes the bytes
// through the transformer, and keeps resourceVersion = the engine's mod revision. Optimistic
// concurrency lives here: guaranteedUpdate re-reads and retries when another writer got in first.

import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/types.js';
import type { Backend, KV } from './backend.js';
import { StorageError } from './backend.js';
import type { Transformer } from './transformer.js';
import { goEncodeObject } from './go-encoding.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface ListOptions {
  limit?: number;
  /** Full key to start after (from a continue token). */
  startAfter?: string;
  /** Read at this revision (0 = latest). */
  rev?: number;
  /** Only objects passing this predicate count towards `limit`. */
  filter?: (obj: KObject) => boolean;
}

export interface ListResult {
  items: KObject[];
  rev: number;
  /** Key of the last examined object when more may follow. */
  lastKey?: string;
}

export interface UpdateResult {
  object: KObject;
  /** False when the update changed nothing and no write happened (resourceVersion kept). */
  changed: boolean;
}

/** Returned by an update function to leave the object as it is. */
export const NO_CHANGE = Symbol('no-change');
export type TryUpdate = (current: KObject) => Promise<KObject | typeof NO_CHANGE> | KObject | typeof NO_CHANGE;

/** Decoded objects kept per key; an entry is valid only for the mod revision it was decoded at. */
const CACHE_ENTRIES = 10_000;

export class ObjectStore {
  // Reads check the engine's current revision of the key, so a hit is never stale, even with other
  // writers on the same engine; it only saves the transformer (decryption) and JSON parsing. Cached
  // objects are deep-frozen: callers that change an object must clone it first.
  private readonly cache = new Map<string, { rev: number; object: KObject }>();

  constructor(
    readonly backend: Backend,
    private readonly transformer: Transformer,
  ) {}

  private cached(kv: KV): KObject | undefined {
    const hit = this.cache.get(kv.key);
    if (hit && hit.rev === kv.modRev) return hit.object;
    return undefined;
  }

  private remember(kv: KV, object: KObject): KObject {
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(kv.key, { rev: kv.modRev, object: deepFreeze(object) });
    return object;
  }

  /** Bytes as kube writes them with --storage-media-type=application/json (see go-encoding.ts). */
  encode(obj: KObject): Uint8Array {
    const meta = { ...(obj.metadata ?? {}) };
    delete meta.resourceVersion;
    delete meta.selfLink;
    return enc.encode(goEncodeObject({ ...obj, metadata: meta }));
  }

  async decode(kv: KV): Promise<{ object: KObject; stale: boolean }> {
    let plain;
    try {
      plain = await this.transformer.fromStorage(kv.value, kv.key);
    } catch (err) {
      throw new StorageError('Internal', `unable to transform stored value of ${kv.key}: ${(err as Error).message}`, kv.key);
    }
    const object = this.parse(plain.data, kv.key);
    object.metadata = { ...(object.metadata ?? {}), resourceVersion: String(kv.modRev) };
    return { object, stale: plain.stale };
  }

  /** The bytes to store; a transformer failure (e.g. a KMS plugin down) is kube's storage internal error. */
  private async toStorage(obj: KObject, key: string): Promise<Uint8Array> {
    try {
      return await this.transformer.toStorage(this.encode(obj), key);
    } catch (err) {
      throw new StorageError('Internal', `unable to transform object for ${key}: ${(err as Error).message}`, key);
    }
  }

  /** Decodes a value taken from an event (no revision of its own). */
  async decodeValue(key: string, value: Uint8Array, rev: number): Promise<KObject> {
    return (await this.decode({ key, value, modRev: rev, createRev: 0 })).object;
  }

  private parse(bytes: Uint8Array, key: string): KObject {
    try {
      return JSON.parse(dec.decode(bytes)) as KObject;
    } catch {
      throw new StorageError('Internal', `stored value of ${key} is not a valid object`, key);
    }
  }

  async get(key: string): Promise<KObject | undefined> {
    const kv = await this.backend.get(key);
    if (!kv) {
      this.cache.delete(key);
      return undefined;
    }
    const hit = this.cached(kv);
    if (hit) return hit;
    const { object, stale } = await this.decode(kv);
    // A stale value is rewritten by the next update; keep decoding it until then.
    return stale ? object : this.remember(kv, object);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const items: KObject[] = [];
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let startAfter = opts.startAfter;
    let rev = opts.rev ?? 0;
    for (;;) {
      const page = await this.backend.range(prefix, { startAfter, rev, limit: limit ? Math.max(limit, 50) : 0 });
      rev = page.rev;
      for (const kv of page.kvs) {
        const { object } = await this.decode(kv);
        if (opts.filter && !opts.filter(object)) continue;
        items.push(object);
        if (limit && items.length === limit) {
          const more = kv !== page.kvs[page.kvs.length - 1] || page.more;
          return more ? { items, rev, lastKey: kv.key } : { items, rev };
        }
      }
      if (!page.more) return { items, rev };
      startAfter = page.kvs[page.kvs.length - 1]!.key;
    }
  }

  /** Creates the object; fails with Exists when the key is taken. Returns the stored object. */
  async create(key: string, obj: KObject): Promise<KObject> {
    if (obj.metadata?.resourceVersion) {
      throw new StorageError('Internal', 'resourceVersion should not be set on objects to be created', key);
    }
    const data = await this.toStorage(obj, key);
    const res = await this.backend.create(key, data);
    if (!res.ok) throw new StorageError('Exists', `key ${key} already exists`, key);
    return withRV(obj, res.rev);
  }

  /**
   * Read-modify-write with retries on concurrent modification. tryUpdate gets a private copy of the
   * current object; returning NO_CHANGE or an identical object skips the write (the resourceVersion
   * stays) unless the stored bytes are stale, in which case they are rewritten under the current key.
   */
  async guaranteedUpdate(key: string, tryUpdate: TryUpdate): Promise<UpdateResult> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.backend.get(key);
      if (!kv) throw new StorageError('NotFound', `key ${key} not found`, key);
      const { object: current, stale } = await this.decode(kv);
      const next = await tryUpdate(structuredClone(current));
      const unchanged = next === NO_CHANGE || isDeepStrictEqual(stripRV(next), stripRV(current));
      if (unchanged && !stale) return { object: current, changed: false };
      const target = next === NO_CHANGE ? current : next;
      const data = await this.toStorage(target, key);
      const res = await this.backend.update(key, data, kv.modRev);
      if (res.ok) return { object: withRV(target, res.rev), changed: !unchanged };
      if (attempt > 100) throw new StorageError('Conflict', `too many concurrent updates of ${key}`, key);
    }
  }

  /** Deletes after `check` accepts the current object (preconditions); returns the last state. */
  async delete(key: string, check?: (current: KObject) => void | Promise<void>): Promise<KObject> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.backend.get(key);
      if (!kv) throw new StorageError('NotFound', `key ${key} not found`, key);
      const { object } = await this.decode(kv);
      if (check) await check(object);
      const res = await this.backend.delete(key, kv.modRev);
      if (res.ok) return withRV(object, res.rev);
      if (attempt > 100) throw new StorageError('Conflict', `too many concurrent updates of ${key}`, key);
    }
  }

  currentRevision(): Promise<number> {
    return this.backend.currentRevision();
  }
}

export function withRV(obj: KObject, rev: number): KObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: String(rev) } };
}

function stripRV(obj: KObject): KObject {
  const meta = { ...(obj.metadata ?? {}) };
  delete meta.resourceVersion;
  return { ...obj, metadata: meta };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
