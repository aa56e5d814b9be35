// Types of the EncryptionConfiguration (apiserver.config.k8s.io/v1) and its group/resource strings.

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

export interface EncryptionKey {
  name: string;
  /** Standard base64 (with padding) of the raw key. Never log it. */
  secret: string;
}

export interface AESConfiguration {
  keys: EncryptionKey[];
}

export interface SecretboxConfiguration {
  keys: EncryptionKey[];
}

export type IdentityConfiguration = Record<string, never>;

export interface KMSConfiguration {
  /** "v1" (the default) or "v2". */
  apiVersion: string;
  name: string;
  /** e.g. unix:///var/run/kms.sock */
  endpoint: string;
  /** KMS v1 DEK cache size: defaults to 1000, negative disables; must be unset for v2. */
  cachesize?: number;
  /** The timeout as Go prints it ("3s" when defaulted). */
  timeout: string;
  timeoutMs: number;
}

export interface ProviderConfiguration {
  aesgcm?: AESConfiguration;
  aescbc?: AESConfiguration;
  secretbox?: SecretboxConfiguration;
  identity?: IdentityConfiguration;
  kms?: KMSConfiguration;
}

export interface ResourceConfiguration {
  resources: string[];
  providers: ProviderConfiguration[];
}

export interface EncryptionConfiguration {
  apiVersion: typeof ENCRYPTION_CONFIG_API_VERSION;
  kind: typeof ENCRYPTION_CONFIG_KIND;
  resources: ResourceConfiguration[];
}

export type EncryptionConfigErrorStage = 'load' | 'decode' | 'validate' | 'build';

/**
 * A configuration that cannot be used. `message` reads like kube's; `errors` lists the individual
 * problems (field errors for validation). Nothing in it contains a key secret.
 */
export class EncryptionConfigError extends Error {
  override name = 'EncryptionConfigError';
  constructor(
    message: string,
    readonly stage: EncryptionConfigErrorStage,
    readonly errors: readonly string[] = [message],
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /** As kube-apiserver's --encryption-provider-config-automatic-reload: KMS v1 names must be unique too. */
  reload?: boolean;
  /** The file the text came from, for messages. */
  source?: string;
}

// ---------------------------------------------------------------------------------------------
// Group/resource strings

export interface GroupResource {
  group: string;
  resource: string;
}

/** schema.ParseGroupResource: "secrets" → {"" , secrets}; "*.apps" → {apps, *}; "*." → {"", *}. */
export function parseGroupResource(s: string): GroupResource {
  const i = s.indexOf('.');
  return i >= 0 ? { resource: s.slice(0, i), group: s.slice(i + 1) } : { resource: s, group: '' };
}

/** How kube names a rule in messages (grYAMLString): the core-group wildcard is "*.". */
export function groupResourceString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}
