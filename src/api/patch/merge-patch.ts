// RFC 7386 JSON merge patch as evanphx/json-patch's MergePatch does it for kube-apiserver:
// `null` deletes a key, objects merge recursively, anything else replaces. Values copied in from the
// patch have their nested nulls pruned (pruneNulls), except where a non-object patch value lands on
// an object, which evanphx copies verbatim.

import { getOwn, isObject, setOwn } from './schema.js';

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? null : pruneNulls(x)));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, pruneNulls(x));
    return out;
  }
  return v;
}

function mergeDocs(doc: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) { delete out[k]; continue; }
    const cur = getOwn(out, k);
    if (cur === undefined || cur === null) { setOwn(out, k, pruneNulls(pv)); continue; }
    if (!isObject(cur)) { setOwn(out, k, pruneNulls(pv)); continue; }
    setOwn(out, k, isObject(pv) ? mergeDocs(cur, pv) : structuredClone(pv));
  }
  return out;
}

/**
 * Applies a merge patch to a copy of `doc`. An object patch merges into an object document; an
 * array patch replaces the document (with nulls inside its objects pruned); a non-object document
 * is replaced by the patch.
 */
export function applyMergePatch<T = unknown>(doc: T, patch: unknown): T {
  if (Array.isArray(patch)) return pruneNulls(patch) as T;
  if (!isObject(patch)) return structuredClone(patch) as T;
  if (!isObject(doc)) return pruneNulls(patch) as T;
  return mergeDocs(structuredClone(doc), patch) as T;
}
