// aescbc: kube's aes.NewCBCTransformer. Payload = IV(16 random) || AES-CBC(key, IV, PKCS#7(plaintext)).
// No authentication and no additional data. The AES variant follows the key length (16/24/32).
// Decryption reproduces kube's checks and messages (aes.go): short data, partial blocks, and the
// two PKCS#7 failures.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomSlice } from './random.js';
import { KeyedProvider, type NamedKeyCipher } from './keyed.js';
import { CipherError, type KeyCipher, PREFIX_AESCBC_V1, concatBytes } from './types.js';

const BLOCK = 16;

export const errShortData = 'the stored data was shorter than the required size';
export const errInvalidBlockSize = 'the stored data is not a multiple of the block size';
export const errInvalidPKCS7Data = 'invalid PKCS7 data (empty or not padded)';
export const errInvalidPKCS7Padding = 'invalid padding on input';

export function aesAlgorithm(key: Uint8Array, mode: 'cbc' | 'gcm'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    // Go: crypto/aes.KeySizeError
    throw new CipherError(`crypto/aes: invalid key size ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

export function aescbcCipher(key: Uint8Array): KeyCipher {
  const algorithm = aesAlgorithm(key, 'cbc');
  const k = Buffer.from(key); // private copy
  return {
    seal(data) {
      const iv = randomSlice(BLOCK);
      const padding = BLOCK - (data.length % BLOCK);
      const padded = new Uint8Array(data.length + padding);
      padded.set(data);
      padded.fill(padding, data.length);
      const c = createCipheriv(algorithm, k, iv).setAutoPadding(false);
      return concatBytes(iv, c.update(padded), c.final());
    },
    open(data) {
      if (data.length < BLOCK) throw new CipherError(errShortData);
      const iv = data.subarray(0, BLOCK);
      const body = data.subarray(BLOCK);
      if (body.length % BLOCK !== 0) throw new CipherError(errInvalidBlockSize);
      // (kube would index out of range on an empty body; report it as unpadded data.)
      if (body.length === 0) throw new CipherError(errInvalidPKCS7Data);
      const d = createDecipheriv(algorithm, k, iv).setAutoPadding(false);
      const result = concatBytes(d.update(body), d.final());
      const c = result[result.length - 1]!;
      if (c === 0 || c > result.length) throw new CipherError(errInvalidPKCS7Data);
      const size = result.length - c;
      for (let i = size; i < result.length; i++) if (result[i] !== c) throw new CipherError(errInvalidPKCS7Padding);
      return result.slice(0, size);
    },
  };
}

export const AESCBC_NO_MATCHING_KEY = 'no matching key was found for the provided AES transformer';

/** An aescbc provider (`k8s:enc:aescbc:v1:`) over raw keys, first key writes. */
export function aescbcProvider(keys: readonly { name: string; key: Uint8Array }[]): KeyedProvider {
  const named: NamedKeyCipher[] = keys.map(({ name, key }) => ({ name, cipher: keyCipher(name, key, aescbcCipher) }));
  return new KeyedProvider('aescbc', PREFIX_AESCBC_V1, named, AESCBC_NO_MATCHING_KEY);
}

/** kube: "error while creating cipher for named key %s: %w" — names the key, never its bytes. */
export function keyCipher(name: string, key: Uint8Array, make: (key: Uint8Array) => KeyCipher): KeyCipher {
  try {
    return make(key);
  } catch (err) {
    throw new Error(`error while creating cipher for named key ${name}: ${(err as Error).message}`);
  }
}
