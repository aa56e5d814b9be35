// Shared shapes of the encryption-at-rest providers, byte-compatible with kube-apiserver's
// k8s.io/apiserver/pkg/storage/value (PrefixTransformer / NewPrefixTransformers).
//
// A provider owns a prefix (`k8s:enc:aescbc:v1:`, empty for identity). On write the caller
// prepends the provider prefix to what `toStorage` returns; on read the caller strips it and
// hands the rest to `fromStorage`. Providers with keys (aescbc, aesgcm, secretbox) add their own
// `<keyName>:` prefix inside, exactly as kube nests a key-level PrefixTransformers list.
//
// Errors raised here never contain plaintext, ciphertext or key material: only fixed messages
// (the ones kube uses) and provider/key names.

export type ProviderKind = 'identity' | 'aescbc' | 'aesgcm' | 'secretbox' | 'kms';

export interface ProviderReadResult {
  data: Uint8Array;
  /** True when the value was read by a key other than the provider's first (write) key. */
  stale: boolean;
}

export interface StorageProvider {
  readonly kind: ProviderKind;
  /** The provider prefix written before the payload; empty for identity. */
  readonly prefix: Uint8Array;
  /** Names of the keys, in configuration order (the KMS provider name for kms; none for identity). */
  readonly keyNames: readonly string[];
  /** Transforms plaintext into what follows the provider prefix (key prefix included). */
  toStorage(data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array>;
  /** Reverses `toStorage`; `data` is what follows the provider prefix. */
  fromStorage(data: Uint8Array, additionalData: Uint8Array): Promise<ProviderReadResult>;
}

/** What one key does: encrypt and decrypt a payload (the key prefix is handled by the caller). */
export interface KeyCipher {
  seal(data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> | Uint8Array;
  open(data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export const PREFIX_AESCBC_V1 = 'k8s:enc:aescbc:v1:';
export const PREFIX_AESGCM_V1 = 'k8s:enc:aesgcm:v1:';
export const PREFIX_SECRETBOX_V1 = 'k8s:enc:secretbox:v1:';
export const PREFIX_KMS_V1 = 'k8s:enc:kms:v1:';
export const PREFIX_KMS_V2 = 'k8s:enc:kms:v2:';
/** Every encrypted value starts with this; identity refuses to read such values. */
export const ENCRYPTED_PREFIX = 'k8s:enc:';

/** Kube's "the stored data was shorter than the required size" and friends: a fixed, data-free message. */
export class CipherError extends Error {
  override name = 'CipherError';
}

const encoder = new TextEncoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

export function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The message of apimachinery's errors.Reduce(errors.NewAggregate(errs)): one error is itself,
 * several are `[a, b]` with duplicate messages collapsed.
 */
export function aggregateMessage(messages: readonly string[]): string {
  const seen: string[] = [];
  for (const m of messages) if (!seen.includes(m)) seen.push(m);
  if (seen.length === 1) return seen[0]!;
  return `[${seen.join(', ')}]`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A keyed provider could not read a value. `message` is kube's text (the key-level aggregate, or
 * "no matching key was found for the provided AES transformer"); `triedKeys` names the keys whose
 * `<name>:` prefix matched the value (empty when none did).
 */
export class ProviderReadError extends Error {
  override name = 'ProviderReadError';
  constructor(
    message: string,
    readonly kind: ProviderKind,
    readonly triedKeys: readonly string[],
  ) {
    super(message);
  }
}
