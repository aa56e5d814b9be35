// Builds the storage `Transformer` for a group/resource from an EncryptionConfiguration, with
// kube-apiserver's provider-list semantics (value.NewPrefixTransformers):
//
//  * write: the first provider (and its first key); output = provider prefix || key prefix || payload;
//  * read: every provider whose prefix matches is tried in order, a failure does not stop later
//    ones (two aescbc blocks share a prefix during rotation); identity (empty prefix) refuses
//    `k8s:enc:` values silently; the result is stale unless the first provider's first key read it;
//  * no rule for the resource: an encrypt-checking identity (plaintext in, plaintext out).
//
// A failed read raises EncryptionError, whose message names the provider and key the value was
// written with and why it could not be read, followed by kube's own text in parentheses.
// Additional data for AEAD providers is the full storage key (e.g. /registry/secrets/default/db).

import { randomBytes } from 'node:crypto';
import { goQuote, formatFieldError } from '../api/field-errors.js';
import type { TransformResult, Transformer } from '../storage/transformer.js';
import {
  type EncryptionConfiguration, type EncryptionKey, type KMSConfiguration, type ProviderConfiguration,
  ENCRYPTION_CONFIG_API_VERSION, ENCRYPTION_CONFIG_KIND, EncryptionConfigError, decodeStdBase64,
  parseGroupResource, resourceRuleFor, ruleTable, validateEncryptionConfiguration,
} from './config.js';
import { aescbcProvider } from './providers/aescbc.js';
import { aesgcmProvider } from './providers/aesgcm.js';
import { errIdentityEncrypted, identityProvider } from './providers/identity.js';
import { secretboxProvider } from './providers/secretbox.js';
import {
  ENCRYPTED_PREFIX, PREFIX_AESCBC_V1, PREFIX_AESGCM_V1, PREFIX_KMS_V1, PREFIX_KMS_V2, PREFIX_SECRETBOX_V1,
  type ProviderKind, ProviderReadError, type StorageProvider, aggregateMessage, concatBytes, errorMessage,
  hasPrefix, utf8,
} from './providers/types.js';

export type { StorageProvider } from './providers/types.js';

// ---------------------------------------------------------------------------------------------
// Stored prefixes

export interface StoredPrefix {
  /** Who wrote the value: identity means no `k8s:enc:` prefix (plaintext). */
  provider: ProviderKind | 'unknown';
  /** For kms: "v1" or "v2". */
  version?: string;
  /** The key name (aescbc/aesgcm/secretbox) or KMS provider name; absent for identity or when unreadable. */
  keyName?: string;
  /** The full prefix text, key name and trailing colon included ("" for identity). */
  prefix: string;
}

const KEYED_PREFIXES: [string, ProviderKind, Uint8Array][] = [
  [PREFIX_AESCBC_V1, 'aescbc', utf8(PREFIX_AESCBC_V1)],
  [PREFIX_AESGCM_V1, 'aesgcm', utf8(PREFIX_AESGCM_V1)],
  [PREFIX_SECRETBOX_V1, 'secretbox', utf8(PREFIX_SECRETBOX_V1)],
];
// Encoded once: parseStoredPrefix runs on every read.
const ENCRYPTED_PREFIX_BYTES = utf8(ENCRYPTED_PREFIX);
const KMS_V1_BYTES = utf8(PREFIX_KMS_V1);
const KMS_V2_BYTES = utf8(PREFIX_KMS_V2);
const MAX_NAME_BYTES = 1024;
const decoder = new TextDecoder();

/**
 * Reads who wrote a stored value from its prefix: `k8s:enc:aescbc:v1:key1:…` → {aescbc, key1}.
 * A key name ends at the next ':'; kube does not forbid ':' inside names, so pass the configured
 * names in `keyNames` to resolve such names exactly (the longest matching one wins).
 */
