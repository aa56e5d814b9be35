// Builds the audit stage from `opaque server` flags: the policy (--audit-policy-file, else the
// built-in default), the log (--audit-log-path, else <data-dir>/audit.log) with lumberjack rotation.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { Auditor } from './auditor.js';
import { DEFAULT_MAX_EVENT_BYTES } from './truncate.js';
import { defaultPolicy } from './default-policy.js';
import type { LogFormat } from './format.js';
import { LogWriter } from './log-writer.js';
import { AuditMetrics } from './metrics.js';
import type { Registry } from 'prom-client';
import { PolicyEvaluator } from './policy.js';
import { loadPolicyFile } from './policy-file.js';

export interface AuditOptions {
  policyFile?: string;
  /** `-` is standard output; default <data-dir>/audit.log. */
  logPath?: string;
  maxSizeMB: number;
  maxBackups: number;
  maxAgeDays: number;
  format: LogFormat;
  /** kube's --audit-log-truncate-enabled (on by default here) and --audit-log-truncate-max-event-size. */
  truncateEnabled?: boolean;
  truncateMaxEventSize?: number;
}

export const AUDIT_DEFAULTS = { maxSizeMB: 100, maxBackups: 100, maxAgeDays: 366, format: 'json' as LogFormat, truncateMaxEventSize: DEFAULT_MAX_EVENT_BYTES };

export interface AuditSetup {
  auditor?: Auditor;
  /** Where events go (undefined when the policy can log nothing). */
  path?: string;
  /** Writes the final stage of answered requests and what is queued; later events are written synchronously. */
  close(): Promise<void>;
}

/** Throws (with a message naming the bad field or flag) when the configuration is unusable. */
export function setupAudit(o: AuditOptions, dataDir: string, log: Logger, registry?: Registry): AuditSetup {
  let policy;
  if (o.policyFile) {
    const loaded = loadPolicyFile(o.policyFile);
    for (const w of loaded.warnings) log.warn({ file: o.policyFile }, `audit policy: ${w}`);
    policy = loaded.policy;
  } else {
    policy = defaultPolicy();
  }
  const evaluator = new PolicyEvaluator(policy);
  // An empty --audit-log-path means no log backend, as in kube.
  if (evaluator.silent || o.logPath === '') return { close: async () => {} };
  const path = o.logPath ?? join(dataDir, 'audit.log');
  const metrics = registry ? new AuditMetrics(registry) : undefined;
  const writer = new LogWriter({
    path, maxSizeMB: o.maxSizeMB, maxBackups: o.maxBackups, maxAgeDays: o.maxAgeDays,
    onError: (message) => {
      metrics?.error();
      log.error(message);
    },
  });
  const maxEvent = o.truncateEnabled === false ? 0 : (o.truncateMaxEventSize ?? DEFAULT_MAX_EVENT_BYTES);
  const auditor = new Auditor(evaluator, writer, o.format, metrics, maxEvent);
  return {
    auditor, path,
    close: async () => {
      await auditor.settle();
      await writer.close();
    },
  };
}
