// Field paths and field sets as structured-merge-diff (sigs.k8s.io/structured-merge-diff fieldpath)
// models them: the unit of ownership in managedFields. A set is a trie whose nodes are either
// "members" (the path itself is owned) or "children" (something below it is owned); a path can be
// both, which FieldsV1 writes as `".": {}`. Ordering and encodings follow SMD so the JSON we emit
// is byte-for-byte what kube-apiserver emits for the same ownership.

import type { JsonValue } from '../types.js';

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  /** Item of an associative list, by its key fields (sorted by name). */
  | { readonly kind: 'key'; readonly fields: ReadonlyArray<readonly [string, JsonValue]> }
  /** Item of a set-list (listType=set), by value. */
  | { readonly kind: 'value'; readonly value: JsonValue }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export const field = (name: string): PathElement => ({ kind: 'field', name });

/** JSON the way Go's encoding/json writes it: sorted map keys, HTML-sensitive characters escaped. */
export function goJson(v: unknown): string {
  const canon = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canon);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort(compareStrings)) {
        // defineProperty: assigning "__proto__" would set the prototype, not the (ordinary) key.
        Object.defineProperty(out, k, { value: canon((x as Record<string, unknown>)[k]), writable: true, enumerable: true, configurable: true });
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(canon(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's strconv.Quote (%q) for the strings that show up in field paths. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([01][0-9a-f])/g, (_m, h: string) => {
    const c = parseInt(h, 16);
    return c === 0x07 ? '\\a' : c === 0x0b ? '\\v' : `\\x${h}`;
  }).replace(/\u007f/g, '\\x7f');
}

/** Byte order of the UTF-8 encodings, as Go's strings.Compare. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** SMD value.Compare: numbers < strings < bools < lists < maps < null. */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const rank = (v: JsonValue): number =>
    typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v === null ? 5 : 4;
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return Math.sign(a - (b as number));
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return compareStrings(goJson(a), goJson(b));
}

const KIND_ORDER = { field: 0, key: 1, value: 2, index: 3 } as const;

/** SMD PathElement.Compare; sets iterate and serialize in this order. */
export function comparePE(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  switch (a.kind) {
    case 'field': return compareStrings(a.name, (b as typeof a).name);
    case 'index': return a.index - (b as typeof a).index;
    case 'value': return compareValues(a.value, (b as typeof a).value);
    case 'key': {
      const bf = (b as typeof a).fields;
      for (let i = 0; ; i++) {
        if (i >= a.fields.length || i >= bf.length) return a.fields.length - bf.length;
        const c = compareStrings(a.fields[i]![0], bf[i]![0]) || compareValues(a.fields[i]![1], bf[i]![1]);
        if (c) return c;
      }
    }
  }
}

/** The FieldsV1 key of an element (`f:name`, `k:{"uid":"…"}`, `v:"x"`, `i:0`); also its identity. */
export function peKey(pe: PathElement): string {
  switch (pe.kind) {
    case 'field': return `f:${pe.name}`;
    case 'key': return `k:${goJson(Object.fromEntries(pe.fields))}`;
    case 'value': return `v:${goJson(pe.value)}`;
    case 'index': return `i:${pe.index}`;
  }
}

function parsePEKey(k: string): PathElement {
  const body = k.slice(2);
  switch (k.slice(0, 2)) {
    case 'f:': return field(body);
    case 'v:': return { kind: 'value', value: JSON.parse(body) as JsonValue };
    case 'i:': return { kind: 'index', index: Number(body) };
    case 'k:': {
      const obj = JSON.parse(body) as Record<string, JsonValue>;
      return { kind: 'key', fields: Object.keys(obj).sort(compareStrings).map((n) => [n, obj[n]!] as const) };
    }
  }
  throw new Error(`unknown path element prefix in ${JSON.stringify(k)}`);
}

