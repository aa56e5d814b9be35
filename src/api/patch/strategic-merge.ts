// Strategic merge patch, the apply half of k8s.io/apimachinery/pkg/util/strategicpatch (mergeMap
// with MergeParallelList and IgnoreUnmatchedNulls, as StrategicMergeMapPatch uses): a merge patch
// whose lists merge by key or as sets where the schema says so, plus the `$patch`, `$retainKeys`,
// `$setElementOrder/<f>` and `$deleteFromPrimitiveList/<f>` directives. Errors keep the texts of
// apimachinery's mergepatch package.

import { isDeepStrictEqual } from 'node:util';
import { errors } from '../errors.js';
import { childHint, elemHint, getOwn, isObject, setOwn, type PatchHints, type TypeHint } from './schema.js';

type Obj = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList';

/** mergepatch errors that kube answers with 400 (interpretStrategicMergePatchError). */
const bad = (msg: string): never => { throw errors.badRequest(msg); };

/** Go's %v for the maps/slices these error messages print. */
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goV(v[k])}`).join(' ')}]`;
  return String(v);
}

const goType = (v: unknown): string =>
  v === null || v === undefined ? '<nil>' : Array.isArray(v) ? '[]interface {}' : isObject(v) ? 'map[string]interface {}'
    : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int64' : 'float64';

const errNoMergeKey = (m: unknown, k: string): never => bad(`map: ${goV(m)} does not contain declared merge key: ${k}`);
const errBadPatchType = (t: unknown, m: unknown): never => bad(`unknown patch type: ${goV(t)} in map: ${goV(m)}`);
const errBadArgType = (expected: string, actual: unknown): never => bad(`expected a ${expected}, but received a ${goType(actual)}`);

interface ListMeta { strategy: 'merge' | 'replace'; mergeKey: string; elem: TypeHint }

function listMeta(h: TypeHint): ListMeta {
  if (h.list === 'map') return { strategy: 'merge', mergeKey: h.keys?.[0] ?? '', elem: elemHint(h) };
  if (h.list === 'set') return { strategy: 'merge', mergeKey: '', elem: elemHint(h) };
  return { strategy: 'replace', mergeKey: '', elem: elemHint(h) };
}

