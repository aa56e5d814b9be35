// Audit metrics under kube-apiserver's names (pkg/audit/metrics.go): events written, events lost,
// and the policy level each request got.

import { Counter, type Registry } from 'prom-client';
import { LEVELS, type Level } from './types.js';

export class AuditMetrics {
  private readonly events: Counter;
  private readonly errors: Counter<'plugin'>;
  private readonly levelChildren: Map<Level, { inc(): void }>;

  constructor(registry: Registry) {
    this.events = new Counter({ name: 'apiserver_audit_event_total', help: 'Counter of audit events generated and sent to the audit backend.', registers: [registry] });
    this.errors = new Counter({
      name: 'apiserver_audit_error_total', help: 'Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.',
      labelNames: ['plugin'], registers: [registry],
    });
    const levels = new Counter({ name: 'apiserver_audit_level_total', help: 'Counter of policy levels for audit events (1 per request).', labelNames: ['level'], registers: [registry] });
    this.levelChildren = new Map(LEVELS.map((l) => [l, levels.labels(l)]));
  }

  event(): void {
    this.events.inc();
  }

  error(): void {
    this.errors.labels('log').inc();
  }

  level(l: Level): void {
    this.levelChildren.get(l)!.inc();
  }
}