/** Human form used in conflict messages: `.data.password`, `[uid="…"]`, `[="x"]`, `[0]`. */
export function pathString(p: Path): string {
  return p.map((pe) => {
    switch (pe.kind) {
      case 'field': return `.${pe.name}`;
      case 'key': return `[${pe.fields.map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
      case 'value': return `[=${valueString(pe.value)}]`;
      case 'index': return `[${pe.index}]`;
    }
  }).join('');
}

/** SMD value.ToString. */
function valueString(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${valueString(x)}`).join('');
  return String(v);
}

interface Child { pe: PathElement; set: FieldSet }

export class FieldSet {
  readonly members = new Map<string, PathElement>();
  readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(p: Path): void {
    if (p.length === 0) return;
    const [head, ...rest] = p;
    const k = peKey(head!);
    if (rest.length === 0) { this.members.set(k, head!); return; }
    let c = this.children.get(k);
    if (!c) { c = { pe: head!, set: new FieldSet() }; this.children.set(k, c); }
    c.set.insert(rest);
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    const k = peKey(p[0]!);
    if (p.length === 1) return this.members.has(k);
    const c = this.children.get(k);
    return c ? c.set.has(p.slice(1)) : false;
  }

  isEmpty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** The subset below one element (SMD WithPrefix). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(peKey(pe))?.set ?? new FieldSet();
  }

  private combine(o: FieldSet, keepMember: (inThis: boolean, inO: boolean) => boolean,
    child: (a: FieldSet | undefined, b: FieldSet | undefined) => FieldSet | undefined): FieldSet {
    // Runs several times for every write (managedFields): no intermediate arrays or sets.
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (keepMember(true, o.members.has(k))) out.members.set(k, pe);
    for (const [k, pe] of o.members) if (!this.members.has(k) && keepMember(false, true)) out.members.set(k, pe);
    const put = (k: string, pe: PathElement, s: FieldSet | undefined) => {
      if (s && !s.isEmpty()) out.children.set(k, { pe, set: s });
    };
    for (const [k, a] of this.children) put(k, a.pe, child(a.set, o.children.get(k)?.set));
    for (const [k, b] of o.children) if (!this.children.has(k)) put(k, b.pe, child(undefined, b.set));
    return out;
  }

  union(o: FieldSet): FieldSet {
    return this.combine(o, (a, b) => a || b, (a, b) => (a && b ? a.union(b) : (a ?? b)!.clone()));
  }

  intersection(o: FieldSet): FieldSet {
    return this.combine(o, (a, b) => a && b, (a, b) => (a && b ? a.intersection(b) : undefined));
  }

  /** Exact difference: removing a member does not remove what lies below it. */
  difference(o: FieldSet): FieldSet {
    return this.combine(o, (a, b) => a && !b, (a, b) => (a ? (b ? a.difference(b) : a.clone()) : undefined));
  }

  /** Also drops everything below a member of `o` (SMD RecursiveDifference). */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (o.members.has(k)) continue;
      const oc = o.children.get(k);
      const s = oc ? c.set.recursiveDifference(oc.set) : c.set.clone();
      if (!s.isEmpty()) out.children.set(k, { pe: c.pe, set: s });
    }
    return out;
  }

  /** A deep copy without empty subtrees (as union with an empty set gives). */
  clone(): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const s = c.set.clone();
      if (!s.isEmpty()) out.children.set(k, { pe: c.pe, set: s });
    }
    return out;
  }

  /** Every path, in SMD Iterate order: this level's members (sorted), then each child's paths. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const pe of [...this.members.values()].sort(comparePE)) out.push([...prefix, pe]);
    for (const c of [...this.children.values()].sort((a, b) => comparePE(a.pe, b.pe))) {
      out.push(...c.set.paths([...prefix, c.pe]));
    }
    return out;
  }

  /** FieldsV1 JSON; `".": {}` marks a node that is owned itself as well as things below it. */
  toFieldsV1(ownMember = false): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    if (ownMember) out['.'] = {};
    const keys = new Map<string, PathElement>();
    for (const [k, pe] of this.members) keys.set(k, pe);
    for (const [k, c] of this.children) if (!c.set.isEmpty()) keys.set(k, c.pe);
    for (const [k] of [...keys].sort((a, b) => comparePE(a[1], b[1]))) {
      const c = this.children.get(k);
      out[k] = c && !c.set.isEmpty() ? c.set.toFieldsV1(this.members.has(k)) : {};
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!v || typeof v !== 'object' || Array.isArray(v)) return s;
    for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
      if (k === '.') continue;
      const pe = parsePEKey(k);
      const child = FieldSet.fromFieldsV1(sub);
      const isObj = sub && typeof sub === 'object';
      const keys = isObj ? Object.keys(sub as object) : [];
      if (keys.length === 0 || keys.includes('.')) s.members.set(k, pe);
      if (!child.isEmpty()) s.children.set(k, { pe, set: child });
    }
    return s;
  }
}
