// One generic store for every resource (kube's registry/generic/registry.Store): it applies the
// resource's strategy around the storage interface — system fields, validation, admission,
// preconditions, managedFields, dry-run, finalizers — so resource modules only describe differences.

import { isDeepStrictEqual } from 'node:util';
import { errors, type GroupResource } from '../api/errors.js';
import { updateManagedFields } from '../api/patch/index.js';
import type { KObject, ManagedFieldsEntry, ObjectMeta } from '../api/types.js';
import { validateObjectMetaUpdate } from '../api/validation/index.js';
import type { AdmissionChain } from '../admission/types.js';
import { StorageError } from '../storage/backend.js';
import { NO_CHANGE, type ObjectStore } from '../storage/store.js';
import type { WatchCache } from '../storage/watch-cache.js';
import { generateName, meta, newUID, nowRFC3339, pruneEmptyMeta, wipeSystemFields } from './meta.js';
import { listObjects, type ListParams, type ListPage } from './list.js';
import type { Strategy, WriteOptions } from './types.js';

export interface DeleteParams {
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Orphan | Background | Foreground; without a garbage collector all behave as Background. */
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
}

export interface DeleteOutcome {
  object: KObject;
  /** False when finalizers keep the object (it is only marked for deletion). */
  deleted: boolean;
}

/** Produces the desired object from the current one (PUT body, or a patch applied to it). */
export type UpdatedObject = (existing: KObject) => Promise<KObject> | KObject;

export class GenericStore {
  readonly gr: GroupResource;

  constructor(
    readonly strategy: Strategy,
    readonly storage: ObjectStore,
    readonly cache: WatchCache,
    private readonly admission: AdmissionChain,
    private readonly root: string,
  ) {
    this.gr = { group: strategy.info.group, resource: strategy.info.resource };
  }

  get info() {
    return this.strategy.info;
  }

  key(namespace: string | undefined, name: string): string {
    return this.info.namespaced ? `${this.root}/${this.info.resource}/${namespace}/${name}` : `${this.root}/${this.info.resource}/${name}`;
  }

  prefix(namespace?: string): string {
    return namespace && this.info.namespaced ? `${this.root}/${this.info.resource}/${namespace}/` : `${this.root}/${this.info.resource}/`;
  }

  private mapStorage(err: unknown, name: string): never {
    if (err instanceof StorageError) {
      if (err.code === 'NotFound') throw errors.notFound(this.gr, name);
      if (err.code === 'Exists') throw errors.alreadyExists(this.gr, name);
      if (err.code === 'Conflict') throw errors.modified(this.gr, name);
      if (err.code === 'Unavailable') throw errors.serviceUnavailable(err.message);
      throw errors.internal(err.message);
    }
    throw err;
  }

  async get(namespace: string | undefined, name: string): Promise<KObject> {
    const obj = await this.storage.get(this.key(namespace, name)).catch((e) => this.mapStorage(e, name));
    if (!obj) throw errors.notFound(this.gr, name);
    return obj;
  }

  async tryGet(namespace: string | undefined, name: string): Promise<KObject | undefined> {
    return this.storage.get(this.key(namespace, name)).catch((e) => this.mapStorage(e, name));
  }

  list(namespace: string | undefined, params: ListParams): Promise<ListPage> {
    return listObjects(this, namespace, params);
  }

  private invalid(obj: KObject, errs: ReturnType<Strategy['validate']>): never {
    throw errors.invalid(this.info.kind, this.info.group, obj.metadata?.name ?? '', errs);
  }

