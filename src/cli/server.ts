// `opaque server`: flags named as kube-apiserver names them; prints how to point kubectl at it.

import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { AUTHORIZATION_MODES } from '../auth/setup.js';
import { AUDIT_DEFAULTS } from '../audit/setup.js';
import { startServer } from '../server/server.js';
import { parseEtcdServers } from '../storage/etcd/client.js';
import { cipherSuiteNames, tlsVersion } from '../server/tls-policy.js';
import { collect, durationOption as duration } from './options.js';
import { VERSION } from './version.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
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

function etcdServers(v: string): string[] {
  try {
    return parseEtcdServers(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function issuer(v: string, prev: string[] = []): string[] {
  // kube: an issuer containing ':' must be a URL; OIDC discovery needs it to be https.
  if (v.includes(':')) {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new InvalidArgumentError(`service-account-issuer ${JSON.stringify(v)} contained a ':' but was not a valid URL`);
    }
    if (u.search || u.hash) throw new InvalidArgumentError('service-account-issuer must not have a query or fragment');
  }
  if (prev.includes(v)) throw new InvalidArgumentError(`service-account-issuer ${JSON.stringify(v)} is already specified`);
  return [...prev, v];
}

function commaList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function maxTokenExpiration(v: string): number {
  const ms = duration(v);
  // kube: between 1 hour and 2^32 seconds.
  if (ms < 3_600_000 || ms > 2 ** 32 * 1000) throw new InvalidArgumentError('must be between 1h and 2^32 seconds');
  return Math.floor(ms / 1000);
}

function positiveDuration(v: string): number {
  const ms = duration(v);
  if (ms <= 0) throw new InvalidArgumentError('must be a positive duration');
  return ms;
}

function authorizationModes(v: string): string[] {
  const modes = v.split(',').map((m) => m.trim()).filter(Boolean);
  if (modes.length === 0) throw new InvalidArgumentError('at least one authorization mode is required');
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new InvalidArgumentError(`authorization mode "${m}" is not one of ${AUTHORIZATION_MODES.join(', ')}`);
  }
  if (new Set(modes).size !== modes.length) throw new InvalidArgumentError('authorization modes must not repeat');
  return modes;
}

/** The flag parsers of kube's --tls-min-version and --tls-cipher-suites, with kube's messages. */
function tlsFlag<T>(parse: (v: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function boolFlag(v: string | undefined): boolean {
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidArgumentError('must be true or false');
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
    .option('--tls-min-version <version>', 'minimum TLS version: VersionTLS10, VersionTLS11, VersionTLS12 or VersionTLS13 (default VersionTLS12)', tlsFlag((v) => (tlsVersion(v), v)))
    .option('--tls-cipher-suites <list>', "comma-separated TLS 1.2 cipher suites, Go's names (default: ECDHE with AES-GCM or CHACHA20-POLY1305; TLS 1.3 suites are always on)",
      tlsFlag((v) => cipherSuiteNames(commaList(v))))
    .option('--encryption-provider-config <file>', "EncryptionConfiguration for encryption at rest (default: <data-dir>/encryption.yaml, generated with a secretbox key on first start)")
    .option('--encryption-provider-config-automatic-reload', 'pick up changes to --encryption-provider-config while serving', false)
    .option('--etcd-servers <urls>', 'comma-separated etcd client URLs to store objects in (default: embedded SQLite in the data dir)', etcdServers)
    .option('--etcd-prefix <prefix>', 'key prefix for stored objects', '/registry')
    .option('--etcd-cafile <file>', 'CA bundle that verifies the etcd members (https:// URLs)')
    .option('--etcd-certfile <file>', 'client certificate presented to etcd')
    .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
    .addOption(new Option('--etcd-compaction-interval <duration>', 'how often old revisions are compacted').argParser(duration).default(300_000, '5m'))
    .option('--watch-cache-size <events>', 'events kept per resource for watches', positive, 10_000)
    .option('--max-requests-inflight <n>', 'reads (get, list) served at once before others get 429 (0: no limit; watches and system:masters are never limited)', nonNegative('max-requests-inflight'), 400)
    .option('--max-mutating-requests-inflight <n>', 'writes served at once before others get 429 (0: no limit)', nonNegative('max-mutating-requests-inflight'), 200)
    .option('--max-watches-per-user <n>', 'watches one user may hold open at once before more get 429 (0: no limit; system:masters is never limited)', nonNegative('max-watches-per-user'), 250)
    .option('--max-unauthenticated-connections-per-ip <n>', 'connections from one address that finished the TLS handshake without a client certificate and have not authenticated a request; past it the one waiting longest is closed (0: no limit)', nonNegative('max-unauthenticated-connections-per-ip'), 100)
    .addOption(new Option('--max-unauthenticated-connections <n>', 'connections without credentials in all, TLS handshakes included; past it the one waiting longest is closed (0: no limit)')
      .argParser(nonNegative('max-unauthenticated-connections')).default(undefined, '1000, or a quarter of the open-file limit if lower'))
    .addOption(new Option('--read-header-timeout <duration>', 'time for the TLS handshake, and for a request\'s headers to arrive (kube-apiserver: 32s)').argParser(positiveDuration).default(32_000, '32s'))
    .addOption(new Option('--request-read-timeout <duration>', 'time for a request\'s headers and body to arrive; answers, watches and streams are not limited (kube-apiserver bounds it with --request-timeout, 1m)')
      .argParser(positiveDuration).default(60_000, '1m'))
    .option('--authorization-mode <modes>', 'ordered, comma-separated authorizers: RBAC, AlwaysAllow, AlwaysDeny', authorizationModes, ['RBAC'])
    .option('--token-auth-file <file>', 'static bearer tokens, CSV: token,user,uid[,"group1,group2"]')
    .option('--anonymous-auth [bool]', 'serve requests without credentials as system:anonymous (true or false)', boolFlag, false)
    .option('--service-account-issuer <url>', 'issuer of service-account tokens; repeat to accept more (the first issues); default: this server\'s https URL', issuer)
    .option('--api-audiences <list>', 'comma-separated audiences API tokens must carry one of (default: the issuers)', commaList)
    .option('--service-account-signing-key-file <file>', 'PEM private key that signs service-account tokens (default: <data-dir>/pki/sa.key, generated)')
    .option('--service-account-key-file <file>', 'PEM file of extra public keys that verify service-account tokens; repeatable', collect)
    .option('--service-account-max-token-expiration <duration>', 'longest token a TokenRequest gets; longer requests are shortened (1h..2^32s)', maxTokenExpiration)
    .option('--service-account-jwks-uri <url>', 'jwks_uri announced in /.well-known/openid-configuration (default: <server URL>/openid/v1/jwks)')
    .addOption(new Option('--legacy-service-account-token-clean-up-period <duration>', 'unused auto-generated legacy tokens are invalidated, then deleted, after this long')
      .argParser(positiveDuration).default(8760 * 3_600_000, '8760h'))
    .addOption(new Option('--legacy-service-account-token-clean-up-interval <duration>', 'how often the legacy token cleaner looks').argParser(positiveDuration).default(24 * 3_600_000, '24h'))
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy deciding what is audited (default: the built-in policy, see README)')
    .option('--audit-log-path <file>', "where audit events go, one JSON object per line ('-' is standard output)", '<data-dir>/audit.log')
    .option('--audit-log-maxsize <MB>', 'rotate the audit log at this size (0: never)', nonNegative('audit-log-maxsize'), AUDIT_DEFAULTS.maxSizeMB)
    .option('--audit-log-maxbackup <files>', 'rotated audit logs to keep (0: all)', nonNegative('audit-log-maxbackup'), AUDIT_DEFAULTS.maxBackups)
    .option('--audit-log-maxage <days>', 'days to keep rotated audit logs, by the time in their name (0: forever)', nonNegative('audit-log-maxage'), AUDIT_DEFAULTS.maxAgeDays)
    .option('--audit-log-format <format>', 'json, or legacy (one text line per event)', auditFormat, AUDIT_DEFAULTS.format)
    .option('--audit-log-truncate-enabled [bool]', 'cut audit events over the size limit (true or false; on by default, unlike kube)', boolFlag, true)
    .option('--audit-log-truncate-max-event-size <bytes>', 'largest audit event written whole; larger ones lose request and response objects', positive, AUDIT_DEFAULTS.truncateMaxEventSize)
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action(async (opts) => {
      if (opts.encryptionProviderConfigAutomaticReload && !opts.encryptionProviderConfig) {
        throw new Error('--encryption-provider-config-automatic-reload must be set with --encryption-provider-config');
      }
      if (!!opts.tlsCertFile !== !!opts.tlsPrivateKeyFile) {
        throw new Error('--tls-cert-file and --tls-private-key-file must be given together');
      }
      if ((opts.etcdCafile || opts.etcdCertfile || opts.etcdKeyfile) && !opts.etcdServers) {
        throw new Error('--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers');
      }
      if (opts.readHeaderTimeout > opts.requestReadTimeout) throw new Error('--read-header-timeout must not be longer than --request-read-timeout');
      if (!!opts.etcdCertfile !== !!opts.etcdKeyfile) throw new Error('--etcd-certfile and --etcd-keyfile must be given together');
      const server = await startServer({
        dataDir: opts.dataDir,
        bindAddress: opts.bindAddress,
        securePort: opts.securePort,
        tlsCertFile: opts.tlsCertFile,
        tlsPrivateKeyFile: opts.tlsPrivateKeyFile,
        clientCaFile: opts.clientCaFile,
        tlsMinVersion: opts.tlsMinVersion,
        tlsCipherSuites: opts.tlsCipherSuites,
        encryptionProviderConfig: opts.encryptionProviderConfig,
        encryptionProviderConfigAutomaticReload: opts.encryptionProviderConfigAutomaticReload,
        storagePrefix: opts.etcdPrefix.replace(/\/+$/, '') || '/registry',
        etcd: opts.etcdServers
          ? { servers: opts.etcdServers, caFile: opts.etcdCafile, certFile: opts.etcdCertfile, keyFile: opts.etcdKeyfile }
          : undefined,
        compactionIntervalMs: opts.etcdCompactionInterval,
        watchCacheSize: opts.watchCacheSize,
        maxRequestsInflight: opts.maxRequestsInflight,
        maxWatchesPerUser: opts.maxWatchesPerUser,
        maxMutatingRequestsInflight: opts.maxMutatingRequestsInflight,
        maxUnauthenticatedConnectionsPerIp: opts.maxUnauthenticatedConnectionsPerIp,
        maxUnauthenticatedConnections: opts.maxUnauthenticatedConnections,
        timeouts: { readHeaderMs: opts.readHeaderTimeout, requestReadMs: opts.requestReadTimeout },
        logLevel: opts.logLevel,
        authorizationModes: opts.authorizationMode,
        tokenAuthFile: opts.tokenAuthFile,
        anonymousAuth: opts.anonymousAuth,
        serviceAccounts: {
          issuers: opts.serviceAccountIssuer,
          apiAudiences: opts.apiAudiences,
          signingKeyFile: opts.serviceAccountSigningKeyFile,
          keyFiles: opts.serviceAccountKeyFile,
          maxTokenExpirationSeconds: opts.serviceAccountMaxTokenExpiration,
          jwksURI: opts.serviceAccountJwksUri,
          legacyTokenCleanUpPeriodMs: opts.legacyServiceAccountTokenCleanUpPeriod,
          legacyTokenCleanUpIntervalMs: opts.legacyServiceAccountTokenCleanUpInterval,
        },
        audit: {
          policyFile: opts.auditPolicyFile,
          logPath: opts.auditLogPath === '<data-dir>/audit.log' ? undefined : opts.auditLogPath,
          maxSizeMB: opts.auditLogMaxsize,
          maxBackups: opts.auditLogMaxbackup,
          maxAgeDays: opts.auditLogMaxage,
          format: opts.auditLogFormat,
          truncateEnabled: opts.auditLogTruncateEnabled,
          truncateMaxEventSize: opts.auditLogTruncateMaxEventSize,
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
