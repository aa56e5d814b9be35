// JSON nulls turned into what decoding into kube's Go types leaves in their place, in place on a
// decoded body: a null struct field is the field's zero value (absent here), a null list element
// is the element type's zero value ({} for a struct, "" for a string, 0, false), and a null value
// in a map of strings is "". Validation then sees the shapes it was written for, as kube's does:
// `finalizers: ["a/b", null]` is the finalizer "" (422), not a crash (500).

import { kindSchema, typeDef, type FieldSpec, type GVK, type TypeDef, type ValueType } from './model.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The zero value of an element type, or undefined where null is kept (times, raw objects). */
function zero(t: ValueType): unknown {
  switch (t.type) {
    case 'string': return '';
    case 'integer': return 0;
    case 'boolean': return false;
    case 'ref': {
      const def = typeDef(t.ref);
      return def && (def.shape ?? 'struct') === 'struct' ? {} : undefined;
    }
  }
}

function value(v: unknown, t: ValueType): void {
  if (t.type !== 'ref') return;
  const def = typeDef(t.ref);
  if (def && (def.shape ?? 'struct') === 'struct') struct(v, def);
}

function elements(list: unknown[], t: ValueType): void {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === null) {
      const z = zero(t);
      if (z !== undefined) list[i] = z;
    }
    value(list[i], t);
  }
}

function field(o: Obj, f: FieldSpec): void {
  const v = o[f.name];
  if (v === null) {
    delete o[f.name];
    return;
  }
  switch (f.type) {
    case 'ref': return value(v, { type: 'ref', ref: f.ref! });
    case 'array': if (Array.isArray(v)) elements(v, f.items ?? { type: 'string' }); return;
    case 'map': {
      if (!isObj(v)) return;
      const t = f.values ?? { type: 'string' };
      for (const k of Object.keys(v)) {
        if (v[k] === null) {
          const z = zero(t);
          if (z !== undefined) v[k] = z;
        }
        value(v[k], t);
      }
      return;
    }
    default: return; // scalars, byte maps (a null []byte stays null) and free-form objects
  }
}

function struct(v: unknown, def: TypeDef): void {
  if (!isObj(v)) return;
  for (const f of def.fields ?? []) if (Object.prototype.hasOwnProperty.call(v, f.name)) field(v, f);
}

/** Replaces nulls in a decoded object of a known kind by Go's zero values; unknown kinds are left alone. */
export function zeroNulls(gvk: GVK, obj: unknown): void {
  const k = kindSchema(gvk);
  const def = k && typeDef(k.schema);
  if (def) struct(obj, def);
}
