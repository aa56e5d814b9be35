// What the plugin does with a DEK or seed: AES-256-GCM under the active KEK, with the key id as
// additional data so a ciphertext only opens under the key it names. Layout: 0x01 || nonce(12) ||
// ciphertext || tag(16) (the leading byte versions the format).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kek } from './keyfile.js';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;

export function wrap(kek: Kek, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', kek.key, nonce, { authTagLength: TAG });
  c.setAAD(Buffer.from(kek.keyID));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.of(VERSION), nonce, body, c.getAuthTag()]);
}

/** Throws a data-free message when the ciphertext does not open. */
export function unwrap(kek: Kek, ciphertext: Uint8Array): Buffer {
  const data = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  if (data.length < 1 + NONCE + TAG || data[0] !== VERSION) throw new Error('ciphertext is not in the format this plugin writes');
  try {
    const d = createDecipheriv('aes-256-gcm', kek.key, data.subarray(1, 1 + NONCE), { authTagLength: TAG });
    d.setAAD(Buffer.from(kek.keyID));
    d.setAuthTag(data.subarray(data.length - TAG));
    return Buffer.concat([d.update(data.subarray(1 + NONCE, data.length - TAG)), d.final()]);
  } catch {
    throw new Error(`ciphertext does not open under key "${kek.name}" (damaged, or not written by it)`);
  }
}
