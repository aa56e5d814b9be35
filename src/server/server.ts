// Composition root of `opaque server`: data dir, PKI, storage engine, registry, admission,
// controllers and the HTTPS app, plus orderly shutdown (stop accepting, finish in-flight requests,
// end watches, close storage).

import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AdmissionChain } from '../admission/types.js';
import { NamespaceLifecycle } from '../admission/namespace-lifecycle.js';
import { setupAccess } from '../auth/setup.js';
import { ClientTrust } from '../auth/x509.js';
import { NamespaceController, SYSTEM_USER } from '../controllers/namespace.js';
import type { ServerPki } from '../pki/files.js';
import { writeKubeconfig } from '../pki/kubeconfig.js';
import { Registry } from '../registry/index.js';
import { Informer } from '../registry/informer.js';
import type { EtcdConnection } from '../storage/etcd/client.js';
import { EncryptionMetrics } from '../encryption/metrics.js';
import { KmsHealthError, KmsRuntime } from '../encryption/kms/runtime.js';
import { setupEncryption } from '../encryption/setup.js';
import { AUDIT_DEFAULTS, setupAudit, type AuditOptions } from '../audit/setup.js';
import { buildApp, DEFAULT_TIMEOUTS, type ListenerTimeouts } from './app.js';
import { ConnectionGuard, defaultTotalLimit, DEFAULT_PER_ADDRESS } from './connections.js';
import { CertificateReloader } from './certificates.js';
import { InflightLimiter } from './inflight.js';
import { HealthChecks } from './health.js';
import { ServerMetrics } from './metrics.js';
import { setupServiceAccounts, type ServiceAccountOptions } from './serviceaccounts.js';
import { openStorage } from './storage.js';
import { secureContextOptions, tlsPolicy } from './tls-policy.js';

export interface ServerOptions {
  dataDir: string;
  /** kube's --max-requests-inflight / --max-mutating-requests-inflight (0: no limit). */
  maxRequestsInflight?: number;
  /** Watches one user (not system:masters) may hold open at once; past it a watch gets 429 (0: no limit). */
  maxWatchesPerUser?: number;
  maxMutatingRequestsInflight?: number;
  /** Connections without credentials per client address (past the TLS handshake) and in all; 0: no limit. */
  maxUnauthenticatedConnectionsPerIp?: number;
  maxUnauthenticatedConnections?: number;
  /** Header read (and TLS handshake) deadline, and the time a request's headers and body have to arrive. */
  timeouts?: Partial<ListenerTimeouts>;
  bindAddress: string;
  securePort: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  /** kube's --tls-min-version (VersionTLS10 … VersionTLS13; default VersionTLS12). */
  tlsMinVersion?: string;
  /** kube's --tls-cipher-suites, Go's names (default: ECDHE with AES-GCM or ChaCha20-Poly1305). */
  tlsCipherSuites?: string[];
  /** kube's --encryption-provider-config; default: the data dir's generated encryption.yaml. */
  encryptionProviderConfig?: string;
  /** kube's --encryption-provider-config-automatic-reload */
  encryptionProviderConfigAutomaticReload?: boolean;
  /** Storage key prefix (kube's --etcd-prefix). */
  storagePrefix: string;
  /** kube's --etcd-servers and TLS files; absent = embedded SQLite in the data dir. */
  etcd?: EtcdConnection;
  /** How often old revisions are compacted, in ms (kube's --etcd-compaction-interval). */
  compactionIntervalMs: number;
  watchCacheSize: number;
  logLevel: string;
  /** kube's --authorization-mode, in order (default RBAC). */
  authorizationModes?: string[];
  /** kube's --token-auth-file: static bearer tokens (CSV). */
  tokenAuthFile?: string;
  /** kube's --anonymous-auth (default false here). */
  anonymousAuth?: boolean;
  /** Service accounts and tokens (issuer, audiences, keys, token lifetimes, legacy token clean-up). */
  serviceAccounts?: ServiceAccountOptions;
  /** --audit-* flags; default: the built-in policy into <data-dir>/audit.log. */
  audit?: AuditOptions;
}

