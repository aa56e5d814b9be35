// NamespaceLifecycle, as kube-apiserver's plugin: no new content in a missing or terminating
// namespace (404 / 403), and the system namespaces can never be deleted.

import { errors } from '../api/errors.js';
import type { Namespace } from '../api/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { AdmissionAttributes, AdmissionPlugin } from './types.js';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  constructor(private readonly namespaces: () => GenericStore) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    const gr = { group: a.info.group, resource: a.info.resource };
    if (a.operation === 'DELETE' && a.info.resource === 'namespaces' && a.info.group === '' && IMMORTAL.has(a.name)) {
      throw errors.forbidden(gr, a.name, 'this namespace may not be deleted');
    }
    if (a.operation !== 'CREATE' || !a.info.namespaced || !a.namespace) return;
    const ns = (await this.namespaces().tryGet(undefined, a.namespace)) as Namespace | undefined;
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, a.namespace);
    if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
      throw errors.forbidden(gr, a.name || undefined, `unable to create new content in namespace ${a.namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }
}
