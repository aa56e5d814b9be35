// Encryption at rest as the server starts it. With --encryption-provider-config the given file is
// used as kube-apiserver uses it. Without it, the data dir's encryption.yaml is used, and on the first
// start it is generated with a fresh secretbox key (0600), so no Secret is ever stored in plaintext
// unless a configuration says so — and then every start warns about it.

import { existsSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadEncryptionConfigFile } from './config.js';
import type { KmsRuntime } from './kms/runtime.js';
import { LiveEncryption } from './live.js';
import type { EncryptionMetrics } from './metrics.js';
import { createEncryptionTransformers, generateSecretboxConfig, type EncryptionTransformerOptions } from './transformer.js';

export const GENERATED_CONFIG = 'encryption.yaml';

export interface EncryptionSetup {
  file: string;
  generated: boolean;
  live: LiveEncryption;
}

export interface EncryptionSetupOptions {
  dataDir: string;
  /** --encryption-provider-config */
  configFile?: string;
  /** Live Secrets already stored: a missing generated file must not be replaced by a new key. */
  storedSecrets: () => Promise<number>;
  log: Logger;
  metrics: EncryptionMetrics;
  /** Runs the configuration's kms v2 providers (plugin connections, probes); its factory builds them. */
  kms?: KmsRuntime;
}

export async function setupEncryption(o: EncryptionSetupOptions): Promise<EncryptionSetup> {
  let file = o.configFile;
  let generated = false;
  if (!file) {
    file = join(o.dataDir, GENERATED_CONFIG);
    if (!existsSync(file)) {
      const stored = await o.storedSecrets();
      if (stored > 0) {
        // A new key could not read them: refuse rather than leave them unreadable.
        throw new Error(
          `${file} is missing but the database holds ${stored} secrets encrypted with the key it contained; ` +
            'restore the file from a backup, or pass --encryption-provider-config with the configuration that encrypted them',
        );
      }
      writeFileSync(file, generateSecretboxConfig({ identityFallback: false }), { mode: 0o600 });
      chmodSync(file, 0o600);
      generated = true;
    }
  }
  const config = await loadEncryptionConfigFile(file);
  const transformerOptions: EncryptionTransformerOptions = o.kms ? { kmsFactory: o.kms.factory } : {};
  const transformers = createEncryptionTransformers(config, transformerOptions);
  if (o.kms) {
    // As kube-apiserver: one Status round per plugin before serving; a failing plugin is not fatal
    // (it may start later), it fails the kms-providers check and writes until it answers.
    await o.kms.primed(config);
    o.kms.use(config);
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    o.log.warn({ file, mode: mode.toString(8) }, 'the encryption configuration holds keys but is readable by other users; chmod 600 it');
  }
  const secrets = transformers.transformerFor('', 'secrets');
  if (secrets.writeTarget.provider === 'identity') {
    o.log.warn({ file }, 'secrets are stored unencrypted: the first provider for secrets is identity in the encryption configuration');
  }
  o.log.info({ file, generated, secrets: secrets.writeTarget.prefix || 'identity' }, 'encryption at rest');
  return { file, generated, live: new LiveEncryption(transformers, file, o.metrics, o.log, transformerOptions, o.kms) };
}
