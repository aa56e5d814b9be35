// NamespaceLifecycle, as kube-apiserver's plugin: no new content in a missing or terminating
// namespace (404 / 403), and the system namespaces can never be deleted.
//
// Like kube's, it reads namespaces from an informer (no storage read per create) and falls back to a
// live read when the namespace is not there yet (just created) or was deleted recently through this
// server (the copy may still say Active while the namespace is already Terminating).

import { errors } from '../api/errors.js';
import type { Namespace } from '../api/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { Informer } from '../registry/informer.js';
import type { AdmissionAttributes, AdmissionPlugin } from './types.js';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);
/** How long after a namespace delete creates in it are checked against storage (kube: 30 s). */
const FORCE_LIVE_LOOKUP_MS = 30_000;

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  private readonly recentlyDeleted = new Map<string, number>();

  constructor(
    private readonly namespaces: () => GenericStore,
    private readonly informer?: () => Informer | undefined,
  ) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    const gr = { group: a.info.group, resource: a.info.resource };
    const isNamespace = a.info.resource === 'namespaces' && a.info.group === '';
    if (a.operation === 'DELETE' && isNamespace) {
      if (IMMORTAL.has(a.name)) throw errors.forbidden(gr, a.name, 'this namespace may not be deleted');
      this.recentlyDeleted.set(a.name, Date.now() + FORCE_LIVE_LOOKUP_MS);
    }
    if (a.operation !== 'CREATE' || !a.info.namespaced || !a.namespace) return;
    const ns = await this.lookup(a.namespace);
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, a.namespace);
    if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
      throw errors.forbidden(gr, a.name || undefined, `unable to create new content in namespace ${a.namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  private async lookup(name: string): Promise<Namespace | undefined> {
    const until = this.recentlyDeleted.get(name);
    const forceLive = until !== undefined && until > Date.now();
    if (until !== undefined && !forceLive) this.recentlyDeleted.delete(name);
    const cached = forceLive ? undefined : (this.informer?.()?.get(undefined, name) as Namespace | undefined);
    if (cached) return cached;
    return (await this.namespaces().tryGet(undefined, name)) as Namespace | undefined;
  }
}
