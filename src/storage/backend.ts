// The byte-level key/value contract every storage engine implements (SQLite now, etcd later).
// It is deliberately etcd-shaped: one global revision, compare-and-swap on a key's mod revision,
// range reads at a revision, and a watch from a revision. Nothing above this layer knows the engine.

export interface KV {
  key: string;
  value: Uint8Array;
  /** Revision of the last write to this key (its resourceVersion). */
  modRev: number;
  /** Revision at which the key was created. */
  createRev: number;
}

export interface BackendEvent {
  type: 'put' | 'delete';
  key: string;
  /** New value for put; absent for delete. */
  value?: Uint8Array;
  /** Value before this write; absent for a create. */
  prevValue?: Uint8Array;
  /** Revision of this event. */
  rev: number;
  /** For a put: true when the key did not exist before. */
  created?: boolean;
}

export interface RangeOptions {
  /** Read keys strictly after this one (continue tokens). */
  startAfter?: string;
  limit?: number;
  /** Read the state as of this revision; 0 or absent = latest. */
  rev?: number;
}

export interface RangeResult {
  kvs: KV[];
  /** The revision the range was read at. */
  rev: number;
  /** More keys follow the last returned one. */
  more: boolean;
}

export type WriteResult = { ok: true; rev: number } | { ok: false; current?: KV };
export type DeleteResult = { ok: true; rev: number; prev: KV } | { ok: false; current?: KV };

export interface WatchHandle {
  cancel(): void;
}

export interface Backend {
  readonly name: string;
  /**
   * True when every write goes through this object, which emits its events synchronously with the
   * write (SQLite): then "the queue is empty" means every event up to the current revision arrived.
   * False when others write too (etcd): watch progress comes from the engine's own notifications.
   */
  readonly localEvents: boolean;
  get(key: string): Promise<KV | undefined>;
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  /** Count the live keys under a prefix (after `startAfter`, at `rev` when given). */
  count(prefix: string, opts?: Omit<RangeOptions, 'limit'>): Promise<number>;
  /** Writes only if the key does not exist. */
  create(key: string, value: Uint8Array): Promise<WriteResult>;
  /** Writes only if the key's modRev equals expectModRev. */
  update(key: string, value: Uint8Array, expectModRev: number): Promise<WriteResult>;
  /** Deletes only if the key's modRev equals expectModRev. */
  delete(key: string, expectModRev: number): Promise<DeleteResult>;
  /**
   * Events for keys under prefix with rev > fromRev, in revision order. onProgress(rev), where the
   * engine offers it, says every event up to rev has been passed to onEvent.
   */
  watch(
    prefix: string, fromRev: number, onEvent: (e: BackendEvent) => void, onError: (err: Error) => void,
    onProgress?: (rev: number) => void,
  ): WatchHandle;
  currentRevision(): Promise<number>;
  /** Revisions at or below this are gone: reads at them fail with TooOld. */
  compactedRevision(): Promise<number>;
  compact(rev: number): Promise<void>;
  close(): Promise<void>;
}

/** Storage-level failures; the registry maps them to API Status errors. */
export class StorageError extends Error {
  constructor(
    readonly code: 'NotFound' | 'Exists' | 'Conflict' | 'TooOld' | 'TooLarge' | 'Unavailable' | 'Internal',
    message: string,
    readonly key?: string,
    readonly rev?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
