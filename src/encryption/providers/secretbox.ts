// secretbox: kube's secretbox.NewSecretboxTransformer (NaCl XSalsa20-Poly1305, 32-byte key).
// Payload = nonce(24 random) || box, where box is NaCl's Seal output: Poly1305 tag(16) then the
// XSalsa20 ciphertext. libsodium's crypto_secretbox_easy produces exactly that `tag || ct` layout.
// No additional data: the storage key is not bound (same as kube).

import { createRequire } from 'node:module';
import { keyCipher } from './aescbc.js';
import { KeyedProvider, type NamedKeyCipher } from './keyed.js';
import { randomSlice } from './random.js';
import { CipherError, type KeyCipher, PREFIX_SECRETBOX_V1, concatBytes } from './types.js';

type Sodium = typeof import('libsodium-wrappers');

// libsodium-wrappers' ESM build imports a file it does not ship (0.7.x); its CommonJS build works.
const require = createRequire(import.meta.url);
let sodiumReady: Promise<Sodium> | undefined;

/** libsodium, initialised once (`await sodium.ready`). */
export function loadSodium(): Promise<Sodium> {
  sodiumReady ??= (async () => {
    const sodium = require('libsodium-wrappers') as Sodium;
    await sodium.ready;
    return sodium;
  })();
  return sodiumReady;
}

export const SECRETBOX_KEY_SIZE = 32;
export const SECRETBOX_NONCE_SIZE = 24;
export const SECRETBOX_OVERHEAD = 16;
const errShortData = 'the stored data was shorter than the required size';
/** kube's message when secretbox.Open fails (wording is kube's own). */
export const errSecretboxOpen = 'output array was not large enough for encryption';

export function secretboxCipher(key: Uint8Array): KeyCipher {
  if (key.length !== SECRETBOX_KEY_SIZE) {
    throw new CipherError(`expected key size 32 for secretbox provider, got ${key.length}`);
  }
  const k = Uint8Array.from(key);
  return {
    async seal(data) {
      const sodium = await loadSodium();
      const nonce = randomSlice(SECRETBOX_NONCE_SIZE);
      return concatBytes(nonce, sodium.crypto_secretbox_easy(data, nonce, k));
    },
    async open(data) {
      if (data.length < SECRETBOX_NONCE_SIZE + SECRETBOX_OVERHEAD) throw new CipherError(errShortData);
      const sodium = await loadSodium();
      try {
        return sodium.crypto_secretbox_open_easy(data.subarray(SECRETBOX_NONCE_SIZE), data.subarray(0, SECRETBOX_NONCE_SIZE), k);
      } catch {
        throw new CipherError(errSecretboxOpen);
      }
    },
  };
}

export const SECRETBOX_NO_MATCHING_KEY = 'no matching key was found for the provided Secretbox transformer';

/** A secretbox provider (`k8s:enc:secretbox:v1:`) over raw 32-byte keys, first key writes. */
export function secretboxProvider(keys: readonly { name: string; key: Uint8Array }[]): KeyedProvider {
  const named: NamedKeyCipher[] = keys.map(({ name, key }) => ({ name, cipher: keyCipher(name, key, secretboxCipher) }));
  return new KeyedProvider('secretbox', PREFIX_SECRETBOX_V1, named, SECRETBOX_NO_MATCHING_KEY);
}
