// Schema-aware walks over plain JSON objects, following structured-merge-diff's typed package:
// ToFieldSet (tofieldset.go), Compare (compare.go), Merge (merge.go), RemoveItems (remove.go) and
// Set.EnsureNamedFieldsAreMembers. Server-side apply and managedFields are built from these.

import { isDeepStrictEqual } from 'node:util';
import { errors } from '../errors.js';
import type { JsonValue } from '../types.js';
import { FieldSet, compareStrings, field, pathString, type Path, type PathElement } from './fieldpath.js';
import { childHint, elemHint, getOwn, isDeclared, isObject, resolve, setOwn, type TypeHint } from './schema.js';

/** The path element of a list item; keyed lists use their key fields, sets the value. */
export function itemPE(h: TypeHint, item: unknown, index: number, path: Path): PathElement {
  const r = resolve(h, []);
  if (r.rel === 'map') {
    if (!isObject(item)) {
      throw errors.internal(`${pathString(path)}: element ${index}: associative list with keys has an element that is not a map type`);
    }
    const fields = [...r.keys].sort(compareStrings).map((k) => {
      if (!(k in item)) {
        throw errors.internal(`${pathString(path)}: element ${index}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
      }
      return [k, item[k] as JsonValue] as const;
    });
    return { kind: 'key', fields };
  }
  if (r.rel === 'set') return { kind: 'value', value: item as JsonValue };
  return { kind: 'index', index };
}

/** Every leaf field and list item the value sets (the applier's ownership of an applied config). */
export function toFieldSet(v: unknown, h: TypeHint): FieldSet {
  const set = new FieldSet();
  const walk = (path: Path, val: unknown, hint: TypeHint): void => {
    const r = resolve(hint, val);
    if (r.shape === 'scalar') { set.insert(path); return; }
    if (r.atomic) { set.insert(path); return; }
    if (r.shape === 'map') {
      if (!isObject(val)) return;
      for (const [k, x] of Object.entries(val)) {
        const p = [...path, field(k)];
        walk(p, x, childHint(hint, k));
        // Map entries (as opposed to declared struct fields) are owned as themselves too.
        if (!isDeclared(hint, k)) set.insert(p);
      }
      return;
    }
    if (!Array.isArray(val)) return;
    val.forEach((item, i) => {
      const p = [...path, itemPE(hint, item, i, path)];
      walk(p, item, elemHint(hint));
      set.insert(p);
    });
  };
  walk([], v, h);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`. Non-leaf nodes (maps, granular lists, items) that appear or
 * disappear are reported as well: that is where FieldsV1's `".": {}` entries come from.
 */
export function compare(lhs: unknown, rhs: unknown, h: TypeHint): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (path: Path, l: unknown, r: unknown, hint: TypeHint): void => {
    let leaf = false;
    const doLeaf = (): void => {
      leaf = true;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!isDeepStrictEqual(l, r)) c.modified.insert(path);
    };
    const rl = l === undefined ? undefined : resolve(hint, l);
    const rr = r === undefined ? undefined : resolve(hint, r);
    const res = (rl ?? rr)!;
    if (rl && rr && rl.shape !== rr.shape) doLeaf();
    else if (res.shape === 'scalar') doLeaf();
    else if (res.shape === 'map') {
      const lm = isObject(l) ? l : undefined, rm = isObject(r) ? r : undefined;
      const empty = (!lm || !Object.keys(lm).length) && (!rm || !Object.keys(rm).length);
      if (res.atomic || empty) doLeaf();
      else {
        const keys = new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})]);
        for (const k of keys) walk([...path, field(k)], getOwn(lm, k), getOwn(rm, k), childHint(hint, k));
      }
    } else {
      const ll = Array.isArray(l) ? l : undefined, rl2 = Array.isArray(r) ? r : undefined;
      if (res.atomic || (!ll?.length && !rl2?.length)) doLeaf();
      else {
        const lItems = indexItems(hint, ll ?? [], path), rItems = indexItems(hint, rl2 ?? [], path);
        for (const [k, it] of rItems) walk([...path, it.pe], lItems.get(k)?.value, it.value, elemHint(hint));
        for (const [k, it] of lItems) if (!rItems.has(k)) walk([...path, it.pe], it.value, undefined, elemHint(hint));
      }
    }
    if (!leaf) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    }
  };
  walk([], lhs, rhs, h);
  return c;
}

interface Item { pe: PathElement; value: unknown }

/** Items by identity; a repeated identity keeps its first occurrence (SMD ignores duplicates). */
function indexItems(h: TypeHint, list: unknown[], path: Path): Map<string, Item> {
  const out = new Map<string, Item>();
  list.forEach((v, i) => {
    const pe = itemPE(h, v, i, path);
    const k = JSON.stringify(pe);
    if (!out.has(k)) out.set(k, { pe, value: v });
  });
  return out;
}

/**
 * Merge an applied configuration into the live object: configured leaves win, maps and granular
 * lists merge item by item, atomic values are replaced. List order follows SMD: live items keep
 * their place, shared items follow the config's order, new items are inserted where they appear.
 */
