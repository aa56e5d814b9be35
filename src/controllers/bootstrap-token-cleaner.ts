// kube's tokencleaner (pkg/controller/bootstrap/tokencleaner.go): bootstrap-token Secrets in
// kube-system are deleted once their `expiration` has passed (an unparseable one counts as passed);
// each one still valid is looked at again exactly when it expires.

import type { Logger } from 'pino';
import type { Secret } from '../api/types.js';
import { BOOTSTRAP_NAMESPACE, BOOTSTRAP_TOKEN_TYPE, bootstrapTokenExpired, secretValue } from '../auth/bootstrap.js';
import type { Registry } from '../registry/index.js';
import { SYSTEM_USER } from './namespace.js';
import { KeyedQueue, splitKey, statusCode, StoreWatch } from './queue.js';

export class BootstrapTokenCleaner {
  private readonly queue: KeyedQueue;
  private readonly watch: StoreWatch;

  constructor(
    private readonly registry: Registry,
    log: Logger,
  ) {
    this.queue = new KeyedQueue('bootstrap-token-cleaner', (k) => this.sync(k), log);
    this.watch = new StoreWatch(registry.secrets, (type, s) => {
      if (type !== 'DELETED') this.queue.add(`${BOOTSTRAP_NAMESPACE}/${s.metadata!.name}`);
    }, log, (s) => s.metadata?.namespace === BOOTSTRAP_NAMESPACE && (s as Secret).type === BOOTSTRAP_TOKEN_TYPE);
  }

  async start(): Promise<void> {
    this.queue.start();
    await this.watch.start();
  }

  stop(): void {
    this.watch.stop();
    this.queue.stop();
  }

  private async sync(key: string): Promise<number | void> {
    const [ns, name] = splitKey(key);
    const s = (await this.registry.secrets.tryGet(ns, name)) as Secret | undefined;
    if (!s || s.type !== BOOTSTRAP_TOKEN_TYPE || s.metadata?.deletionTimestamp) return;
    const now = Date.now();
    if (!bootstrapTokenExpired(s, now)) {
      const exp = secretValue(s, 'expiration');
      return exp ? Date.parse(exp) - now + 1 : undefined;
    }
    await this.registry.secrets
      .delete(ns, name, { preconditions: { uid: s.metadata!.uid } }, { dryRun: false, user: SYSTEM_USER, warnings: [] })
      .catch((err) => {
        if (![404, 409].includes(statusCode(err) ?? 0)) throw err;
      });
  }
}
