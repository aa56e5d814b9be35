// Encryption at rest, byte-compatible with kube-apiserver's EncryptionConfiguration providers.
export * from './config.js';
export * from './transformer.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export {
  type KeyCipher, type ProviderKind, type ProviderReadResult, ProviderReadError, CipherError,
  ENCRYPTED_PREFIX, PREFIX_AESCBC_V1, PREFIX_AESGCM_V1, PREFIX_KMS_V1, PREFIX_KMS_V2, PREFIX_SECRETBOX_V1,
} from './providers/types.js';
export { aescbcCipher, aescbcProvider } from './providers/aescbc.js';
export { aesgcmCipher, aesgcmProvider } from './providers/aesgcm.js';
export { secretboxCipher, secretboxProvider, loadSodium } from './providers/secretbox.js';
export { identityProvider } from './providers/identity.js';
export { KeyedProvider } from './providers/keyed.js';
