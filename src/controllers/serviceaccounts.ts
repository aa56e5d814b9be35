// kube's serviceaccounts-controller: every active namespace has a `default` ServiceAccount. It is
// created when a namespace appears (and for every namespace at start) and recreated if deleted.

import type { Logger } from 'pino';
import type { KObject, Namespace } from '../api/types.js';
import type { Registry } from '../registry/index.js';
import { SYSTEM_USER } from './namespace.js';
import { KeyedQueue, statusCode, StoreWatch } from './queue.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export class ServiceAccountsController {
  private readonly queue: KeyedQueue;
  private readonly watches: StoreWatch[];

  constructor(
    private readonly registry: Registry,
    log: Logger,
  ) {
    this.queue = new KeyedQueue('serviceaccounts', (ns) => this.sync(ns), log);
    this.watches = [
      new StoreWatch(registry.namespaces, (type, ns) => {
        if (type !== 'DELETED') this.queue.add(ns.metadata!.name!);
      }, log),
      new StoreWatch(registry.serviceAccounts, (type, sa) => {
        if (type === 'DELETED' && sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(sa.metadata.namespace!);
      }, log),
    ];
  }

  async start(): Promise<void> {
    this.queue.start();
    for (const w of this.watches) await w.start();
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.queue.stop();
  }

  private async sync(namespace: string): Promise<void> {
    const ns = (await this.registry.namespaces.tryGet(undefined, namespace)) as Namespace | undefined;
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const store = this.registry.serviceAccounts;
    if (await store.tryGet(namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    const sa: KObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } };
    await store.create(namespace, sa, { dryRun: false, user: SYSTEM_USER, warnings: [] }).catch((err) => {
      // Already there, or the namespace started terminating / went away meanwhile.
      if (![409, 403, 404].includes(statusCode(err) ?? 0)) throw err;
    });
  }
}
