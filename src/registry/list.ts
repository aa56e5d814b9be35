// LIST semantics of kube-apiserver: selectors, pagination with continue tokens at a consistent
// revision, and the resourceVersion / resourceVersionMatch rules (including their 410/422/504 answers).

import { errors } from '../api/errors.js';
import { notSupported, forbidden, type FieldError } from '../api/field-errors.js';
import type { KObject } from '../api/types.js';
import { parseLabelSelector, labelsMatch, parseFieldSelector, fieldsMatch, validateFieldSelector, exactNameFromSelector } from '../api/selectors/index.js';
import { StorageError } from '../storage/backend.js';
import { decodeContinue, encodeContinue, LATEST } from '../storage/continue-token.js';

const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without ' +
  'the continue parameter, or use the continue token in this response to retrieve the remainder of the results. ' +
  'Continuing with the provided token results in an inconsistent list - objects that were created, modified, or ' +
  'deleted between the time the first chunk was returned and now may show up in the list.';
import type { GenericStore } from './generic-store.js';

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
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

/** apimachinery's ValidateListOptions for a plain list: every finding, in kube's order. */
export function validateListParams(p: ListParams): void {
  const errs: FieldError[] = [];
  const m = p.resourceVersionMatch;
  if (m) {
    if (!p.resourceVersion) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (p.continue) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (m !== 'Exact' && m !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', m, ['Exact', 'NotOlderThan', '']));
    if (m === 'Exact' && p.resourceVersion === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (p.sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  if (errs.length) throw listOptionsInvalid(errs);
}

/** validateWatchOptions: sendInitialEvents and resourceVersionMatch go together on a watch. */
export function validateWatchParams(p: ListParams, allowBookmarks: boolean): void {
  const errs: FieldError[] = [];
  const m = p.resourceVersionMatch;
  if (p.sendInitialEvents !== undefined) {
    if (m !== 'NotOlderThan') errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (p.sendInitialEvents && !allowBookmarks) errs.push(forbidden('allowWatchBookmarks', 'allowWatchBookmarks must be set to true when sendInitialEvents is true'));
  }
  if (m) {
    if (p.sendInitialEvents === undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (m !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', m, ['NotOlderThan']));
    if (p.continue) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (errs.length) throw listOptionsInvalid(errs);
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** Parses a client resourceVersion as kube's strconv.ParseUint(rv, 10, 64); a malformed one is a 400. */
export function parseRV(rv: string): number {
  // Beyond uint64 kube fails to parse (400); below it, a number too large is waited for (504).
  if (!/^\d+$/.test(rv) || BigInt(rv) > MAX_UINT64) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
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
    // A limit beyond any possible item count lists everything, as in kube; handed on, a limit past
    // int64 is a float the SQLite binding refuses (a 500).
    const limit = p.limit !== undefined && p.limit > Number.MAX_SAFE_INTEGER ? undefined : p.limit;
    const res = await store.storage.list(prefix, { limit, startAfter, rev, filter });
    const page: ListPage = { items: res.items, resourceVersion: String(res.rev) };
    if (res.lastKey) {
      page.continue = encodeContinue(prefix, res.lastKey, res.rev);
      if (!filter) page.remainingItemCount = await store.storage.backend.count(prefix, { startAfter: res.lastKey, rev: res.rev });
    }
    return page;
  } catch (err) {
    if (err instanceof StorageError && err.code === 'TooOld') {
      if (p.continue && startAfter !== undefined) {
        // As kube's store: offer a token that continues from the same key at the latest revision.
        const e = errors.expired(INCONSISTENT_CONTINUE);
        e.listMeta = { continue: encodeContinue(prefix, startAfter, LATEST) };
        throw e;
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
