// The health and write state of one kms v2 provider (kube's kmsv2PluginProbe):
//  * Status is polled every 60 s while healthy and every 10 s while not; the server start primes it
//    once and carries on (a plugin may come up after the server);
//  * a health check answers from the last result for 20 s when it passed, 3 s when it failed;
//  * the Status key_id is authoritative: when it differs from the write state's, a new 32-byte seed is
//    encrypted by the plugin and adopted only if Encrypt's key_id equals Status' key_id;
//  * every successful check extends the write state 3 minutes; when checks keep failing, writes stop
//    after that (so a KEK rotation cannot be silently ignored for long) while reads go on from the
//    decrypted-seed cache.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { KeyCipher } from '../providers/types.js';
import type { KmsV2Client } from './client.js';
import { type DekCache, dekCacheKey } from './dek-cache.js';
import { SEED_SIZE, seedCipher } from './dek.js';
import { type EncryptedObject, HKDF_SHA256_XNONCE_AES_GCM_SEED, keyIDError, validateEncryptedObject } from './encrypted-object.js';

export const POSITIVE_INTERVAL_MS = 60_000;
export const NEGATIVE_INTERVAL_MS = 10_000;
export const WRITE_STATE_MAX_TTL_MS = 3 * 60_000;
export const HEALTH_POSITIVE_TTL_MS = 20_000;
export const HEALTH_NEGATIVE_TTL_MS = 3_000;
export const KMS_API_VERSIONS = ['v2', 'v2beta1'];

/** What new writes are encrypted with: a seed and how it is stored (the object without its data). */
export interface WriteState {
  cipher: KeyCipher;
  object: Omit<EncryptedObject, 'encryptedData'>;
  cacheKey: string;
  uid: string;
  expiresAt: number;
}

/** The provider cannot do what was asked; the message names it and says why. */
export class KmsProviderError extends Error {
  override name = 'KmsProviderError';
}

export class KmsV2Probe {
  private state?: WriteState;
  private last: { error?: Error; at: number; ttl: number } = { at: 0, ttl: 0 };
  private inflight?: Promise<void>;
  private version?: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Called after each Status round (e.g. to log a failure once). */
  onResult?: (error: Error | undefined) => void;

  constructor(
    readonly name: string,
    readonly client: KmsV2Client,
    private readonly cache: DekCache,
  ) {}

  /** The last check's error, if it failed. */
  get lastError(): Error | undefined {
    return this.last.error;
  }

  get currentKeyID(): string | undefined {
    return this.state?.object.keyID;
  }

