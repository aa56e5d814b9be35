// The data ciphers behind a kms v2 value, byte-compatible with kube-apiserver:
//  * seed (HKDF_SHA256_XNONCE_AES_GCM_SEED, what kube 1.29+ writes): per write 32 random info bytes,
//    DEK = HKDF-Expand(SHA-256, seed, info, 32) — expand only, no extract, which for 32 bytes is
//    HMAC-SHA256(seed, info || 0x01) (node's hkdf always extracts first, so it cannot be used) —
//    then AES-256-GCM with a random 12-byte nonce: info || nonce || ciphertext || tag;
//  * key (AES_GCM_KEY, older writers): the plugin-protected 32 bytes are the DEK itself, and the
//    payload is plain AES-GCM (nonce || ciphertext || tag). Read only: kube no longer writes it.
// The storage key is the additional data in both.

import { createHmac } from 'node:crypto';
import { aesgcmCipher } from '../providers/aesgcm.js';
import { randomSlice } from '../providers/random.js';
import { CipherError, type KeyCipher, concatBytes } from '../providers/types.js';

export const SEED_SIZE = 32;
export const INFO_SIZE = 32;
const ONE = Uint8Array.of(1);

/** HKDF-Expand(SHA-256, prk, info, 32): one HMAC block, T(1) = HMAC(prk, info || 0x01). */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array): Buffer {
  return createHmac('sha256', prk).update(info).update(ONE).digest();
}

/** Derived-key ciphers kept per seed for repeated reads (kube keeps them per storage key too). */
const DERIVED_CACHE_ENTRIES = 10_000;

/** Seed-derived keys, a fresh one per write. */
export function seedCipher(seed: Uint8Array): KeyCipher {
  if (seed.length < SEED_SIZE) throw new CipherError(`invalid seed length ${seed.length} used for key generation`);
  const s = Buffer.from(seed);
  // Reads of an unchanged value derive the same key again: keep the last one per storage key and use
  // it when the value's info matches (a rewrite brings new info, so the entry is replaced).
  const derived = new Map<string, { info: Buffer; cipher: KeyCipher }>();
  const decoder = new TextDecoder('latin1');
  return {
    seal(data, additionalData) {
      const info = randomSlice(INFO_SIZE);
      const body = aesgcmCipher(hkdfExpandSha256(s, info)).seal(data, additionalData) as Uint8Array;
      return concatBytes(info, body);
    },
    open(data, additionalData) {
      if (data.length < INFO_SIZE) throw new CipherError('the stored data was shorter than the required size');
      const info = data.subarray(0, INFO_SIZE);
      const k = decoder.decode(additionalData);
      let e = derived.get(k);
      if (!e || !e.info.equals(info)) {
        e = { info: Buffer.from(info), cipher: aesgcmCipher(hkdfExpandSha256(s, info)) };
        derived.delete(k);
        if (derived.size >= DERIVED_CACHE_ENTRIES) derived.delete(derived.keys().next().value as string);
        derived.set(k, e);
      }
      return e.cipher.open(data.subarray(INFO_SIZE), additionalData);
    },
  };
}

/** A DEK used directly (values written with the legacy AES_GCM_KEY source type). */
export function dekCipher(dek: Uint8Array): KeyCipher {
  return aesgcmCipher(dek); // checks the key size as Go's aes.NewCipher does
}
