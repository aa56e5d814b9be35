// Namespace controller: when a namespace is Terminating, delete everything in it, wait until objects
// held by finalizers are gone, then drop the namespace's `kubernetes` finalizer so it disappears.

import type { Logger } from 'pino';
import type { Namespace } from '../api/types.js';
import type { Registry } from '../registry/index.js';
import { finalizeNamespace, NAMESPACE_FINALIZER } from '../registry/namespaces.js';
import type { UserInfo } from '../registry/types.js';
import { NO_CHANGE } from '../storage/store.js';
import { updateConditions, type ContentTotals, type NamespaceCondition } from './namespace-conditions.js';

export const SYSTEM_USER: UserInfo = { username: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };

export class NamespaceController {
  private readonly queued = new Set<string>();
  private running = false;
  private stopped = false;
  private unwatch = () => {};
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  async start(): Promise<void> {
    const store = this.registry.namespaces;
    const rev = await store.storage.currentRevision();
    this.unwatch = store.cache.watch(rev, {
      send: (e) => {
        const ns = e.object as Namespace;
        if (e.type !== 'DELETED' && ns.metadata?.deletionTimestamp) this.enqueue(ns.metadata.name!);
        return true;
      },
      stop: () => {},
    });
    const all = await store.list(undefined, {});
    for (const ns of all.items) if (ns.metadata?.deletionTimestamp) this.enqueue(ns.metadata.name!);
  }

  stop(): void {
    this.stopped = true;
    this.unwatch();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private enqueue(name: string): void {
    this.queued.add(name);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (this.queued.size && !this.stopped) {
        const name = this.queued.values().next().value as string;
        this.queued.delete(name);
        const done = await this.sync(name).catch((err) => {
          this.log.warn({ namespace: name, err: (err as Error).message }, 'namespace cleanup failed; retrying');
          return false;
        });
        if (!done && !this.stopped && !this.timers.has(name)) {
          this.timers.set(name, setTimeout(() => {
            this.timers.delete(name);
            this.enqueue(name);
          }, this.retryMs));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Writes the deletion conditions through storage (status is not writable via the main resource). */
  private async recordConditions(name: string, totals: ContentTotals): Promise<void> {
    const nsStore = this.registry.namespaces;
    await nsStore.storage.guaranteedUpdate(nsStore.key(undefined, name), (cur) => {
      const ns = cur as Namespace;
      const { conditions, changed } = updateConditions(ns.status?.conditions as NamespaceCondition[] | undefined, totals);
      if (!changed) return NO_CHANGE;
      ns.status = { ...(ns.status ?? {}), conditions };
      return ns;
    });
  }

  /** Returns true when the namespace is finished (or gone). */
  private async sync(name: string): Promise<boolean> {
    const nsStore = this.registry.namespaces;
    const ns = (await nsStore.tryGet(undefined, name)) as Namespace | undefined;
    if (!ns || !ns.metadata?.deletionTimestamp) return true;
    if (!ns.spec?.finalizers?.includes(NAMESPACE_FINALIZER)) return true;
    const totals: ContentTotals = { remaining: new Map(), finalizers: new Map(), deleteErrors: [] };
    for (const store of this.registry.all()) {
      if (!store.info.namespaced) continue;
      const page = await store.list(name, {});
      for (const obj of page.items) {
        if (obj.metadata?.deletionTimestamp) continue;
        await store.delete(name, obj.metadata!.name!, {}, { dryRun: false, user: SYSTEM_USER, warnings: [] }).catch((err) => {
          if ((err as { code?: number }).code !== 404) totals.deleteErrors.push(`${store.info.resource}: ${(err as Error).message}`);
        });
      }
      // What is still there after this pass, and which finalizers hold it.
      const left = await store.list(name, {});
      const gr = `${store.info.resource}.${store.info.group}`;
      if (left.items.length) totals.remaining.set(gr, left.items.length);
      for (const obj of left.items) {
        for (const f of obj.metadata?.finalizers ?? []) totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + 1);
      }
    }
    await this.recordConditions(name, totals);
    if (totals.remaining.size || totals.deleteErrors.length) return false;
    await finalizeNamespace(nsStore, name);
    this.log.info({ namespace: name }, 'namespace content removed; namespace finalized');
    return true;
  }
}
