// `opaque server`: flags named as kube-apiserver names them; prints how to point kubectl at it.

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startServer } from '../server/server.js';
import { parseEtcdServers } from '../storage/etcd/client.js';
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
    .option('--etcd-servers <urls>', 'comma-separated etcd client URLs to store objects in (default: embedded SQLite in the data dir)', etcdServers)
    .option('--etcd-prefix <prefix>', 'key prefix for stored objects', '/registry')
    .option('--etcd-cafile <file>', 'CA bundle that verifies the etcd members (https:// URLs)')
    .option('--etcd-certfile <file>', 'client certificate presented to etcd')
    .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
    .option('--etcd-compaction-interval <duration>', 'how often old revisions are compacted', duration, 300_000)
    .option('--watch-cache-size <events>', 'events kept per resource for watches', positive, 10_000)
    .option('--authorization-mode <modes>', 'ordered, comma-separated authorizers: AlwaysAllow, AlwaysDeny', authorizationModes, ['AlwaysAllow'])
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
      if (!!opts.etcdCertfile !== !!opts.etcdKeyfile) throw new Error('--etcd-certfile and --etcd-keyfile must be given together');
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
        etcd: opts.etcdServers
          ? { servers: opts.etcdServers, caFile: opts.etcdCafile, certFile: opts.etcdCertfile, keyFile: opts.etcdKeyfile }
          : undefined,
        compactionIntervalMs: opts.etcdCompactionInterval,
        watchCacheSize: opts.watchCacheSize,
        logLevel: opts.logLevel,
        authorizationModes: opts.authorizationMode,
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
