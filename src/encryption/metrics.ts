// Encryption metrics under kube-apiserver's names: value transformations per provider prefix, and the
// automatic reloads of the encryption configuration.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class EncryptionMetrics {
  readonly operations: Counter<'transformation_type' | 'transformer_prefix' | 'status'>;
  readonly duration: Histogram<'transformation_type' | 'transformer_prefix'>;
  readonly reloads: Counter<'status' | 'apiserver_id_hash'>;
  readonly reloadTimestamp: Gauge<'status' | 'apiserver_id_hash'>;
  /** kube labels reload metrics with a hash of the server's identity. */
  readonly idHash = `sha256:${createHash('sha256').update(`opaque-${hostname()}`).digest('hex')}`;

  constructor(registry: Registry) {
    this.operations = new Counter({
      name: 'apiserver_storage_transformation_operations_total',
      help: 'Total number of transformations. Successful transformation will have a status \'OK\' and a varied status string when the transformation fails.',
      labelNames: ['transformation_type', 'transformer_prefix', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'apiserver_storage_transformation_duration_seconds',
      help: 'Latencies in seconds of value transformation operations.',
      labelNames: ['transformation_type', 'transformer_prefix'],
      buckets: [5e-6, 1e-5, 2e-5, 4e-5, 8e-5, 1.6e-4, 3.2e-4, 6.4e-4, 1.28e-3, 2.56e-3, 5.12e-3, 1.024e-2, 2.048e-2, 4.096e-2, 8.192e-2, 0.16384, 0.32768, 0.65536, 1.31072, 2.62144, 5.24288, 10.48576],
      registers: [registry],
    });
    this.reloads = new Counter({
      name: 'apiserver_encryption_config_controller_automatic_reloads_total',
      help: 'Total number of reload successes and failures of encryption configuration split by apiserver identity.',
      labelNames: ['status', 'apiserver_id_hash'],
      registers: [registry],
    });
    this.reloadTimestamp = new Gauge({
      name: 'apiserver_encryption_config_controller_automatic_reload_last_timestamp_seconds',
      help: 'Timestamp of the last successful or failed automatic reload of encryption configuration split by apiserver identity.',
      labelNames: ['status', 'apiserver_id_hash'],
      registers: [registry],
    });
  }

  reloaded(ok: boolean): void {
    const status = ok ? 'success' : 'failure';
    this.reloads.inc({ status, apiserver_id_hash: this.idHash });
    this.reloadTimestamp.set({ status, apiserver_id_hash: this.idHash }, Date.now() / 1000);
  }
}