  /** Primes once (awaited, never throws) and keeps polling in the background. */
  async start(): Promise<void> {
    await this.check().catch(() => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.last.error ? NEGATIVE_INTERVAL_MS : POSITIVE_INTERVAL_MS;
    this.timer = setTimeout(() => {
      void this.refresh().catch(() => undefined).finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The health check: the cached result while fresh, else a Status round. */
  check(): Promise<void> {
    if (Date.now() - this.last.at < this.last.ttl) return this.last.error ? Promise.reject(this.last.error) : Promise.resolve();
    return this.refresh();
  }

  /** A Status round now (shared with one already running). */
  refresh(): Promise<void> {
    this.inflight ??= this.round().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async round(): Promise<void> {
    let error: Error | undefined;
    try {
      const status = await this.client.status().catch((err: Error) => {
        throw new KmsProviderError(`failed to perform status section of the healthz check for KMS Provider ${this.name}, error: ${err.message}`);
      });
      await this.healthyOrRotate(status);
    } catch (err) {
      error = err as Error;
    }
    this.last = { error, at: Date.now(), ttl: error ? HEALTH_NEGATIVE_TTL_MS : HEALTH_POSITIVE_TTL_MS };
    this.onResult?.(error);
    if (error) throw error;
  }

  private async healthyOrRotate(status: { version: string; healthz: string; key_id: string }): Promise<void> {
    const errs: string[] = [];
    if (status.healthz !== 'ok') errs.push(`got unexpected healthz status: ${status.healthz}`);
    if (!KMS_API_VERSIONS.includes(status.version)) {
      errs.push(`expected KMSv2 API version v2, got ${status.version}`);
    } else {
      this.version ??= status.version;
      if (this.version !== status.version) {
        errs.push(`KMSv2 API version should not change after the initial status response version ${this.version}, got ${status.version}`);
      }
    }
    const keyErr = keyIDError(status.key_id);
    if (keyErr) errs.push(`got invalid KMSv2 KeyID: ${keyErr}`);
    else {
      const rot = await this.rotateOnKeyIDChange(status.key_id);
      if (rot) errs.push(rot);
    }
    if (errs.length) throw new KmsProviderError(`kmsv2 Provider ${this.name} is not healthy, error: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`);
  }

  /** Keeps the seed while the key id holds (extending it), else makes a new one; returns an error text. */
  private async rotateOnKeyIDChange(statusKeyID: string): Promise<string | undefined> {
    // The clock starts before the call: the 3 minutes are an upper bound.
    const expiresAt = Date.now() + WRITE_STATE_MAX_TTL_MS;
    if (this.state && this.state.object.keyID === statusKeyID) {
      this.state.expiresAt = expiresAt;
      return undefined;
    }
    const uid = randomUUID();
    const seed = randomBytes(SEED_SIZE);
    let encryptKeyID = '';
    try {
      const res = await this.client.encrypt(seed, uid);
      encryptKeyID = res.key_id;
      const object = {
        keyID: res.key_id,
        encryptedDEKSource: res.ciphertext,
        annotations: res.annotations ?? {},
        encryptedDEKSourceType: HKDF_SHA256_XNONCE_AES_GCM_SEED,
      } as const;
      validateEncryptedObject({ ...object, encryptedData: Uint8Array.of(0) });
      if (res.key_id === statusKeyID) {
        const cipher = seedCipher(seed);
        const cacheKey = dekCacheKey(object);
        this.cache.set(cacheKey, cipher);
        this.state = { cipher, object, cacheKey, uid, expiresAt };
        return undefined;
      }
    } catch (err) {
      return `failed to rotate DEK uid="${uid}": failed to encrypt DEK, error: ${(err as Error).message}`;
    } finally {
      seed.fill(0);
    }
    return `failed to rotate DEK uid="${uid}": the key_id from Encrypt (${keyIDHash(encryptKeyID)}) differs from the key_id from Status (${keyIDHash(statusKeyID)})`;
  }

  /** The state writes use; throws when there is none yet or it expired. */
  writeState(): WriteState {
    const s = this.state;
    if (!s) {
      const why = this.last.error ? `: ${this.last.error.message}` : '';
      throw new KmsProviderError(`kms v2 provider "${this.name}" has no data key yet: the plugin at ${this.client.endpoint} has not answered Status and Encrypt successfully${why}`);
    }
    if (Date.now() > s.expiresAt) {
      const why = this.last.error ? `: ${this.last.error.message}` : '';
      throw new KmsProviderError(
        `kms v2 provider "${this.name}": encryptedDEKSource with keyID hash "${keyIDHash(s.object.keyID)}" expired at ${new Date(s.expiresAt).toISOString()}`
        + ` (the plugin at ${this.client.endpoint} has failed its checks for more than 3 minutes)${why}`);
    }
    return s;
  }

  /** The current write state, expired or not (reads use it to tell stale values). */
  peekState(): WriteState | undefined {
    return this.state;
  }
}

/** kube's GetHashIfNotEmpty: key ids are public, but logs and metrics show only their hash. */
export function keyIDHash(keyID: string): string {
  return keyID ? `sha256:${createHash('sha256').update(keyID).digest('hex')}` : '';
}
