// The kms v2 storage provider (kube's kmsv2 envelopeTransformer): `k8s:enc:kms:v2:<name>:` followed
// by a protobuf EncryptedObject. Writes seal with the probe's current seed; reads open with the DEK or
// seed the value names, from the cache or decrypted once by the plugin, and are stale when the value's
// key id or source type differs from the current write state.

import { PREFIX_KMS_V2, type ProviderReadResult, type StorageProvider, utf8 } from '../providers/types.js';
import { DekCache, dekCacheKey } from './dek-cache.js';
import { dekCipher, seedCipher } from './dek.js';
import { HKDF_SHA256_XNONCE_AES_GCM_SEED, decodeEncryptedObject, encodeEncryptedObject } from './encrypted-object.js';
import type { KmsV2Probe } from './probe.js';

export class KmsV2Provider implements StorageProvider {
  readonly kind = 'kms' as const;
  readonly prefix: Uint8Array;
  readonly keyNames: readonly string[];

  constructor(
    readonly name: string,
    private readonly probe: KmsV2Probe,
    private readonly cache: DekCache,
  ) {
    this.prefix = utf8(`${PREFIX_KMS_V2}${name}:`);
    this.keyNames = [name];
  }

  async toStorage(data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
    const state = this.probe.writeState();
    // Keeps the write seed from expiring out of the read cache while it is in use.
    this.cache.set(state.cacheKey, state.cipher);
    const encryptedData = await state.cipher.seal(data, additionalData);
    return encodeEncryptedObject({ ...state.object, encryptedData });
  }

  async fromStorage(data: Uint8Array, additionalData: Uint8Array): Promise<ProviderReadResult> {
    const o = decodeEncryptedObject(data);
    const cipher = await this.cache.getOrLoad(dekCacheKey(o), async () => {
      let plain: Uint8Array;
      try {
        plain = await this.probe.client.decrypt({ ciphertext: o.encryptedDEKSource, key_id: o.keyID, annotations: o.annotations });
      } catch (err) {
        throw new Error(`failed to decrypt DEK, error: ${(err as Error).message}`);
      }
      return o.encryptedDEKSourceType === HKDF_SHA256_XNONCE_AES_GCM_SEED ? seedCipher(plain) : dekCipher(plain);
    });
    const out = await cipher.open(o.encryptedData, additionalData);
    const state = this.probe.peekState();
    const stale = !state || o.keyID !== state.object.keyID || o.encryptedDEKSourceType !== state.object.encryptedDEKSourceType;
    return { data: out, stale };
  }

  /** The key id new writes carry, when the plugin has given one. */
  get currentKeyID(): string | undefined {
    return this.probe.currentKeyID;
  }
}
