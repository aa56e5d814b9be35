// What kube-apiserver's JSON decoding (sigs.k8s.io/json, a patched encoding/json) reports for a
// request body, reproduced from the schema model:
//  - strict errors: `unknown field "metadata.ownerReferences[0].foo"`, the full path with list indices.
//    Map values are never checked, keys match case-sensitively, duplicates collapse, and there are
//    at most 100 errors;
//  - type errors: Go's UnmarshalTypeError text, `json: cannot unmarshal <json type> into Go struct
//    field <innermost struct>.<dotted path without indices> of type <Go type>`, plus the base64 and
//    time errors of []byte and metav1.Time fields. Go keeps only the first ordinary error but stops
//    at once on an error from a custom decoder (metav1.Time), which then wins.
// The caller words them: `<Kind> in version "<v>" cannot be handled as a <Kind>: <error>` (400), and
// `strict decoding error: <e1>, <e2>` for unknown fields under fieldValidation=Strict.

import { goBase64Error, goTimeParseError } from './go-decode.js';
import { fieldGoType, goStructName, goTypeName, kindSchema, typeDef, valueGoType, type FieldSpec, type GVK, type TypeDef, type ValueType } from './model.js';

const MAX_STRICT_ERRORS = 100;

interface Ctx {
  /** Innermost Go struct entered (for "Go struct field <Struct>.<path>"). */
  struct: string;
  /** Struct field names from the root, dot-joined by Go (no indices, no map keys). */
  goPath: string[];
  /** Strict-error path: dotted fields with [i] list indices. */
  path: string;
}

class Fatal extends Error {}

/** Each struct's fields by JSON name, built once per type: every request body walks them. */
const fieldMaps = new WeakMap<TypeDef, Map<string, FieldSpec>>();
function fieldsOf(def: TypeDef): Map<string, FieldSpec> {
  let m = fieldMaps.get(def);
  if (!m) fieldMaps.set(def, (m = new Map((def.fields ?? []).map((f) => [f.name, f]))));
  return m;
}

class Walker {
  /** With drop, unknown fields are also removed, as decoding into Go structs discards them. */
  constructor(private readonly drop = false) {}
  readonly unknown: string[] = [];
  readonly typeErrors: string[] = [];
  private readonly seen = new Set<string>();

  unknownField(path: string): void {
    const msg = `unknown field ${JSON.stringify(path)}`;
    if (this.seen.has(msg) || this.unknown.length >= MAX_STRICT_ERRORS) return;
    this.seen.add(msg);
    this.unknown.push(msg);
  }

  typeError(jsonType: string, ctx: Ctx, goType: string): void {
    this.typeErrors.push(ctx.goPath.length
      ? `json: cannot unmarshal ${jsonType} into Go struct field ${ctx.struct}.${ctx.goPath.join('.')} of type ${goType}`
      : `json: cannot unmarshal ${jsonType} into Go value of type ${goType}`);
  }

  struct(v: unknown, def: TypeDef, ctx: Ctx): void {
    if (v === null) return;
    if (!isObject(v)) return this.typeError(jsonType(v), ctx, goTypeName(def.name));
    const fields = fieldsOf(def);
    const struct = goStructName(def.name);
    for (const [key, val] of Object.entries(v)) {
      const path = ctx.path ? `${ctx.path}.${key}` : key;
      const f = fields.get(key);
      if (!f) {
        this.unknownField(path);
        if (this.drop) delete (v as Record<string, unknown>)[key];
        continue;
      }
      this.field(val, f, { struct, goPath: [...ctx.goPath, key], path });
    }
  }

  field(v: unknown, f: FieldSpec, ctx: Ctx): void {
    if (v === null) return; // null leaves any Go value at its zero value, never an error
    switch (f.type) {
      case 'string': case 'boolean': case 'integer':
        return this.scalar(v, f.type, fieldGoType(f), ctx);
      case 'object':
        return;
      case 'ref':
        return this.ref(v, f.ref!, ctx);
      case 'map': case 'byte-map': {
        if (!isObject(v)) return this.typeError(jsonType(v), ctx, fieldGoType(f));
        for (const [key, x] of Object.entries(v)) {
          const sub = { ...ctx, path: `${ctx.path}.${key}` };
          if (f.type === 'byte-map') this.bytes(x, sub);
          else this.value(x, f.values ?? { type: 'string' }, sub);
        }
        return;
      }
      case 'array': {
        if (!Array.isArray(v)) return this.typeError(jsonType(v), ctx, fieldGoType(f));
        v.forEach((x, i) => this.value(x, f.items ?? { type: 'string' }, { ...ctx, path: `${ctx.path}[${i}]` }));
        return;
      }
    }
  }