/** Drops `$patch`-marked maps (and list items) from a value taken verbatim from the patch. */
function removeDirectives(v: unknown): { value: unknown; keep: boolean } {
  if (isObject(v)) {
    if (DIRECTIVE in v) return { value: undefined, keep: false };
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      // Ordering/retain directives only mean something next to a live value; drop them here.
      if (k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
      if (x === null) continue; // IgnoreUnmatchedNulls: a null with nothing to delete is dropped.
      const r = removeDirectives(x);
      if (r.keep) setOwn(out, k, r.value);
    }
    return { value: out, keep: true };
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) { const r = removeDirectives(x); if (r.keep) out.push(r.value); }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

function extractKey(key: string, prefix: string): string {
  const i = key.indexOf('/');
  if (i < 0 || key.slice(0, i) !== prefix) {
    bad(prefix === DELETE_PRIMITIVE ? 'invalid patch format of primitive list' : 'invalid patch format of setElementOrder list');
  }
  return key.slice(i + 1);
}

const mergeValue = (item: unknown, key: string): unknown => (key ? (item as Obj)[key] : item);
const sameKey = (a: unknown, b: unknown, key: string): boolean => isDeepStrictEqual(mergeValue(a, key), mergeValue(b, key));

/** A canonical text of a JSON value: equal texts for deep-equal values, whatever their key order. */
function canon(v: unknown): string {
  if (v === undefined) return 'u';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * First position of each merge value in a list. Lists are matched through this index rather than
 * by scanning: a patch of n keyed items against n live ones cost n² comparisons (a 1 MB patch of
 * 65k items took four minutes).
 */
class KeyIndex {
  private readonly first = new Map<string, number>();
  constructor(list: readonly unknown[], private readonly key: string) {
    list.forEach((x, i) => this.add(x, i));
  }
  add(item: unknown, at: number): void {
    const c = canon(mergeValue(item, this.key));
    if (!this.first.has(c)) this.first.set(c, at);
  }
  indexOf(item: unknown): number {
    return this.first.get(canon(mergeValue(item, this.key))) ?? -1;
  }
}

/** normalizeElementOrder: patch items in patch order, server-only items in live order, interleaved. */
function normalizeOrder(merged: unknown[], patchOrder: unknown[], serverOrder: unknown[], key: string, isMap: boolean): unknown[] {
  if (isMap) {
    for (const x of [...merged, ...patchOrder, ...serverOrder]) {
      if (!isObject(x)) errBadArgType('map[string]interface {}', x);
      if (!(key in (x as Obj))) errNoMergeKey(x, key);
    }
  }
  const inPatchOrder = new KeyIndex(patchOrder, key), inServerOrder = new KeyIndex(serverOrder, key);
  const inPatch = merged.filter((x) => inPatchOrder.indexOf(x) >= 0);
  const serverOnly = merged.filter((x) => inPatchOrder.indexOf(x) < 0);
  const sortBy = (items: unknown[], order: KeyIndex): unknown[] => items
    .map((x, i) => ({ x, i, o: order.indexOf(x) }))
    .sort((a, b) => (a.o >= 0 && b.o >= 0 ? a.o - b.o : a.i - b.i))
    .map((e) => e.x);
  const left = sortBy(serverOnly, inServerOrder), right = sortBy(inPatch, inPatchOrder);
  // mergeSortedSlice: a server-only item goes before a patch item only if the live list says so.
  const out: unknown[] = [];
  let i = 0, j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = inServerOrder.indexOf(left[i]), ri = inServerOrder.indexOf(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function elementKind(...lists: unknown[][]): 'map' | 'scalar' {
  let kind: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = Array.isArray(v) ? 'list' : isObject(v) ? 'map' : v === null ? 'null' : typeof v;
      if (k === 'list') throw errors.invalidRequest('lists of lists are not supported');
      if (kind !== undefined && kind !== k) bad(`list element types are not identical: ${goV(lists)}`);
      kind = k;
    }
  }
  return kind === 'map' ? 'map' : 'scalar';
}

function mergeSlice(original: unknown[], patch: unknown[], meta: ListMeta, isDeleteList: boolean): unknown[] {
  if (!original.length && !patch.length) return original;
  const isMap = elementKind(original, patch) === 'map';
  const key = meta.mergeKey;
  let merged: unknown[];
  let orig = original, pat = patch;
  if (!isMap) {
    if (isDeleteList) {
      const doomed = new Set(patch.map(canon));
      return original.filter((x) => !doomed.has(canon(x)));
    }
    merged = [];
    const seen = new Set<string>();
    for (const x of [...original, ...patch]) {
      const c = canon(x);
      if (!seen.has(c)) { seen.add(c); merged.push(x); }
    }
    return normalizeOrder(merged, pat, orig, '', false);
  }
  if (!key) bad('cannot merge lists without merge key for type map');
  // Special elements: `$patch: delete` removes by key, `$patch: replace` replaces the whole list.
  const plain: unknown[] = [];
  const deleted = new Set<string>();
  let replace = false;
  for (const v of pat) {
    const m = v as Obj;
    if (!(DIRECTIVE in m)) { plain.push(v); continue; }
    if (m[DIRECTIVE] === 'delete') {
      if (!(key in m)) errNoMergeKey(m, key);
      deleted.add(canon(m[key]));
    } else if (m[DIRECTIVE] === 'replace') replace = true;
    else if (m[DIRECTIVE] === 'merge') bad('merging lists cannot yet be specified in the patch');
    else errBadPatchType(m[DIRECTIVE], m);
  }
  if (deleted.size) orig = orig.filter((x) => !(isObject(x) && deleted.has(canon(x[key]))));
  if (replace) { orig = plain; pat = []; } else pat = plain;
  merged = [...orig];
  const byKey = new KeyIndex(merged, key); // map lists hold objects only (elementKind)
  for (const v of pat) {
    const m = v as Obj;
    if (!(key in m)) errNoMergeKey(m, key);
    const i = byKey.indexOf(m);
    if (i >= 0) merged[i] = mergeMap(merged[i] as Obj, m, meta.elem);
    else { byKey.add(m, merged.length); merged.push(removeDirectives(m).value); }
  }
  return normalizeOrder(merged, pat, orig, key, true);
}

function mergeSliceHandler(original: unknown, patch: unknown, h: TypeHint, isDeleteList: boolean): unknown[] {
  if (!Array.isArray(original)) return errBadArgType('[]interface {}', original);
  if (!Array.isArray(patch)) return errBadArgType('[]interface {}', patch);
  const meta = listMeta(h);
  if (meta.strategy !== 'merge') return removeDirectives(patch).value as unknown[];
  return mergeSlice(original, patch, meta, isDeleteList);
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) bad('invalid patch format of retainKeys');
  const keep = new Set(list as unknown[]);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
    if (!keep.has(k)) bad('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** The patch list must be a subsequence of the `$setElementOrder` list (deletions aside). */
function validateSetOrder(patchList: unknown[], order: unknown[], key: string): void {
  if (!order.length || !patchList.length) return;
  const items = key ? patchList.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'delete')) : patchList;
  let p = 0, o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && DIRECTIVE in (items[p] as Obj)) { p++; continue; }
    if (key && (!isObject(items[p]) || !(key in (items[p] as Obj)))) errNoMergeKey(items[p], key);
    if (key && (!isObject(order[o]) || !(key in (order[o] as Obj)))) errNoMergeKey(order[o], key);
    if (sameKey(items[p], order[o], key)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    bad(`the order in patch list:\n${goV(patchList)}\n doesn't match ${SET_ORDER} list:\n${goV(order)}`);
  }
}

