// aesgcm: kube's aes.NewGCMTransformer, the transformer behind the `aesgcm` provider.
// Payload = nonce(12) || ciphertext || tag(16), with the storage key as additional data, so a
// value copied under another key does not decrypt. The nonce is 12 fresh random bytes per write:
// that is what NewGCMTransformer does (nonceFunc = randomNonce). kube's counter-based nonce
// (4 random bytes + 8-byte little-endian counter, NewGCMTransformerWithUniqueKeyUnsafe) is only
// used for KMS v2 DEKs generated at process start, never for configured aesgcm keys, because a
// counter restarting with the process would repeat nonces under a long-lived key.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomSlice } from './random.js';
import { aesAlgorithm, errShortData, keyCipher } from './aescbc.js';
import { KeyedProvider, type NamedKeyCipher } from './keyed.js';
import { CipherError, type KeyCipher, PREFIX_AESGCM_V1, concatBytes } from './types.js';

export const GCM_NONCE_SIZE = 12;
export const GCM_TAG_SIZE = 16;
/** Go's crypto/cipher errOpen. */
export const errGCMOpen = 'cipher: message authentication failed';

export function aesgcmCipher(key: Uint8Array): KeyCipher {
  const algorithm = aesAlgorithm(key, 'gcm') as 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
  const k = Buffer.from(key);
  return {
    seal(data, additionalData) {
      const nonce = randomSlice(GCM_NONCE_SIZE);
      const c = createCipheriv(algorithm, k, nonce, { authTagLength: GCM_TAG_SIZE });
      c.setAAD(additionalData);
      // One copy: the tag is read after final(), which the array's left-to-right evaluation keeps.
      return concatBytes(nonce, c.update(data), c.final(), c.getAuthTag());
    },
    open(data, additionalData) {
      if (data.length < GCM_NONCE_SIZE) throw new CipherError(errShortData);
      if (data.length < GCM_NONCE_SIZE + GCM_TAG_SIZE) throw new CipherError(errGCMOpen);
      const nonce = data.subarray(0, GCM_NONCE_SIZE);
      const body = data.subarray(GCM_NONCE_SIZE, data.length - GCM_TAG_SIZE);
      const tag = data.subarray(data.length - GCM_TAG_SIZE);
      try {
        const d = createDecipheriv(algorithm, k, nonce, { authTagLength: GCM_TAG_SIZE });
        d.setAAD(additionalData);
        d.setAuthTag(tag);
        const out = d.update(body);
        const last = d.final(); // empty for GCM: skip the copy
        return last.length ? concatBytes(out, last) : new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch {
        throw new CipherError(errGCMOpen);
      }
    },
  };
}

export const AESGCM_NO_MATCHING_KEY = 'no matching key was found for the provided AES transformer';

/** An aesgcm provider (`k8s:enc:aesgcm:v1:`) over raw keys, first key writes. */
export function aesgcmProvider(keys: readonly { name: string; key: Uint8Array }[]): KeyedProvider {
  const named: NamedKeyCipher[] = keys.map(({ name, key }) => ({ name, cipher: keyCipher(name, key, aesgcmCipher) }));
  return new KeyedProvider('aesgcm', PREFIX_AESGCM_V1, named, AESGCM_NO_MATCHING_KEY);
}
