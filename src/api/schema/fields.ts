// Terse constructors for field specs, so per-kind files read like the Go structs they mirror.

import type { FieldSpec, TypeDef, ValueType } from './model.js';

type Extra = Partial<Omit<FieldSpec, 'name' | 'type' | 'description'>>;

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const OBJECT_META = `${META}.ObjectMeta`;
export const LIST_META = `${META}.ListMeta`;
export const TIME = `${META}.Time`;

export const str = (name: string, description: string, extra?: Extra): FieldSpec => ({ name, type: 'string', description, ...extra });
export const int = (name: string, format: 'int32' | 'int64', description: string, extra?: Extra): FieldSpec => ({ name, type: 'integer', format, description, ...extra });
export const bool = (name: string, description: string, extra?: Extra): FieldSpec => ({ name, type: 'boolean', description, ...extra });
export const ref = (name: string, schema: string, description: string, extra?: Extra): FieldSpec => ({ name, type: 'ref', ref: schema, description, ...extra });
export const stringMap = (name: string, description: string, extra?: Extra): FieldSpec => ({ name, type: 'map', values: { type: 'string' }, description, ...extra });
export const list = (name: string, items: ValueType, description: string, extra?: Extra): FieldSpec => ({ name, type: 'array', items, description, ...extra });
export const refItems = (schema: string): ValueType => ({ type: 'ref', ref: schema });

// TypeMeta, inlined into every top-level kind.
export const apiVersionField = str('apiVersion', 'Schema version of this object, such as "v1" or "rbac.authorization.k8s.io/v1". The server converts versions it knows and rejects others.');
export const kindField = str('kind', 'REST kind of this object, in CamelCase. The server can infer it from the request path. It cannot be changed.');

export const objectMetaField = ref('metadata', OBJECT_META, "The object's standard metadata: name, namespace, labels, annotations and bookkeeping fields that the server maintains.", { default: {} });
export const listMetaField = ref('metadata', LIST_META, 'Standard list metadata: resourceVersion and the continue token for pagination.', { default: {} });

/** The <Kind>List type every listable kind has: TypeMeta, ListMeta, items. */
export function listType(pkg: string, kind: string, group: string, version: string, itemsDescription: string): TypeDef {
  return {
    name: `${pkg}.${kind}List`,
    description: `A list of ${kind} objects.`,
    fields: [
      apiVersionField,
      list('items', refItems(`${pkg}.${kind}`), itemsDescription, { required: true }),
      kindField,
      listMetaField,
    ],
    gvk: [{ group, version, kind: `${kind}List` }],
  };
}