export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface RunningServer {
  url: string;
  port: number;
  kubeconfig: string;
  app: FastifyInstance;
  registry: Registry;
  log: Logger;
  close(): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = pino({ level: o.logLevel, base: { component: 'opaque-server' } }, pino.destination(2));
  // A TLS setting kube would refuse stops the start before anything is created.
  const tlsSettings = tlsPolicy({ minVersion: o.tlsMinVersion, cipherSuites: o.tlsCipherSuites });
  for (const w of tlsSettings.warnings) log.warn(w);
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const metrics = new ServerMetrics();
  // A bad audit policy stops the start before anything is opened.
  const audit = setupAudit(o.audit ?? AUDIT_DEFAULTS, dataDir, log, metrics.registry);
  let writeAdminKubeconfig = (_pki: ServerPki) => {};
  const certs = new CertificateReloader(
    { dataDir, bindAddress: o.bindAddress, tlsCertFile: o.tlsCertFile, tlsPrivateKeyFile: o.tlsPrivateKeyFile, clientCaFile: o.clientCaFile },
    log, (p) => writeAdminKubeconfig(p),
  );
  const { pki, tls } = await certs.load();
  const clientTrust = new ClientTrust(tls.clientCA);

  const storage = openStorage({ dataDir, etcd: o.etcd, storagePrefix: o.storagePrefix }, log, metrics.registry);
  const { backend, leadership } = storage;
  const kms = new KmsRuntime(log);
  let encryption;
  try {
    encryption = await setupEncryption({
      dataDir, configFile: o.encryptionProviderConfig, log, metrics: new EncryptionMetrics(metrics.registry),
      storedSecrets: () => backend.count(`${o.storagePrefix}/secrets/`), kms,
    });
  } catch (err) {
    kms.close();
    await backend.close();
    throw err;
  }
  const live = encryption.live;
  if (o.encryptionProviderConfigAutomaticReload) live.watchFile();
  const admission = new AdmissionChain();
  const registry = new Registry(backend, admission, {
    prefix: o.storagePrefix, watchCacheSize: o.watchCacheSize, transformerFor: (g, r) => live.transformerFor(g, r),
  });
  let namespaces: Informer | undefined;
  admission.add(new NamespaceLifecycle(() => registry.namespaces, () => namespaces));
  await registry.start();
  namespaces = new Informer(registry.namespaces);
  await namespaces.start();
  await ensureNamespaces(registry);
  const sa = setupServiceAccounts(registry, dataDir, pki.caPem, o.serviceAccounts ?? {}, log);
  const access = await setupAccess({
    registry, admission, modes: o.authorizationModes ?? ['RBAC'], tokenAuthFile: o.tokenAuthFile,
    anonymous: o.anonymousAuth ?? false, extraAuthenticators: [sa.authenticator], tokenAuthenticators: sa.tokenAuthenticators,
    apiAudiences: () => sa.config.apiAudiences, systemUser: SYSTEM_USER, clientTrust, log,
  });

  // Background controllers run on the elected server only; a new leader starts them afresh.
  let nsController: NamespaceController | undefined;
  const stopControllers = () => {
    nsController?.stop();
    nsController = undefined;
    for (const c of [...sa.controllers, ...access.controllers]) c.stop();
  };
  leadership.onChange((leading) => {
    stopControllers();
    if (!leading) return;
    const c = new NamespaceController(registry, log);
    nsController = c;
    const fail = (err: unknown) => log.error({ err: (err as Error).message }, 'a controller failed to start');
    c.start().catch(fail);
    for (const sc of [...sa.controllers, ...access.controllers]) Promise.resolve(sc.start()).catch(fail);
  });
  leadership.start();

  let shuttingDown = false;
  const abort = new AbortController();
  // Every open watch listens for shutdown: thousands of listeners are expected, not a leak.
  setMaxListeners(0, abort.signal);
  const health = new HealthChecks([
    { name: 'ping', check() {} },
    { name: 'storage', async check() { await backend.currentRevision(); } },
    { name: 'shutdown', check() { if (shuttingDown) throw new Error('server is shutting down'); } },
    {
      name: 'encryption-config',
      check() {},
      note: () => live.state.lastError
        ? `the last reload of ${live.file} failed at ${live.state.lastErrorAt}; the previous configuration is in force`
        : undefined,
    },
    {
      name: 'controllers-leader',
      check() {},
      // Only servers sharing etcd elect a leader; a lone server keeps kube's plain line.
      note: o.etcd
        ? () => leadership.isLeader()
          ? `this server (${leadership.identity}) runs the controllers`
          : `controllers run on ${leadership.leader() ?? 'no server yet'}`
        : undefined,
    },
  ]);
  // kube registers one kms-providers check (healthz and readyz) for kms v2 providers, and always when
  // the configuration reloads automatically (a reload may add them).
  if (kms.active || o.encryptionProviderConfigAutomaticReload) {
    health.add({
      name: 'kms-providers',
      endpoints: ['healthz', 'readyz'],
      check: () => kms.check(),
      publicReason: (err) => err instanceof KmsHealthError
        ? `kms provider ${kms.failing().map((n) => `"${n}"`).join(', ') || 'check'} failed (details in the server log)`
        : 'reason withheld',
    });
  }
  let address = '';
  const timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const connections = new ConnectionGuard({
    perAddress: o.maxUnauthenticatedConnectionsPerIp ?? DEFAULT_PER_ADDRESS,
    total: o.maxUnauthenticatedConnections ?? defaultTotalLimit(),
  }, log, metrics.registry);
  const app = buildApp({
    tls,
    tlsPolicy: tlsSettings,
    inflight: new InflightLimiter({ readOnly: o.maxRequestsInflight ?? 400, mutating: o.maxMutatingRequestsInflight ?? 200, watchesPerUser: o.maxWatchesPerUser ?? 250 }, metrics.registry),
    connections,
    timeouts,
    authn: access.authn,
    authz: access.authz,
    registry, health, metrics, log,
    externalAddress: () => address,
    shuttingDown: abort.signal,
    encryption: live,
    oidc: sa.oidc,
    audit: audit.auditor,
  });
  (app.server as unknown as TlsServer).on('secureConnection', (socket) => clientTrust.handshake(socket));
  await app.listen({ host: o.bindAddress, port: o.securePort });
  const port = (app.server.address() as AddressInfo).port;
  const host = o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? '127.0.0.1' : o.bindAddress;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  address = `${hostPart}:${port}`;
  const url = `https://${address}`;
  sa.listening(url);
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  writeAdminKubeconfig = (p) => writeKubeconfig(kubeconfig, {
    server: url, caPem: p.caPem, user: 'opaque-admin',
    clientCertPem: readFileSync(p.adminCertFile, 'utf8'), clientKeyPem: readFileSync(p.adminKeyFile, 'utf8'),
  });
  writeAdminKubeconfig(pki);
  certs.start((m) => {
    // Trust first: a bundle that does not parse leaves both as they were.
    clientTrust.set(m.clientCA);
    (app.server as unknown as TlsServer).setSecureContext(secureContextOptions(m, tlsSettings));
  });

  const stopCompaction = storage.startCompaction(o.compactionIntervalMs);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    shuttingDown = true;
    certs.stop();
    stopCompaction();
    live.stop();
    kms.close();
    stopControllers();
    access.stop();
    namespaces?.stop();
    await leadership.stop();
    abort.abort();
    // Idle, handshaking and trickling connections close now: only requests being served are waited for.
    connections.shutdown(timeouts.requestReadMs);
    await app.close();
    // In-flight requests are done (their last events queued): write everything out.
    await audit.close();
    registry.stop();
    await backend.close();
    log.info('server stopped');
    log.flush();
  })());
  log.info({ url, dataDir, storage: backend.name, auditLog: audit.path ?? 'off' }, 'serving');
  return { url, port, kubeconfig, app, registry, log, close };
}

async function ensureNamespaces(registry: Registry): Promise<void> {
  const store = registry.namespaces;
  for (const name of BUILTIN_NAMESPACES) {
    if (await store.tryGet(undefined, name)) continue;
    const obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    store.strategy.normalize(obj);
    await store.create(undefined, obj, { dryRun: false, user: SYSTEM_USER, warnings: [] }).catch((err) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  }
}