/** `$setElementOrder/<f>`: merge that list now and order it as the directive says. */
function applySetElementOrder(original: Obj, patch: Obj, h: TypeHint): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) errBadArgType('[]interface {}', order);
    const field = extractKey(key, SET_ORDER);
    const meta = listMeta(childHint(h, field));
    // Own keys only: `in` would find "constructor" or "__proto__" on every object.
    const hasOrig = Object.prototype.hasOwnProperty.call(original, field), hasPatch = Object.prototype.hasOwnProperty.call(patch, field);
    const origValue = getOwn(original, field), patchValue = getOwn(patch, field);
    if (hasOrig && !Array.isArray(origValue)) errBadArgType('[]interface {}', origValue);
    if (hasPatch && !Array.isArray(patchValue)) errBadArgType('[]interface {}', patchValue);
    if (hasPatch) validateSetOrder(patchValue as unknown[], order as unknown[], meta.mergeKey);
    let merged: unknown[];
    if (hasOrig && hasPatch) merged = mergeSliceHandler(origValue, patchValue, childHint(h, field), false);
    else if (hasPatch) merged = removeDirectives(patchValue).value as unknown[];
    else if (hasOrig) merged = origValue as unknown[];
    else continue;
    const origList = (hasOrig ? origValue : []) as unknown[];
    const isMap = elementKind(origList, (hasPatch ? patchValue : []) as unknown[]) === 'map';
    setOwn(original, field, normalizeOrder(merged, order as unknown[], origList, meta.mergeKey, isMap));
    delete patch[field];
  }
}

function mergeMap(original: Obj | undefined, patchIn: Obj, h: TypeHint): Obj {
  const patch: Obj = { ...patchIn };
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') { delete patch[DIRECTIVE]; return removeDirectives(patch).value as Obj; }
    if (d === 'delete') return {};
    errBadPatchType(d, patch);
  }
  const out: Obj = { ...(original ?? {}) };
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, h);
  for (const [rawKey, pv] of Object.entries(patch)) {
    let k = rawKey;
    const isDeleteList = rawKey.startsWith(DELETE_PRIMITIVE);
    if (isDeleteList) k = extractKey(rawKey, DELETE_PRIMITIVE);
    if (pv === null) { delete out[k]; continue; }
    const cur = getOwn(out, k);
    const sameType = cur !== undefined && cur !== null && Array.isArray(cur) === Array.isArray(pv) && isObject(cur) === isObject(pv);
    if (cur === undefined || !sameType || (!isObject(pv) && !Array.isArray(pv))) {
      if (isDeleteList && (cur === undefined || !sameType)) continue;
      const r = removeDirectives(pv);
      if (r.keep) setOwn(out, k, r.value); else delete out[k];
      continue;
    }
    const child = childHint(h, k);
    setOwn(out, k, isObject(pv) ? mergeMap(cur as Obj, pv, child) : mergeSliceHandler(cur, pv, child, isDeleteList));
  }
  return out;
}

/** Applies a strategic merge patch (already parsed) to a copy of `doc`. */
export function applyStrategicMergePatch<T = unknown>(doc: T, patch: unknown, hints: PatchHints): T {
  if (patch === null || patch === undefined) return structuredClone(doc);
  if (!isObject(patch)) throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch === 'string' ? 'string' : typeof patch === 'boolean' ? 'bool' : 'number'} into Go value of type map[string]interface {}`);
  const base = isObject(doc) ? structuredClone(doc) : {};
  return mergeMap(base, structuredClone(patch), hints.schema) as T;
}