export function merge(lhs: unknown, rhs: unknown, h: TypeHint): unknown {
  const walk = (l: unknown, r: unknown, hint: TypeHint, path: Path): unknown => {
    const keep = (): unknown => structuredClone(r !== undefined ? r : l);
    const rl = l === undefined ? undefined : resolve(hint, l);
    const rr = r === undefined ? undefined : resolve(hint, r);
    const res = (rl ?? rr)!;
    if ((rl && rr && rl.shape !== rr.shape) || res.shape === 'scalar') return keep();
    if (res.shape === 'map') {
      const lm = isObject(l) ? l : undefined, rm = isObject(r) ? r : undefined;
      const empty = (!lm || !Object.keys(lm).length) && (!rm || !Object.keys(rm).length);
      if (res.atomic || empty) return keep();
      const out: Record<string, unknown> = {};
      const keys = new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})]);
      for (const k of keys) {
        const v = walk(getOwn(lm, k), getOwn(rm, k), childHint(hint, k), [...path, field(k)]);
        if (v !== undefined) setOwn(out, k, v);
      }
      return Object.keys(out).length ? out : undefined;
    }
    const ll = Array.isArray(l) ? l : [], rl2 = Array.isArray(r) ? r : [];
    if (res.atomic || (!ll.length && !rl2.length)) return keep();
    return mergeList(ll, rl2, hint, path, (a, b, pe) => walk(a, b, elemHint(hint), [...path, pe]));
  };
  return walk(lhs, rhs, h, []);
}

function mergeList(lhs: unknown[], rhs: unknown[], h: TypeHint, path: Path,
  item: (l: unknown, r: unknown, pe: PathElement) => unknown): unknown[] | undefined {
  const lIdx = indexItems(h, lhs, path), rIdx = indexItems(h, rhs, path);
  const lOrder = [...lIdx.keys()], rOrder = [...rIdx.keys()];
  const shared = rOrder.filter((k) => lIdx.has(k));
  let next: string | undefined = shared.shift();
  const out: unknown[] = [];
  const push = (v: unknown): void => { if (v !== undefined) out.push(v); };
  for (let li = 0, ri = 0; li < lOrder.length || ri < rOrder.length;) {
    const before = li + ri;
    if (li < lOrder.length && ri < rOrder.length) {
      const k = lOrder[li]!;
      if (k === rOrder[ri]) {
        push(item(lIdx.get(k)!.value, rIdx.get(k)!.value, lIdx.get(k)!.pe));
        li++; ri++; next = shared.shift();
        continue;
      }
      // A shared item that the config wants later: skip it here, it is emitted with the config.
      if (rIdx.has(k) && next !== undefined && next !== k) { li++; continue; }
    }
    if (li < lOrder.length && !rIdx.has(lOrder[li]!)) {
      const it = lIdx.get(lOrder[li]!)!;
      push(item(it.value, undefined, it.pe));
      li++;
      continue;
    }
    if (ri < rOrder.length) {
      const k = rOrder[ri]!;
      push(item(lIdx.get(k)?.value, rIdx.get(k)!.value, rIdx.get(k)!.pe));
      ri++;
      if (next === k) next = shared.shift();
    }
    // Cannot happen with SMD's ordering rules; guards against looping on a malformed list.
    if (li + ri === before) li++;
  }
  return out.length ? out : undefined;
}

const GONE = Symbol('gone');

/**
 * Remove the listed fields and items. A map or list emptied by the removal disappears (SMD leaves
 * a null there, which decodes to an omitted field for every kind served here).
 */
export function removeItems(v: unknown, toRemove: FieldSet, h: TypeHint): unknown {
  const walk = (val: unknown, set: FieldSet, hint: TypeHint, path: Path): unknown => {
    const r = resolve(hint, val);
    if (r.shape === 'scalar' || r.atomic) return val;
    if (r.shape === 'map') {
      if (!isObject(val) || !Object.keys(val).length) return val;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(val)) {
        const pe = field(k);
        if (set.has([pe])) continue;
        const sub = set.withPrefix(pe);
        const y = sub.isEmpty() ? x : walk(x, sub, childHint(hint, k), [...path, pe]);
        if (y !== GONE) setOwn(out, k, y);
      }
      return Object.keys(out).length ? out : GONE;
    }
    if (!Array.isArray(val) || !val.length) return val;
    const out: unknown[] = [];
    val.forEach((x, i) => {
      const pe = itemPE(hint, x, i, path);
      if (set.has([pe])) return;
      const sub = set.withPrefix(pe);
      const y = sub.isEmpty() ? x : walk(x, sub, elemHint(hint), [...path, pe]);
      if (y !== GONE) out.push(y);
    });
    return out.length ? out : GONE;
  };
  const res = walk(v, toRemove, h, []);
  return res === GONE ? {} : res;
}

/** Adds declared struct fields that have owned descendants as members (SMD EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(s: FieldSet, h: TypeHint): FieldSet {
  const out = new FieldSet();
  for (const [k, pe] of s.members) out.members.set(k, pe);
  for (const [k, c] of s.children) {
    if (c.pe.kind === 'field' && isDeclared(h, c.pe.name)) out.members.set(k, c.pe);
    const sub = ensureNamedFieldsAreMembers(c.set, c.pe.kind === 'field' ? childHint(h, c.pe.name) : elemHint(h));
    out.children.set(k, { pe: c.pe, set: sub });
  }
  return out;
}