  /** POST: obj is already decoded, defaulted and namespace-reconciled by the handler. */
  async create(namespace: string | undefined, obj: KObject, opts: WriteOptions): Promise<KObject> {
    const m = meta(obj);
    pruneEmptyMeta(m);
    if (m.resourceVersion) {
      throw errors.rawInternal('resourceVersion should not be set on objects to be created');
    }
    wipeSystemFields(m);
    // A cluster-scoped object never carries a namespace (EnsureObjectNamespaceMatchesRequestNamespace).
    if (this.info.namespaced) m.namespace = namespace;
    else delete m.namespace;
    // Field ownership reflects what the client sent, before the strategy adds server defaults.
    if (opts.fieldManager && !opts.managedFieldsDone) {
      setManaged(m, updateManagedFields(null, obj, opts.fieldManager, 'Update', new Date()));
    }
    // Admission runs before the name is generated, as kube's mutating admission does.
    await this.admission.admit({
      operation: 'CREATE', info: this.info, namespace, name: m.name ?? '', object: obj, user: opts.user, dryRun: opts.dryRun,
    });
    m.uid = newUID();
    m.creationTimestamp = nowRFC3339();
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = generateName(m.generateName!);
    this.strategy.prepareForCreate(obj);
    const errs = this.strategy.validate(obj);
    if (errs.length) this.invalid(obj, errs);
    this.strategy.canonicalize?.(obj);
    opts.warnings.push(...this.strategy.warnings(obj));
    if (opts.dryRun) {
      if (await this.tryGet(namespace, m.name!)) throw errors.alreadyExists(this.gr, m.name!);
      return obj;
    }
    try {
      return await this.storage.create(this.key(namespace, m.name!), obj);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Exists') {
        if (generated) throw errors.generateNameConflict(this.gr, m.name!);
        const existing = await this.tryGet(namespace, m.name!);
        throw errors.alreadyExists(this.gr, m.name!, existing?.metadata?.deletionTimestamp ? 'object is being deleted: ' : '');
      }
      this.mapStorage(err, m.name!);
    }
  }

  /** PUT and PATCH: computes the new object from the current one and writes it if it changed. */
  async update(namespace: string | undefined, name: string, updated: UpdatedObject, opts: WriteOptions): Promise<{ object: KObject; changed: boolean }> {
    const compute = async (existing: KObject): Promise<KObject | typeof NO_CHANGE> => {
      const obj = await updated(structuredClone(existing));
      return this.prepareUpdate(namespace, name, obj, existing, opts);
    };
    const key = this.key(namespace, name);
    if (opts.dryRun) {
      const existing = await this.get(namespace, name);
      const next = await compute(existing);
      return next === NO_CHANGE ? { object: existing, changed: false } : { object: next, changed: true };
    }
    let result;
    try {
      result = await this.storage.guaranteedUpdate(key, compute);
    } catch (err) {
      this.mapStorage(err, name);
    }
    const m = result.object.metadata ?? {};
    if (result.changed && m.deletionTimestamp && !(m.finalizers?.length)) {
      // The last finalizer is gone: the object completes its deletion now.
      const gone = await this.storage.delete(key).catch((e) => this.mapStorage(e, name));
      return { object: gone, changed: true };
    }
    return result;
  }

  private async prepareUpdate(namespace: string | undefined, name: string, obj: KObject, existing: KObject, opts: WriteOptions): Promise<KObject | typeof NO_CHANGE> {
    const m = meta(obj);
    pruneEmptyMeta(m);
    const old = existing.metadata ?? {};
    if (m.name !== name) {
      throw errors.badRequest(`the name of the object (${m.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (!m.resourceVersion) {
      if (!this.strategy.allowUnconditionalUpdate) {
        this.invalid(obj, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', value: '', detail: 'must be specified for an update' }]);
      }
    } else if (m.resourceVersion !== old.resourceVersion) {
      throw errors.modified(this.gr, name);
    }
    if (m.uid && m.uid !== old.uid) {
      throw errors.preconditionFailed(this.gr, name, this.key(namespace, name), `UID in precondition: ${m.uid}, UID in object meta: ${old.uid}`);
    }
    // System fields always come from the stored object (rest.BeforeUpdate).
    m.uid = old.uid;
    m.creationTimestamp = old.creationTimestamp;
    m.resourceVersion = old.resourceVersion;
    if (this.info.namespaced) m.namespace = namespace;
    if (old.deletionTimestamp) m.deletionTimestamp = old.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (old.generation !== undefined) m.generation = old.generation;
    else delete m.generation;
    delete m.selfLink;
    if (!opts.managedFieldsDone) {
      setManaged(m, old.managedFields);
      if (opts.fieldManager) setManaged(m, updateManagedFields(existing, obj, opts.fieldManager, 'Update', new Date()));
    }
    this.strategy.prepareForUpdate(obj, existing);
    await this.admission.admit({
      operation: 'UPDATE', info: this.info, namespace, name, object: obj, oldObject: existing, user: opts.user, dryRun: opts.dryRun,
    });
    const errs = [...validateObjectMetaUpdate(m, old), ...this.strategy.validateUpdate(obj, existing)];
    if (errs.length) this.invalid(obj, errs);
    this.strategy.canonicalize?.(obj);
    opts.warnings.push(...this.strategy.warnings(obj, existing));
    // An update that changes nothing but ownership bookkeeping is no update: the resourceVersion stays.
    if (isDeepStrictEqual(withoutManaged(obj), withoutManaged(existing)) && sameOwnership(m.managedFields, old.managedFields)) return NO_CHANGE;
    return obj;
  }

  async delete(namespace: string | undefined, name: string, params: DeleteParams, opts: WriteOptions): Promise<DeleteOutcome> {
    const key = this.key(namespace, name);
    const existing = await this.get(namespace, name);
    const check = async (current: KObject) => {
      const cm = current.metadata ?? {};
      const pre = params.preconditions;
      if (pre?.uid && pre.uid !== cm.uid) {
        throw errors.preconditionFailed(this.gr, name, key, `UID in precondition: ${pre.uid}, UID in object meta: ${cm.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cm.resourceVersion) {
        throw errors.preconditionFailed(this.gr, name, key, `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cm.resourceVersion}`);
      }
      await this.admission.admit({ operation: 'DELETE', info: this.info, namespace, name, oldObject: current, user: opts.user, dryRun: opts.dryRun });
    };
    if (existing.metadata?.finalizers?.length) {
      // Finalizers keep the object: mark it and let their owners finish (graceful deletion).
      await check(existing);
      if (opts.dryRun) return { object: markDeleting(structuredClone(existing)), deleted: false };
      const res = await this.storage
        .guaranteedUpdate(key, (cur) => (cur.metadata?.deletionTimestamp ? NO_CHANGE : markDeleting(cur)))
        .catch((e) => this.mapStorage(e, name));
      return { object: res.object, deleted: false };
    }
    if (opts.dryRun) {
      await check(existing);
      return { object: existing, deleted: true };
    }
    const object = await this.storage.delete(key, check).catch((e) => this.mapStorage(e, name));
    return { object, deleted: true };
  }
}

function markDeleting(obj: KObject): KObject {
  const m = meta(obj);
  m.deletionTimestamp ??= nowRFC3339();
  m.deletionGracePeriodSeconds ??= 0;
  return obj;
}

function setManaged(m: ObjectMeta, entries: ManagedFieldsEntry[] | undefined): void {
  if (entries?.length) m.managedFields = entries;
  else delete m.managedFields;
}

/** Ownership equal apart from timestamps (an Apply that changes nothing must not bump the object). */
function sameOwnership(a: ManagedFieldsEntry[] | undefined, b: ManagedFieldsEntry[] | undefined): boolean {
  const strip = (l: ManagedFieldsEntry[] | undefined) => (l ?? []).map(({ time: _t, ...rest }) => rest);
  return isDeepStrictEqual(strip(a), strip(b));
}

function withoutManaged(obj: KObject): KObject {
  const m = { ...(obj.metadata ?? {}) };
  delete m.managedFields;
  return { ...obj, metadata: m };
}
