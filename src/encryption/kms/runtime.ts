// The KMS runtime of a server: one plugin connection, probe and seed cache per configured kms v2
// provider, shared by every configuration loaded while the server runs (an automatic reload that
// keeps a provider keeps its connection and seeds), plus the `kms-providers` health check.
// A reloaded configuration with a new kms provider is accepted only once that provider is healthy
// (polled every 100 ms for up to twice the sum of the KMS timeouts, at least 10 s, as kube does);
// providers no configuration uses any more are closed after that same grace period.

import type { Logger } from 'pino';
import { goQuote } from '../../api/field-errors.js';
import { type EncryptionConfiguration, EncryptionConfigError, type KMSConfiguration } from '../config.js';
import type { KmsProviderFactory } from '../transformer.js';
import { KmsV2Client } from './client.js';
import { DekCache } from './dek-cache.js';
import { KmsV2Probe } from './probe.js';
import { KmsV2Provider } from './provider.js';

interface Entry {
  kms: KMSConfiguration;
  probe: KmsV2Probe;
  provider: KmsV2Provider;
  started: Promise<void>;
}

const entryKey = (k: KMSConfiguration) => `${k.name}\0${k.endpoint}\0${k.timeoutMs}`;

export function kmsProvidersOf(config: EncryptionConfiguration): KMSConfiguration[] {
  return config.resources.flatMap((r) => r.providers.flatMap((p) => (p.kms ? [p.kms] : [])));
}

export class KmsRuntime {
  private readonly entries = new Map<string, Entry>();
  private inUse = new Set<string>();

  constructor(private readonly log?: Logger) {}

  /** For EncryptionTransformerOptions.kmsFactory. */
  readonly factory: KmsProviderFactory = (kms, ctx) => {
    if (kms.apiVersion !== 'v2') {
      throw new EncryptionConfigError(
        `${ctx.field}: kms provider ${goQuote(kms.name)} uses apiVersion ${kms.apiVersion}, which Opaque does not support (KMS v1 is deprecated): `
        + 'use a KMS v2 plugin (apiVersion: v2)', 'build');
    }
    return this.entry(kms).provider;
  };

  private entry(kms: KMSConfiguration): Entry {
    const key = entryKey(kms);
    let e = this.entries.get(key);
    if (!e) {
      const client = new KmsV2Client(kms.endpoint, kms.timeoutMs);
      const cache = new DekCache();
      const probe = new KmsV2Probe(kms.name, client, cache);
      let failing = false;
      probe.onResult = (err) => {
        // Log changes of health, not every poll.
        if (err && !failing) this.log?.error({ provider: kms.name, endpoint: kms.endpoint, err: err.message }, 'kms v2 provider is not healthy');
        if (!err && failing) this.log?.info({ provider: kms.name, endpoint: kms.endpoint }, 'kms v2 provider is healthy again');
        failing = !!err;
      };
      e = { kms, probe, provider: new KmsV2Provider(kms.name, probe, cache), started: probe.start() };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Waits for the first Status round of every provider of the configuration (it may have failed). */
  async primed(config: EncryptionConfiguration): Promise<void> {
    await Promise.all(kmsProvidersOf(config).map((k) => this.entry(k).started));
  }

  /** Marks the configuration in force: its providers are checked by `check`, the others closed. */
  use(config: EncryptionConfiguration, graceMs = 0): void {
    this.inUse = new Set(kmsProvidersOf(config).map(entryKey));
    const drop = [...this.entries].filter(([k]) => !this.inUse.has(k));
    if (!drop.length) return;
    // In-flight requests may still use them: close after the grace period, unless taken up again.
    const t = setTimeout(() => {
      for (const [k, e] of drop) {
        if (this.inUse.has(k) || this.entries.get(k) !== e) continue;
        this.entries.delete(k);
        e.probe.stop();
        e.probe.client.close();
      }
    }, graceMs);
    t.unref();
  }

  /** kube's close grace period: twice the sum of the KMS timeouts, at least 10 s. */
  static gracePeriodMs(config: EncryptionConfiguration): number {
    return Math.max(10_000, 2 * kmsProvidersOf(config).reduce((n, k) => n + k.timeoutMs, 0));
  }

  /** A reloaded configuration's KMS providers must all be healthy within the grace period. */
  async verify(config: EncryptionConfiguration): Promise<void> {
    const deadline = Date.now() + KmsRuntime.gracePeriodMs(config);
    for (const kms of kmsProvidersOf(config)) {
      const e = this.entry(kms);
      await e.started;
      for (;;) {
        try {
          await e.probe.check();
          break;
        } catch (err) {
          if (Date.now() >= deadline) throw new EncryptionConfigError(`kms provider ${goQuote(kms.name)} is not healthy: ${(err as Error).message}`, 'build');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  /** Whether the configuration in force has KMS providers (the health check is registered for them). */
  get active(): boolean {
    return this.inUse.size > 0;
  }

  /** The `kms-providers` check: every provider in force must pass; the error names the failing ones. */
  async check(): Promise<void> {
    const failures: string[] = [];
    for (const key of this.inUse) {
      const e = this.entries.get(key);
      if (!e) continue;
      await e.probe.check().catch((err: Error) => failures.push(`${e.kms.name}: ${err.message}`));
    }
    if (failures.length) throw new KmsHealthError(failures);
  }

  /** Names of the providers in force whose last check failed. */
  failing(): string[] {
    return [...this.inUse].map((k) => this.entries.get(k)).filter((e): e is Entry => !!e?.probe.lastError).map((e) => e.kms.name);
  }

  close(): void {
    for (const e of this.entries.values()) {
      e.probe.stop();
      e.probe.client.close();
    }
    this.entries.clear();
    this.inUse.clear();
  }
}

/** The kms-providers health check failed for these providers (`<name>: <reason>`). */
export class KmsHealthError extends Error {
  override name = 'KmsHealthError';
  constructor(readonly failures: string[]) {
    super(failures.length === 1 ? failures[0] : `[${failures.join(', ')}]`);
  }
}
