// API discovery: /api, /apis, /api/v1, /apis/<group>[/<version>] in the legacy shapes, and the
// aggregated apidiscovery.k8s.io/v2 (or v2beta1) list when the client asks for it by Accept. kubectl
// decides by the response Content-Type, so that header must be exact.

import type { ResourceInfo } from '../registry/types.js';
import { parseMediaType } from './negotiation.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface GroupVersions {
  group: string;
  version: string;
  resources: ResourceInfo[];
}

/** The aggregated discovery version the client accepts, if any (v2 preferred as listed). */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const mt = parseMediaType(entry);
    if (mt.type !== 'application/json' || mt.params['g'] !== 'apidiscovery.k8s.io' || mt.params['as'] !== 'APIGroupDiscoveryList') continue;
    if (mt.params['v'] === 'v2' || mt.params['v'] === 'v2beta1') return mt.params['v'];
  }
  return undefined;
}

export function aggregatedContentType(v: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function resourceEntry(r: ResourceInfo) {
  const e: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames?.length) e['shortNames'] = r.shortNames;
  if (r.categories?.length) e['categories'] = r.categories;
  if (r.subresources?.length) {
    e['subresources'] = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return e;
}

export function aggregatedList(v: 'v2' | 'v2beta1', groups: GroupVersions[]) {
  const byGroup = new Map<string, GroupVersions[]>();
  for (const g of groups) byGroup.set(g.group, [...(byGroup.get(g.group) ?? []), g]);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${v}`,
    metadata: {},
    items: [...byGroup.entries()].map(([name, gvs]) => ({
      metadata: name ? { name, creationTimestamp: null } : { creationTimestamp: null },
      versions: gvs.map((gv) => ({ version: gv.version, resources: gv.resources.map(resourceEntry), freshness: 'Current' })),
    })),
  };
}

export function apiResourceList(gv: GroupVersions) {
  const resources: Record<string, unknown>[] = [];
  for (const r of gv.resources) {
    const e: Record<string, unknown> = {
      name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
    };
    if (r.shortNames?.length) e['shortNames'] = r.shortNames;
    if (r.categories?.length) e['categories'] = r.categories;
    if (r.storageVersionHash) e['storageVersionHash'] = r.storageVersionHash;
    resources.push(e);
    for (const s of r.subresources ?? []) {
      const sub: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced };
      if (s.group !== undefined) sub['group'] = s.group;
      if (s.version !== undefined) sub['version'] = s.version;
      sub['kind'] = s.kind;
      sub['verbs'] = s.verbs;
      resources.push(sub);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
    resources,
  };
}

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, gvs: GroupVersions[]) {
  const versions = gvs.map((g) => ({ groupVersion: `${name}/${g.version}`, version: g.version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(groups: GroupVersions[]) {
  const named = new Map<string, GroupVersions[]>();
  for (const g of groups) if (g.group) named.set(g.group, [...(named.get(g.group) ?? []), g]);
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...named.entries()].map(([n, gvs]) => apiGroup(n, gvs)) };
}

export function apiGroupObject(name: string, groups: GroupVersions[]) {
  const gvs = groups.filter((g) => g.group === name);
  return gvs.length ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(name, gvs) } : undefined;
}
