// The value transformer between objects and the engine: every stored byte passes through it.
// The encryption-at-rest layer provides real implementations; identity stores bytes unchanged.
// `key` is the full storage key, which authenticated providers bind as additional data.

export interface TransformResult {
  data: Uint8Array;
  /** True when the value is not stored under the current write provider; a rewrite will fix it. */
  stale: boolean;
}

export interface Transformer {
  toStorage(data: Uint8Array, key: string): Promise<Uint8Array>;
  fromStorage(data: Uint8Array, key: string): Promise<TransformResult>;
}

export const identityTransformer: Transformer = {
  async toStorage(data) {
    return data;
  },
  async fromStorage(data) {
    return { data, stale: false };
  },
};