  value(v: unknown, t: ValueType, ctx: Ctx): void {
    if (v === null) return;
    if (t.type === 'ref') return this.ref(v, t.ref, ctx);
    this.scalar(v, t.type, valueGoType(t), ctx);
  }

  ref(v: unknown, name: string, ctx: Ctx): void {
    const def = typeDef(name);
    if (!def || def.shape === 'raw') return;
    if (def.shape === 'time') return this.time(v, ctx);
    this.struct(v, def, ctx);
  }

  scalar(v: unknown, type: 'string' | 'boolean' | 'integer', goType: string, ctx: Ctx): void {
    if (type === 'string' && typeof v === 'string') return;
    if (type === 'boolean' && typeof v === 'boolean') return;
    if (type === 'integer' && typeof v === 'number') {
      if (!fitsInt(v, goType)) this.typeError(`number ${goNumber(v)}`, ctx, goType);
      return;
    }
    this.typeError(jsonType(v), ctx, goType);
  }

  /** A []byte: a base64 string, or (as Go allows) a JSON array of 0–255 numbers. */
  bytes(v: unknown, ctx: Ctx): void {
    if (v === null) return;
    if (typeof v === 'string') {
      const err = goBase64Error(v);
      if (err) this.typeErrors.push(err);
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null) this.scalar(x, 'integer', 'uint8', ctx);
      return;
    }
    this.typeError(jsonType(v), ctx, '[]uint8');
  }

  /** metav1.Time decodes itself: non-strings fail as a Go string would, strings must be RFC 3339. */
  time(v: unknown, ctx: Ctx): void {
    if (v === null) return;
    const before = this.typeErrors.length;
    if (typeof v !== 'string') this.typeError(jsonType(v), ctx, 'string');
    else {
      const err = goTimeParseError(v);
      if (err) this.typeErrors.push(err);
    }
    if (this.typeErrors.length > before) {
      // Errors from a custom decoder abort decoding and beat any error saved earlier.
      this.typeErrors.unshift(this.typeErrors.pop()!);
      throw new Fatal();
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How encoding/json names a JSON value in UnmarshalTypeError. */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'bool';
    default: return 'object';
  }
}

/** Inclusive bounds of the Go integer types used; int64's top (2^63 - 1) is not representable, so < 2^63. */
const INT_RANGE: Record<string, [number, number]> = {
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
};

function fitsInt(n: number, goType: string): boolean {
  const [lo, hi] = INT_RANGE[goType] ?? INT_RANGE['int64']!;
  return Number.isInteger(n) && n >= lo && (goType === 'int64' ? n < 2 ** 63 : n <= hi);
}

/** The number as it would appear in JSON. The source text is lost after JSON.parse, so this is best effort. */
function goNumber(n: number): string {
  return String(n).replace('e+', 'e');
}

function analyze(gvk: GVK, obj: unknown, drop = false): Walker {
  const w = new Walker(drop);
  const k = kindSchema(gvk);
  const def = k && typeDef(k.schema);
  if (!def) return w;
  try {
    w.struct(obj, def, { struct: goStructName(def.name), goPath: [], path: '' });
  } catch (e) {
    if (!(e instanceof Fatal)) throw e;
  }
  return w;
}

/**
 * Unknown fields in an object of the given kind, each as `unknown field "<path>"`, in document
 * order. apiVersion and kind are ordinary known fields. Kinds without a schema yield [].
 */
export function findUnknownFields(kind: GVK, obj: unknown): string[] {
  return analyze(kind, obj).unknown;
}

/**
 * Type errors as Go's decoder words them; the first entry is the one kube-apiserver reports
 * (`json: cannot unmarshal number into Go struct field Secret.type of type v1.SecretType`,
 * `illegal base64 data at input byte 3`, `parsing time "x" as "2006-01-02T15:04:05Z07:00": …`).
 * null is accepted everywhere. Kinds without a schema yield [].
 */
/**
 * Removes unknown fields from the object in place (what kube-apiserver's decoder does with them under
 * fieldValidation Warn or Ignore) and returns them in findUnknownFields' form.
 */
export function dropUnknownFields(kind: GVK, obj: unknown): string[] {
  return analyze(kind, obj, true).unknown;
}

export function findTypeErrors(kind: GVK, obj: unknown): string[] {
  return analyze(kind, obj).typeErrors;
}
