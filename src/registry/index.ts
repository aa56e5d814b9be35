// The set of served resources: one GenericStore per resource, looked up by group/version/resource.
// Each resource gets its own object store over the shared engine, with the value transformer its
// encryption rule selects (kube's per-resource storage configuration).

import type { AdmissionChain } from '../admission/types.js';
import type { Backend } from '../storage/backend.js';
import { ObjectStore } from '../storage/store.js';
import type { Transformer } from '../storage/transformer.js';
import { WatchCache } from '../storage/watch-cache.js';
import { GenericStore } from './generic-store.js';
import { namespaceStrategy } from './namespaces.js';
import { rbacStrategies } from './rbac.js';
import { secretStrategy } from './secrets.js';
import { serviceAccountStrategy } from './serviceaccounts.js';
import type { ResourceInfo, Strategy } from './types.js';
import type { SubresourceHandler, VirtualResource } from './virtual.js';

export interface RegistryOptions {
  /** Key prefix, kube's --etcd-prefix (default /registry). */
  prefix: string;
  watchCacheSize?: number;
  /** The value transformer for a group/resource (encryption at rest). */
  transformerFor: (group: string, resource: string) => Transformer;
}

export class Registry {
  private readonly stores = new Map<string, GenericStore>();
  private readonly virtuals = new Map<string, VirtualResource>();
  private readonly subresources = new Map<string, SubresourceHandler>();

  constructor(
    readonly backend: Backend,
    readonly admission: AdmissionChain,
    private readonly opts: RegistryOptions,
  ) {
    for (const s of [namespaceStrategy, secretStrategy, serviceAccountStrategy, ...rbacStrategies]) this.add(s);
  }

  /** The storage key prefix (kube's --etcd-prefix), without a trailing slash. */
  get prefix(): string {
    return this.opts.prefix;
  }

  add(strategy: Strategy): GenericStore {
    const i = strategy.info;
    const storage = new ObjectStore(this.backend, this.opts.transformerFor(i.group, i.resource));
    const cache = new WatchCache(storage, this.backend, `${this.opts.prefix}/${i.resource}/`, this.opts.watchCacheSize);
    const store = new GenericStore(strategy, storage, cache, this.admission, this.opts.prefix);
    this.stores.set(`${i.group}/${i.version}/${i.resource}`, store);
    return store;
  }

  /** A create-only resource answered by a function (reviews); listed in discovery like any other. */
  addVirtual(v: VirtualResource): void {
    this.virtuals.set(`${v.info.group}/${v.info.version}/${v.info.resource}`, v);
  }

  lookupVirtual(group: string, version: string, resource: string): VirtualResource | undefined {
    return this.virtuals.get(`${group}/${version}/${resource}`);
  }

  /** A subresource handler; the parent's ResourceInfo.subresources lists it for discovery. */
  addSubresource(h: SubresourceHandler): void {
    this.subresources.set(`${h.group}/${h.version}/${h.resource}/${h.name}`, h);
  }

  lookupSubresource(group: string, version: string, resource: string, name: string): SubresourceHandler | undefined {
    return this.subresources.get(`${group}/${version}/${resource}/${name}`);
  }

  /** Every served resource, stored or not, for discovery and OpenAPI. */
  infos(): ResourceInfo[] {
    return [...[...this.stores.values()].map((s) => s.info), ...[...this.virtuals.values()].map((v) => v.info)];
  }

  async start(): Promise<void> {
    for (const s of this.stores.values()) await s.cache.start();
  }

  stop(): void {
    for (const s of this.stores.values()) s.cache.stop();
  }

  lookup(group: string, version: string, resource: string): GenericStore | undefined {
    return this.stores.get(`${group}/${version}/${resource}`);
  }

  all(): GenericStore[] {
    return [...this.stores.values()];
  }

  get namespaces(): GenericStore {
    return this.lookup('', 'v1', 'namespaces')!;
  }

  get secrets(): GenericStore {
    return this.lookup('', 'v1', 'secrets')!;
  }

  get serviceAccounts(): GenericStore {
    return this.lookup('', 'v1', 'serviceaccounts')!;
  }
}