export function parseStoredPrefix(value: Uint8Array | string, opts: { keyNames?: Iterable<string> } = {}): StoredPrefix {
  const data = typeof value === 'string' ? utf8(value) : value;
  if (!hasPrefix(data, ENCRYPTED_PREFIX_BYTES)) return { provider: 'identity', prefix: '' };
  const head = (n: number) => decoder.decode(data.subarray(0, Math.min(n, data.length)));
  const named = (base: string, provider: ProviderKind, version?: string): StoredPrefix => {
    const rest = data.subarray(base.length);
    let keyName: string | undefined;
    for (const name of opts.keyNames ?? []) {
      if (hasPrefix(rest, utf8(`${name}:`)) && (keyName === undefined || name.length > keyName.length)) keyName = name;
    }
    if (keyName === undefined) {
      const end = rest.subarray(0, MAX_NAME_BYTES).indexOf(0x3a);
      if (end > 0) keyName = decoder.decode(rest.subarray(0, end));
    }
    const out: StoredPrefix = { provider, prefix: keyName === undefined ? base : `${base}${keyName}:` };
    if (version) out.version = version;
    if (keyName !== undefined) out.keyName = keyName;
    return out;
  };
  for (const [base, provider, bytes] of KEYED_PREFIXES) if (hasPrefix(data, bytes)) return named(base, provider);
  if (hasPrefix(data, KMS_V1_BYTES)) return named(PREFIX_KMS_V1, 'kms', 'v1');
  if (hasPrefix(data, KMS_V2_BYTES)) return named(PREFIX_KMS_V2, 'kms', 'v2');
  const m = /^k8s:enc:[^:]{0,64}:[^:]{0,16}:/.exec(head(96));
  return { provider: 'unknown', prefix: m ? m[0] : ENCRYPTED_PREFIX };
}

