// LIST semantics of kube-apiserver: selectors, pagination with continue tokens at a consistent
// revision, and the resourceVersion / resourceVersionMatch rules (including their 410/422/504 answers).

import { errors } from '../api/errors.js';
import { notSupported, forbidden, type FieldError } from '../api/field-errors.js';
import type { KObject } from '../api/types.js';
import { parseLabelSelector, labelsMatch, parseFieldSelector, fieldsMatch, validateFieldSelector, exactNameFromSelector } from '../api/selectors/index.js';
import { StorageError } from '../storage/backend.js';
import { decodeContinue, encodeContinue } from '../storage/continue-token.js';
import type { GenericStore } from './generic-store.js';

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListPage {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  /** Items after this page; only without selectors, as kube reports it. */
  remainingItemCount?: number;
}

const listOptionsInvalid = (errs: FieldError[]) => {
  const e = errors.invalid('ListOptions', 'meta.k8s.io', '', errs);
  return e;
};

export function validateListParams(p: ListParams): void {
  const m = p.resourceVersionMatch;
  if (!m) return;
  if (!p.resourceVersion) throw listOptionsInvalid([forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided')]);
  if (p.continue) throw listOptionsInvalid([forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided')]);
  if (m === 'Exact') {
    if (p.resourceVersion === '0') throw listOptionsInvalid([forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')]);
  } else if (m !== 'NotOlderThan') {
    throw listOptionsInvalid([notSupported('resourceVersionMatch', m, ['Exact', 'NotOlderThan', ''])]);
  }
}

/** Parses a client resourceVersion; kube answers a malformed one with 400. */
export function parseRV(rv: string): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/** For a requested revision newer than the store's: wait briefly, then 504 as kube does. */
export async function waitForRevision(store: GenericStore, rev: number, timeoutMs = 3000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cur = await store.storage.currentRevision();
    if (cur >= rev) return cur;
    if (Date.now() >= deadline) {
      throw errors.timeout(`Too large resource version: ${rev}, current: ${cur}`, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function buildFilter(store: GenericStore, p: ListParams): ((o: KObject) => boolean) | undefined {
  const label = p.labelSelector ? parseLabelSelector(p.labelSelector) : undefined;
  const field = p.fieldSelector ? parseFieldSelector(p.fieldSelector) : undefined;
  if (field) validateFieldSelector(field, Object.keys(store.strategy.selectableFields({ metadata: {} })), store.info);
  if (!label && !field) return undefined;
  return (o) =>
    (!label || labelsMatch(label, o.metadata?.labels)) && (!field || fieldsMatch(field, store.strategy.selectableFields(o)));
}

export async function listObjects(store: GenericStore, namespace: string | undefined, p: ListParams): Promise<ListPage> {
  validateListParams(p);
  const filter = buildFilter(store, p);
  const prefix = store.prefix(namespace);
  let rev = 0;
  let startAfter: string | undefined;
  if (p.continue) {
    if (p.resourceVersion && p.resourceVersion !== '0') {
      throw errors.badRequest('specifying resource version is not allowed when using continue');
    }
    const pos = decodeContinue(prefix, p.continue);
    rev = pos.rev;
    startAfter = pos.startAfter;
  } else if (p.resourceVersion && p.resourceVersion !== '0') {
    const wanted = parseRV(p.resourceVersion);
    await waitForRevision(store, wanted);
    if (p.resourceVersionMatch === 'Exact') rev = wanted;
  }
  // A selector pinning one name in one namespace is a point read, as in kube's store.
  const exact = p.fieldSelector && !p.continue && !rev ? exactNameFromSelector(parseFieldSelector(p.fieldSelector)) : undefined;
  if (exact !== undefined && (namespace || !store.info.namespaced)) {
    const obj = await store.tryGet(namespace, exact);
    const curRev = await store.storage.currentRevision();
    return { items: obj && (!filter || filter(obj)) ? [obj] : [], resourceVersion: String(curRev) };
  }
  try {
    const res = await store.storage.list(prefix, { limit: p.limit, startAfter, rev, filter });
    const page: ListPage = { items: res.items, resourceVersion: String(res.rev) };
    if (res.lastKey) {
      page.continue = encodeContinue(prefix, res.lastKey, res.rev);
      if (!filter) page.remainingItemCount = await store.storage.backend.count(prefix, { startAfter: res.lastKey, rev: res.rev });
    }
    return page;
  } catch (err) {
    if (err instanceof StorageError && err.code === 'TooOld') {
      if (p.continue) {
        throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      throw errors.expired(`too old resource version: ${rev} (${err.rev ?? 0})`);
    }
    if (err instanceof StorageError && err.code === 'TooLarge') {
      throw errors.timeout(`Too large resource version: ${rev}, current: ${err.rev ?? 0}`, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]);
    }
    throw err;
  }
}
