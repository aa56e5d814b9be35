// The Namespace resource. Deleting a namespace is two-phase as in Kubernetes: DELETE marks it
// Terminating (200 with the object); the namespace controller removes its content, drops the
// `kubernetes` finalizer, and only then is the object removed.

import { errors } from '../api/errors.js';
import type { KObject, Namespace } from '../api/types.js';
import { namespacePatchHints } from '../api/patch/index.js';
import { validateNamespace, validateNamespaceUpdate } from '../api/validation/index.js';
import { NO_CHANGE } from '../storage/store.js';
import { age } from './age.js';
import type { DeleteOutcome, DeleteParams, GenericStore } from './generic-store.js';
import { meta, nowRFC3339 } from './meta.js';
import type { Strategy, WriteOptions } from './types.js';

export const NAMESPACE_FINALIZER = 'kubernetes';
export const NAME_LABEL = 'kubernetes.io/metadata.name';

function ensureNameLabel(obj: KObject): void {
  const m = meta(obj);
  if (m.name) m.labels = { ...(m.labels ?? {}), [NAME_LABEL]: m.name };
}

export const namespaceStrategy: Strategy = {
  info: {
    group: '', version: 'v1', kind: 'Namespace', listKind: 'NamespaceList', resource: 'namespaces', singular: 'namespace',
    namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    storageVersionHash: 'Q3oi5N2YM8M=',
    subresources: [
      { name: 'finalize', kind: 'Namespace', verbs: ['update'] },
      { name: 'status', kind: 'Namespace', verbs: ['get', 'update'] },
    ],
  },
  normalize(obj) {
    ensureNameLabel(obj);
  },
  prepareForCreate(obj) {
    const ns = obj as Namespace;
    const fin = new Set(ns.spec?.finalizers ?? []);
    fin.add(NAMESPACE_FINALIZER);
    ns.spec = { ...(ns.spec ?? {}), finalizers: [...fin] };
    ns.status = { phase: 'Active' };
    ensureNameLabel(obj);
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers and status change only through /finalize and /status.
    const ns = obj as Namespace;
    const o = old as Namespace;
    ns.spec = { ...(ns.spec ?? {}), finalizers: o.spec?.finalizers ?? [] };
    if (!ns.spec.finalizers?.length) delete ns.spec.finalizers;
    ns.status = o.status;
    ensureNameLabel(obj);
  },
  validate(obj) {
    return validateNamespace(obj as Namespace);
  },
  validateUpdate(obj, old) {
    return validateNamespaceUpdate(obj as Namespace, old as Namespace);
  },
  warnings() {
    return [];
  },
  selectableFields(obj) {
    return { 'metadata.name': obj.metadata?.name ?? '', 'status.phase': (obj as Namespace).status?.phase ?? '' };
  },
  table: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique; it identifies the namespace.', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: 'The lifecycle phase of the namespace.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Time since the namespace was created.', priority: 0 },
    ],
    cells(obj, now) {
      return [obj.metadata?.name ?? '', (obj as Namespace).status?.phase ?? '', age(obj.metadata?.creationTimestamp, now)];
    },
  },
  patchHints: namespacePatchHints,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
};

const ENSURING = 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.';

/** DELETE /api/v1/namespaces/{name}: mark Terminating; the controller finishes the job. */
export async function deleteNamespace(store: GenericStore, name: string, params: DeleteParams, opts: WriteOptions): Promise<DeleteOutcome> {
  const existing = (await store.get(undefined, name)) as Namespace;
  const pre = params.preconditions;
  const key = store.key(undefined, name);
  if (pre?.uid && pre.uid !== existing.metadata?.uid) {
    throw errors.preconditionFailed(store.gr, name, key, `UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata?.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata?.resourceVersion) {
    throw errors.preconditionFailed(store.gr, name, key, `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata?.resourceVersion}`);
  }
  const pending = (existing.spec?.finalizers?.length ?? 0) > 0;
  if (existing.metadata?.deletionTimestamp) {
    if (pending) throw errors.conflict(store.gr, name, ENSURING);
    return store.delete(undefined, name, params, opts);
  }
  if (!pending) return store.delete(undefined, name, params, opts);
  const terminating = (cur: KObject): KObject => {
    const ns = cur as Namespace;
    meta(ns).deletionTimestamp = nowRFC3339();
    meta(ns).deletionGracePeriodSeconds = 0;
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
    return ns;
  };
  // Admission (e.g. protected namespaces) sees the delete before anything changes.
  await store.delete(undefined, name, params, { ...opts, dryRun: true });
  if (opts.dryRun) return { object: terminating(structuredClone(existing)), deleted: false };
  const res = await store.storage.guaranteedUpdate(key, (cur) =>
    cur.metadata?.deletionTimestamp ? NO_CHANGE : terminating(cur),
  );
  return { object: res.object, deleted: false };
}

/** Drops the `kubernetes` finalizer; removes the namespace when nothing else holds it. */
export async function finalizeNamespace(store: GenericStore, name: string): Promise<void> {
  const key = store.key(undefined, name);
  const res = await store.storage.guaranteedUpdate(key, (cur) => {
    const ns = cur as Namespace;
    const fin = (ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    if (fin.length === (ns.spec?.finalizers ?? []).length) return NO_CHANGE;
    ns.spec = fin.length ? { ...ns.spec, finalizers: fin } : {};
    return ns;
  });
  const ns = res.object as Namespace;
  if (ns.metadata?.deletionTimestamp && !ns.spec?.finalizers?.length && !ns.metadata.finalizers?.length) {
    await store.storage.delete(key);
  }
}
