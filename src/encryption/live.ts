// The encryption configuration the server runs with, replaceable while it serves. Stores hold a
// delegating transformer per resource, so a reloaded configuration takes effect on the next read or
// write; a file that fails to load or validate leaves the running configuration in place and is
// reported (log, metric, /readyz?verbose). Every transformation is measured per provider prefix.

import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { Transformer } from '../storage/transformer.js';
import { loadEncryptionConfigFile } from './config.js';
import { KmsRuntime } from './kms/runtime.js';
import type { EncryptionMetrics } from './metrics.js';
import {
  ENCRYPTED_PREFIX, PREFIX_AESCBC_V1, PREFIX_AESGCM_V1, PREFIX_KMS_V1, PREFIX_KMS_V2, PREFIX_SECRETBOX_V1, hasPrefix, utf8,
} from './providers/types.js';
import { createEncryptionTransformers, type EncryptionTransformers, type EncryptionTransformerOptions } from './transformer.js';

export interface ReloadState {
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
}

const ENCRYPTED = utf8(ENCRYPTED_PREFIX);
const PROVIDER_PREFIXES = [PREFIX_AESCBC_V1, PREFIX_AESGCM_V1, PREFIX_SECRETBOX_V1, PREFIX_KMS_V1, PREFIX_KMS_V2].map((p) => [p, utf8(p)] as const);

/** The provider part of a prefix, as kube's transformer_prefix label shows it ("k8s:enc:secretbox:v1:"). */
function providerPrefix(value: Uint8Array): string {
  if (!hasPrefix(value, ENCRYPTED)) return 'identity';
  for (const [p, bytes] of PROVIDER_PREFIXES) if (hasPrefix(value, bytes)) return p;
  return 'unknown';
}

type Children = { duration: Histogram.Internal<string>; ok: Counter.Internal; failed: Counter.Internal };

export class LiveEncryption {
  private hash: string;
  private watcher?: FSWatcher;
  private poll?: NodeJS.Timeout;
  private reloading = false;
  private again = false;
  readonly state: ReloadState = {};
  private readonly metricChildren = new Map<string, Children>();

  constructor(
    private current: EncryptionTransformers,
    readonly file: string,
    private readonly metrics: EncryptionMetrics,
    private readonly log: Logger,
    private readonly options: EncryptionTransformerOptions = {},
    private readonly kms?: KmsRuntime,
  ) {
    this.hash = fileHash(file);
  }

  get transformers(): EncryptionTransformers {
    return this.current;
  }

  /** Metric children per (type, prefix): label lookups by object cost more than the cipher on hot paths. */
  private children(type: 'to_storage' | 'from_storage', prefix: string): Children {
    const k = `${type} ${prefix}`;
    let c = this.metricChildren.get(k);
    if (!c) {
      const m = this.metrics;
      c = {
        duration: m.duration.labels({ transformation_type: type, transformer_prefix: prefix }),
        ok: m.operations.labels({ transformation_type: type, transformer_prefix: prefix, status: 'OK' }),
        failed: m.operations.labels({ transformation_type: type, transformer_prefix: prefix, status: 'Unknown' }),
      };
      this.metricChildren.set(k, c);
    }
    return c;
  }

  /** A transformer that always uses the configuration in force, measured. */
  transformerFor(group: string, resource: string): Transformer {
    const measured = async <T>(c: Children, run: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        const out = await run();
        c.ok.inc();
        return out;
      } catch (err) {
        c.failed.inc();
        throw err;
      } finally {
        c.duration.observe((performance.now() - start) / 1000);
      }
    };
    return {
      toStorage: (data, key) => {
        const t = this.current.transformerFor(group, resource);
        const label = t.writeTarget.provider === 'identity' ? 'identity' : `k8s:enc:${t.writeTarget.provider}:${t.writeTarget.version ?? 'v1'}:`;
        return measured(this.children('to_storage', label), () => t.toStorage(data, key));
      },
      fromStorage: (data, key) => measured(this.children('from_storage', providerPrefix(data)),
        () => this.current.transformerFor(group, resource).fromStorage(data, key)),
    };
  }

  /** Watches the file (events, plus a poll for editors and mounts that replace it). */
  watchFile(pollMs = 60_000): void {
    const check = () => void this.reloadIfChanged();
    const arm = () => {
      try {
        this.watcher?.close();
        // A rename means the file was replaced (editors, config mounts): watch the new one.
        this.watcher = watch(this.file, { persistent: false }, (event) => {
          check();
          if (event === 'rename') setTimeout(rearm, 50).unref();
        });
      } catch {
        // Polling alone still picks changes up.
      }
    };
    // After a replacement, look once more: the file may have changed again before the new watch.
    const rearm = () => {
      arm();
      check();
    };
    arm();
    this.poll = setInterval(check, pollMs);
    this.poll.unref();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.poll);
  }

  /** Loads the file if its content changed; returns whether a new configuration is in force. */
  async reloadIfChanged(): Promise<boolean> {
    if (this.reloading) {
      this.again = true; // looked at once the current reload finishes
      return false;
    }
    this.reloading = true;
    try {
      let hash: string;
      try {
        hash = fileHash(this.file);
      } catch (err) {
        return this.failed(`cannot read ${this.file}: ${(err as Error).message}`);
      }
      if (hash === this.hash) return false;
      try {
        const config = await loadEncryptionConfigFile(this.file, { reload: true });
        const next = createEncryptionTransformers(config, { ...this.options, reload: true });
        // New KMS plugins must answer before the configuration takes effect (kube's reload does so).
        await this.kms?.verify(config);
        const previous = this.current.config;
        this.current = next;
        this.kms?.use(config, KmsRuntime.gracePeriodMs(previous));
      } catch (err) {
        this.kms?.use(this.current.config, KmsRuntime.gracePeriodMs(this.current.config));
        this.hash = hash; // report a broken file once, not at every poll
        return this.failed((err as Error).message);
      }
      this.hash = hash;
      this.state.lastSuccessAt = new Date().toISOString();
      delete this.state.lastError;
      this.metrics.reloaded(true);
      this.log.info({ file: this.file }, 'encryption configuration reloaded');
      return true;
    } finally {
      this.reloading = false;
      if (this.again) {
        this.again = false;
        void this.reloadIfChanged();
      }
    }
  }

  private failed(reason: string): false {
    this.state.lastError = reason;
    this.state.lastErrorAt = new Date().toISOString();
    this.metrics.reloaded(false);
    this.log.error({ file: this.file, reason }, 'encryption configuration reload failed; the previous configuration stays in force');
    return false;
  }
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
