// `opaque server`: flags named as kube-apiserver names them; prints how to point kubectl at it.

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { AUDIT_DEFAULTS } from '../audit/setup.js';
import { startServer } from '../server/server.js';
import { parseDuration } from './duration.js';
import { VERSION } from './version.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function duration(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function nonNegative(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
    if (n < 0) throw new InvalidArgumentError(`--${flag} ${v} can't be a negative number`);
    return n;
  };
}

function auditFormat(v: string): 'json' | 'legacy' {
  if (v !== 'json' && v !== 'legacy') throw new InvalidArgumentError(`invalid audit log format ${v}, allowed formats are "json,legacy"`);
  return v;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny'];

function authorizationModes(v: string): string[] {
  const modes = v.split(',').map((m) => m.trim()).filter(Boolean);
  if (modes.length === 0) throw new InvalidArgumentError('at least one authorization mode is required');
  for (const m of modes) {
    if (!AUTHORIZATION_MODES.includes(m)) throw new InvalidArgumentError(`authorization mode "${m}" is not one of ${AUTHORIZATION_MODES.join(', ')}`);
  }
  if (new Set(modes).size !== modes.length) throw new InvalidArgumentError('authorization modes must not repeat');
  return modes;
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('serve the Kubernetes API for Secrets and Namespaces over HTTPS')
    .option('--data-dir <dir>', 'where the database, PKI and kubeconfig live', './opaque-data')
    .option('--bind-address <ip>', 'address to listen on', '127.0.0.1')
    .option('--secure-port <port>', 'HTTPS port (0 picks a free one)', port, 6443)
    .option('--tls-cert-file <file>', 'serving certificate (default: issued by the data dir CA)')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--client-ca-file <file>', 'extra CA bundle trusted for client certificates')
    .option('--encryption-provider-config <file>', "EncryptionConfiguration for encryption at rest (default: <data-dir>/encryption.yaml, generated with a secretbox key on first start)")
    .option('--encryption-provider-config-automatic-reload', 'pick up changes to --encryption-provider-config while serving', false)
    .option('--etcd-prefix <prefix>', 'key prefix for stored objects', '/registry')
    .option('--etcd-compaction-interval <duration>', 'how often old revisions are compacted', duration, 300_000)
    .option('--watch-cache-size <events>', 'events kept per resource for watches', positive, 10_000)
    .option('--authorization-mode <modes>', 'ordered, comma-separated authorizers: AlwaysAllow, AlwaysDeny', authorizationModes, ['AlwaysAllow'])
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy deciding what is audited (default: the built-in policy, see README)')
    .option('--audit-log-path <file>', "where audit events go, one JSON object per line ('-' is standard output)", '<data-dir>/audit.log')
    .option('--audit-log-maxsize <MB>', 'rotate the audit log at this size (0: never)', nonNegative('audit-log-maxsize'), AUDIT_DEFAULTS.maxSizeMB)
    .option('--audit-log-maxbackup <files>', 'rotated audit logs to keep (0: all)', nonNegative('audit-log-maxbackup'), AUDIT_DEFAULTS.maxBackups)
    .option('--audit-log-maxage <days>', 'days to keep rotated audit logs, by the time in their name (0: forever)', nonNegative('audit-log-maxage'), AUDIT_DEFAULTS.maxAgeDays)
    .option('--audit-log-format <format>', 'json, or legacy (one text line per event)', auditFormat, AUDIT_DEFAULTS.format)
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action(async (opts) => {
      if (opts.encryptionProviderConfigAutomaticReload && !opts.encryptionProviderConfig) {
        throw new Error('--encryption-provider-config-automatic-reload must be set with --encryption-provider-config');
      }
      if (!!opts.tlsCertFile !== !!opts.tlsPrivateKeyFile) {
        throw new Error('--tls-cert-file and --tls-private-key-file must be given together');
      }
      const server = await startServer({
        dataDir: opts.dataDir,
        bindAddress: opts.bindAddress,
        securePort: opts.securePort,
        tlsCertFile: opts.tlsCertFile,
        tlsPrivateKeyFile: opts.tlsPrivateKeyFile,
        clientCaFile: opts.clientCaFile,
        encryptionProviderConfig: opts.encryptionProviderConfig,
        encryptionProviderConfigAutomaticReload: opts.encryptionProviderConfigAutomaticReload,
        storagePrefix: opts.etcdPrefix.replace(/\/+$/, '') || '/registry',
        compactionIntervalMs: opts.etcdCompactionInterval,
        watchCacheSize: opts.watchCacheSize,
        logLevel: opts.logLevel,
        authorizationModes: opts.authorizationMode,
        audit: {
          policyFile: opts.auditPolicyFile,
          logPath: opts.auditLogPath === '<data-dir>/audit.log' ? undefined : opts.auditLogPath,
          maxSizeMB: opts.auditLogMaxsize,
          maxBackups: opts.auditLogMaxbackup,
          maxAgeDays: opts.auditLogMaxage,
          format: opts.auditLogFormat,
        },
      });
      process.stdout.write(
        `Opaque ${VERSION} is serving the Kubernetes API on ${server.url}\n` +
          `Point kubectl at it:\n  export KUBECONFIG=${server.kubeconfig}\n  kubectl get secrets\n`,
      );
      const stop = (signal: string) => {
        server.log.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`error during shutdown: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
