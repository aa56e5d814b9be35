// A provider holding named keys (aescbc, aesgcm, secretbox): kube's aesPrefixTransformer /
// secretboxPrefixTransformer. Writes use the first key and are prefixed `<keyName>:`; reads try
// every key whose `<keyName>:` prefix matches, in order, and report stale unless the first key
// succeeded. A key that matches but fails does not stop later keys from being tried.

import {
  type KeyCipher, type ProviderKind, type ProviderReadResult, type StorageProvider,
  ProviderReadError, aggregateMessage, concatBytes, errorMessage, hasPrefix, utf8,
} from './types.js';

export interface NamedKeyCipher {
  name: string;
  cipher: KeyCipher;
}

export class KeyedProvider implements StorageProvider {
  readonly prefix: Uint8Array;
  readonly keyNames: readonly string[];
  private readonly keys: { name: string; prefix: Uint8Array; cipher: KeyCipher }[];

  constructor(
    readonly kind: ProviderKind,
    prefix: string,
    keys: readonly NamedKeyCipher[],
    /** kube's error when no key prefix matches, e.g. "no matching key was found for the provided AES transformer". */
    private readonly noMatchMessage: string,
  ) {
    if (keys.length === 0) throw new Error(`${kind} provider has no valid keys`);
    this.prefix = utf8(prefix);
    this.keys = keys.map((k) => ({ name: k.name, prefix: utf8(`${k.name}:`), cipher: k.cipher }));
    this.keyNames = keys.map((k) => k.name);
  }

  async toStorage(data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
    const first = this.keys[0]!;
    const payload = await first.cipher.seal(data, additionalData);
    return concatBytes(first.prefix, payload);
  }

  async fromStorage(data: Uint8Array, additionalData: Uint8Array): Promise<ProviderReadResult> {
    const errors: string[] = [];
    const tried: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!hasPrefix(data, key.prefix)) continue;
      tried.push(key.name);
      try {
        const out = await key.cipher.open(data.subarray(key.prefix.length), additionalData);
        return { data: out, stale: i !== 0 };
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    throw new ProviderReadError(errors.length ? aggregateMessage(errors) : this.noMatchMessage, this.kind, tried);
  }
}