function describeWriter(s: StoredPrefix): string {
  switch (s.provider) {
    case 'identity':
      return 'plaintext';
    case 'kms':
      return `kms ${s.version} provider ${goQuote(s.keyName ?? '')}`;
    case 'unknown':
      return `an unrecognised provider (prefix ${goQuote(s.prefix)})`;
    default:
      return s.keyName === undefined ? `${s.provider} (no key name)` : `${s.provider} key ${goQuote(s.keyName)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Read errors

export type EncryptionErrorReason =
  /** The value's provider (or KMS provider name) is not among the resource's providers. */
  | 'provider-not-configured'
  /** The provider is configured but has no key of the name the value was written with. */
  | 'key-not-configured'
  /** The key (or KMS provider) is configured but could not decrypt: wrong secret, or data moved/tampered. */
  | 'decrypt-failed'
  /** Plaintext value, and identity is not among the providers. */
  | 'plaintext-not-readable'
  /** A `k8s:enc:` prefix no provider knows. */
  | 'unknown-prefix';

/** A stored value could not be read. Names the storage key, provider and key — never data or secrets. */
export class EncryptionError extends Error {
  override name = 'EncryptionError';
  readonly code = 'ENCRYPTION_READ_FAILED';
  constructor(
    message: string,
    readonly storageKey: string,
    readonly stored: StoredPrefix,
    readonly reason: EncryptionErrorReason,
    /** kube-apiserver's own error text for the same failure. */
    readonly detail: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Transformers

export interface ResourceTransformer extends Transformer {
  /** The matching rule ("secrets", "*.", "*.*"), or null when none matched (encrypt-checking identity). */
  readonly rule: string | null;
  /** Providers in read order; the first writes. */
  readonly providers: readonly StorageProvider[];
  /** What new writes carry: the first provider and its first key. */
  readonly writeTarget: StoredPrefix;
}

class PrefixTransformers implements ResourceTransformer {
  readonly writeTarget: StoredPrefix;
  private readonly knownKeyNames: string[];

  constructor(
    readonly rule: string | null,
    readonly providers: readonly StorageProvider[],
  ) {
    if (providers.length === 0) throw new Error('a resource rule needs at least one provider');
    const first = providers[0]!;
    if (first.kind === 'identity') this.writeTarget = { provider: 'identity', prefix: '' };
    else if (first.kind === 'kms') this.writeTarget = parseStoredPrefix(first.prefix, { keyNames: first.keyNames });
    else this.writeTarget = parseStoredPrefix(concatBytes(first.prefix, utf8(`${first.keyNames[0]}:`)), { keyNames: first.keyNames });
    this.knownKeyNames = providers.flatMap((p) => p.keyNames);
  }

  async toStorage(data: Uint8Array, key: string): Promise<Uint8Array> {
    const first = this.providers[0]!;
    const out = await first.toStorage(data, utf8(key));
    return first.prefix.length ? concatBytes(first.prefix, out) : out;
  }

  async fromStorage(data: Uint8Array, key: string): Promise<TransformResult> {
    const aad = utf8(key);
    const failures: { provider: StorageProvider; error: unknown }[] = [];
    for (let i = 0; i < this.providers.length; i++) {
      const provider = this.providers[i]!;
      if (!hasPrefix(data, provider.prefix)) continue;
      try {
        const r = await provider.fromStorage(data.subarray(provider.prefix.length), aad);
        return { data: r.data, stale: r.stale || i !== 0 };
      } catch (error) {
        // identity refusing an encrypted value must not hide the providers after it
        if (provider.prefix.length === 0) continue;
        failures.push({ provider, error });
      }
    }
    throw this.readError(data, key, failures);
  }

  private readError(data: Uint8Array, storageKey: string, failures: { provider: StorageProvider; error: unknown }[]): EncryptionError {
    const stored = parseStoredPrefix(data, { keyNames: this.knownKeyNames });
    let detail: string;
    if (failures.length) detail = aggregateMessage(failures.map((f) => errorMessage(f.error)));
    else if (this.rule === null) detail = errIdentityEncrypted;
    else detail = 'no matching prefix found';

    const where = this.rule === null ? 'this resource (no rule in the encryption configuration covers it)' : `resource rule ${goQuote(this.rule)}`;
    const writer = describeWriter(stored);
    let reason: EncryptionErrorReason;
    let why: string;
    if (stored.provider === 'identity') {
      reason = 'plaintext-not-readable';
      why = `the stored value is not encrypted, and "identity: {}" is not among the providers for ${where}`;
    } else if (stored.provider === 'unknown') {
      reason = 'unknown-prefix';
      why = `it was written by ${writer}`;
    } else if (failures.length === 0) {
      reason = 'provider-not-configured';
      why = stored.provider === 'kms'
        ? `it was encrypted by ${writer}, which is not configured for ${where}`
        : `it was encrypted with ${writer}, but no ${stored.provider} provider is configured for ${where}`;
    } else {
      const triedKeys = failures.flatMap((f) => (f.error instanceof ProviderReadError ? f.error.triedKeys : [f.provider.keyNames[0] ?? '']));
      if (triedKeys.length === 0) {
        reason = 'key-not-configured';
        const names = [...new Set(failures.flatMap((f) => f.provider.keyNames))].map(goQuote).join(', ');
        why = `it was encrypted with ${writer}, which is not among the configured ${stored.provider} keys (${names}) for ${where}`;
      } else {
        reason = 'decrypt-failed';
        const aead = stored.provider === 'aesgcm' || stored.provider === 'kms';
        why = `it was encrypted with ${writer}, and the configured ${stored.provider === 'kms' ? 'provider' : `key ${goQuote(stored.keyName ?? '')}`} could not decrypt it`
          + ` (a different secret than the one it was written with${aead ? ', or a value copied from another storage key' : ', or corrupted data'})`;
      }
    }
    return new EncryptionError(`cannot read ${storageKey}: ${why}: ${detail}`, storageKey, stored, reason, detail);
  }
}

/** Builds the provider of a KMS entry; the KMS runtime (plugin client, DEK cache) lives outside this module. */
export type KmsProviderFactory = (kms: KMSConfiguration, ctx: { field: string }) => StorageProvider;

export interface EncryptionTransformerOptions {
  /** Required when the configuration lists a kms provider. */
  kmsFactory?: KmsProviderFactory;
  reload?: boolean;
}

/** `k8s:enc:kms:v1:<name>:` or `k8s:enc:kms:v2:<name>:`, the prefix a KMS provider must use. */
export function kmsPrefix(kms: KMSConfiguration): string {
  return `${kms.apiVersion === 'v2' ? PREFIX_KMS_V2 : PREFIX_KMS_V1}${kms.name}:`;
}

function rawKeys(keys: EncryptionKey[], field: string): { name: string; key: Uint8Array }[] {
  return keys.map((k, i) => {
    const key = decodeStdBase64(k.secret);
    if (!key) throw new EncryptionConfigError(`${field}.keys[${i}].secret: Invalid value: "REDACTED": secrets must be base64 encoded`, 'validate');
    return { name: k.name, key };
  });
}

/** One provider of the configuration, as kube's prefixTransformersAndProbes builds it. */
export function buildProvider(p: ProviderConfiguration, field: string, opts: EncryptionTransformerOptions = {}): StorageProvider {
  if (p.aesgcm) return aesgcmProvider(rawKeys(p.aesgcm.keys, `${field}.aesgcm`));
  if (p.aescbc) return aescbcProvider(rawKeys(p.aescbc.keys, `${field}.aescbc`));
  if (p.secretbox) return secretboxProvider(rawKeys(p.secretbox.keys, `${field}.secretbox`));
  if (p.kms) {
    const kms = p.kms;
    if (!opts.kmsFactory) {
      throw new EncryptionConfigError(
        `${field}.kms: kms provider ${goQuote(kms.name)} (apiVersion ${kms.apiVersion}) needs a KMS plugin runtime, which is not available; `
        + 'use aescbc, aesgcm or secretbox', 'build');
    }
    const provider = opts.kmsFactory(kms, { field: `${field}.kms` });
    const want = utf8(kmsPrefix(kms));
    if (provider.kind !== 'kms' || provider.prefix.length !== want.length || !hasPrefix(provider.prefix, want)) {
      throw new EncryptionConfigError(`${field}.kms: the KMS provider factory must return a kms provider with prefix ${goQuote(kmsPrefix(kms))}`, 'build');
    }
    return provider;
  }
  if (p.identity) return identityProvider();
  throw new EncryptionConfigError('provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity', 'build');
}

/** All transformers of one configuration; providers (and their keys) are built once, up front. */
export class EncryptionTransformers {
  private readonly built = new Map<string, StorageProvider>();
  private readonly cache = new Map<string, ResourceTransformer>();
  private readonly fallback = new PrefixTransformers(null, [identityProvider()]);

  constructor(
    readonly config: EncryptionConfiguration,
    opts: EncryptionTransformerOptions = {},
  ) {
    const errs = validateEncryptionConfiguration(config, { reload: opts.reload });
    if (errs.length) {
      const msgs = errs.map(formatFieldError);
      throw new EncryptionConfigError(aggregateMessage(msgs), 'validate', msgs);
    }
    ruleTable(config);
    config.resources.forEach((entry, i) => entry.providers.forEach((p, j) => {
      const field = `resources[${i}].providers[${j}]`;
      this.built.set(`${i}/${j}`, buildProvider(p, field, opts));
    }));
  }

  /** The transformer for a group/resource; secrets are ("", "secrets"). */
  transformerFor(group: string, resource: string): ResourceTransformer {
    const rule = resourceRuleFor(this.config, group, resource);
    if (!rule) return this.fallback;
    let t = this.cache.get(rule.rule);
    if (!t) {
      t = new PrefixTransformers(rule.rule, rule.providers.map((r) => this.built.get(`${r.resourceIndex}/${r.providerIndex}`)!));
      this.cache.set(rule.rule, t);
    }
    return t;
  }

  /** Same, from a "resource.group" string as written in the configuration ("secrets", "deployments.apps"). */
  transformerForResource(groupResource: string): ResourceTransformer {
    const gr = parseGroupResource(groupResource);
    return this.transformerFor(gr.group, gr.resource);
  }
}

export function createEncryptionTransformers(config: EncryptionConfiguration, opts: EncryptionTransformerOptions = {}): EncryptionTransformers {
  return new EncryptionTransformers(config, opts);
}

/** One-shot: the transformer for a group/resource of a parsed configuration. */
export function transformerFor(
  config: EncryptionConfiguration, group: string, resource: string, opts: EncryptionTransformerOptions = {},
): ResourceTransformer {
  return new EncryptionTransformers(config, opts).transformerFor(group, resource);
}

// ---------------------------------------------------------------------------------------------
// First-start configuration

/** A fresh key secret: `bytes` random bytes, standard base64 (as `head -c 32 /dev/urandom | base64`). */
export function generateKeySecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64');
}

/** `key-<yyyymmdd>` (UTC), with `-2`, `-3`… appended when that name is taken. */
export function newKeyName(existing: Iterable<string> = [], now: Date = new Date()): string {
  const taken = new Set(existing);
  const base = `key-${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export interface GenerateConfigOptions {
  keyName?: string;
  now?: Date;
  /** Keep `identity: {}` after secretbox so values stored before encryption stay readable (default true). */
  identityFallback?: boolean;
  /** Resources to encrypt (default ["secrets"]). */
  resources?: string[];
}

/**
 * The EncryptionConfiguration Opaque writes on first start: secretbox with one fresh 32-byte key
 * for Secrets, then identity so plaintext written before encryption was enabled can still be read
 * (and is rewritten encrypted, since such reads are stale). Write it with mode 0600.
 */
export function generateSecretboxConfig(opts: GenerateConfigOptions = {}): string {
  const now = opts.now ?? new Date();
  const keyName = opts.keyName ?? newKeyName([], now);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(keyName)) throw new Error(`invalid key name ${goQuote(keyName)}`);
  const resources = opts.resources ?? ['secrets'];
  const lines = [
    '# Encryption at rest for Opaque, in kube-apiserver\'s EncryptionConfiguration format.',
    `# Generated ${now.toISOString()}. This file holds the key that encrypts stored Secrets:`,
    '# keep it readable only by the server, and back it up. Without it they cannot be read.',
    `apiVersion: ${ENCRYPTION_CONFIG_API_VERSION}`,
    `kind: ${ENCRYPTION_CONFIG_KIND}`,
    'resources:',
    '  - resources:',
    ...resources.map((r) => `      - ${/^[a-z][a-z0-9.-]*$/.test(r) ? r : JSON.stringify(r)}`),
    '    providers:',
    '      - secretbox:',
    '          keys:',
    `            - name: ${keyName}`,
    `              secret: ${generateKeySecret(32)}`,
  ];
  if (opts.identityFallback ?? true) lines.push('      - identity: {}');
  return `${lines.join('\n')}\n`;
}
