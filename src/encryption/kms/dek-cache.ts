// Decrypted DEKs and seeds of a kms v2 provider, by what identifies them in storage (kube's
// generateCacheKey: source type, encrypted source, key id, sorted annotations), kept 24 hours after
// last being set (kube's cacheTTL) so reads need the plugin only once per seed. Concurrent misses for
// the same seed share one Decrypt call (a server start lists every value under few seeds).

import type { KeyCipher } from '../providers/types.js';
import type { EncryptedObject } from './encrypted-object.js';

export const DEK_CACHE_TTL_MS = 24 * 60 * 60 * 1000;

export function dekCacheKey(o: Pick<EncryptedObject, 'encryptedDEKSourceType' | 'encryptedDEKSource' | 'keyID' | 'annotations'>): string {
  let k = `${o.encryptedDEKSourceType}\0${Buffer.from(o.encryptedDEKSource).toString('base64')}\0${o.keyID}`;
  for (const name of Object.keys(o.annotations).sort()) k += `\0${name}\0${Buffer.from(o.annotations[name]!).toString('base64')}`;
  return k;
}

export class DekCache {
  private readonly entries = new Map<string, { cipher: KeyCipher; expires: number }>();
  private readonly pending = new Map<string, Promise<KeyCipher>>();

  constructor(private readonly ttlMs = DEK_CACHE_TTL_MS) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): KeyCipher | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.cipher;
  }

  set(key: string, cipher: KeyCipher): void {
    const now = Date.now();
    const e = this.entries.get(key);
    // Refreshing an entry is on every write's path: keep it to a field update.
    if (e && e.cipher === cipher) {
      e.expires = now + this.ttlMs;
      return;
    }
    this.entries.set(key, { cipher, expires: now + this.ttlMs });
    if (this.entries.size % 64 === 0) for (const [k, v] of this.entries) if (v.expires < now) this.entries.delete(k);
  }

  /** The cached cipher, or the one `load` produces (one load per key at a time; failures are not kept). */
  async getOrLoad(key: string, load: () => Promise<KeyCipher>): Promise<KeyCipher> {
    const hit = this.get(key);
    if (hit) return hit;
    let p = this.pending.get(key);
    if (!p) {
      p = load().then((cipher) => {
        this.set(key, cipher);
        return cipher;
      }).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }
}
