// identity: kube's identity.NewEncryptCheckTransformer. Stores bytes unchanged (empty prefix) and
// refuses, on read, any value that starts with `k8s:enc:` — so an identity provider listed before
// an encrypting one does not hand ciphertext back as if it were an object. The caller skips an
// identity refusal silently and goes on to the next provider, as kube does.

import { CipherError, ENCRYPTED_PREFIX, type StorageProvider, hasPrefix, utf8 } from './types.js';

export const errIdentityEncrypted = 'identity transformer tried to read encrypted data';
const encryptedPrefix = utf8(ENCRYPTED_PREFIX);

export function identityProvider(): StorageProvider {
  return {
    kind: 'identity',
    prefix: new Uint8Array(0),
    keyNames: [],
    async toStorage(data) {
      return data;
    },
    async fromStorage(data) {
      if (hasPrefix(data, encryptedPrefix)) throw new CipherError(errIdentityEncrypted);
      return { data, stale: false };
    },
  };
}
