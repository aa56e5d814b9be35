// The little bit of schema that patching needs, per kind. Strategic merge patch reads the Go struct
// tags (patchStrategy/patchMergeKey); server-side apply reads the OpenAPI list/map/struct types
// (x-kubernetes-list-type etc., derived by kube from +listType/+structType markers, falling back to
// the patch tags). For the kinds this server serves both views agree, so one tree describes both.
//
// Sources (k8s.io/api): ObjectMeta ownerReferences `patchStrategy:"merge" patchMergeKey:"uid"`
// (+listType=map, OwnerReference +structType=atomic); finalizers `patchStrategy:"merge"`
// (+listType=set); managedFields +listType=atomic. Secret has only maps and scalars.
// NamespaceSpec.finalizers +listType=atomic (no patch strategy); NamespaceStatus.conditions merge by
// "type". ServiceAccount.secrets `patchStrategy:"merge" patchMergeKey:"name"` (ObjectReference
// +structType=atomic); imagePullSecrets has no strategy (atomic). rbac/v1: rules, subjects,
// clusterRoleSelectors are atomic lists; RoleRef is +structType=atomic.

/** Schema of one value. `{}` means "not described": objects are free-key maps, lists atomic. */
export interface TypeHint {
  /** Declared fields: the value is a struct. Keys not listed are treated like map entries. */
  readonly fields?: Readonly<Record<string, TypeHint>>;
  /** Replaced as a whole by apply (+structType=atomic / +mapType=atomic / +listType=atomic). */
  readonly atomic?: boolean;
  /** 'map': items merged by `keys` (SMP patchMergeKey = keys[0]); 'set': scalars merged as a set. */
  readonly list?: 'atomic' | 'set' | 'map';
  readonly keys?: readonly string[];
  /** Element type of a list (or of a map's values). */
  readonly elem?: TypeHint;
}

export interface PatchHints {
  /** Kind and group the hints describe (informational; lookups use hintsFor). */
  readonly kind: string;
  readonly group: string;
  readonly schema: TypeHint;
  /** Top-level fields writers of the main resource never own (the strategy's GetResetFields). */
  readonly resetFields?: readonly string[];
}

const S = (fields: Record<string, TypeHint>, extra: Partial<TypeHint> = {}): TypeHint => ({ fields, ...extra });
const leaf: TypeHint = {};
const atomicList: TypeHint = { list: 'atomic' };

const objectMeta = S({
  name: leaf, generateName: leaf, namespace: leaf, selfLink: leaf, uid: leaf, resourceVersion: leaf,
  generation: leaf, creationTimestamp: leaf, deletionTimestamp: leaf, deletionGracePeriodSeconds: leaf,
  labels: leaf, annotations: leaf,
  ownerReferences: { list: 'map', keys: ['uid'], elem: { atomic: true } },
  finalizers: { list: 'set' },
  managedFields: atomicList,
});

const typeMeta = { apiVersion: leaf, kind: leaf, metadata: objectMeta };

export const secretPatchHints: PatchHints = {
  kind: 'Secret', group: '',
  schema: S({ ...typeMeta, data: leaf, stringData: leaf, type: leaf, immutable: leaf }),
};

export const namespacePatchHints: PatchHints = {
  kind: 'Namespace', group: '',
  schema: S({
    ...typeMeta,
    spec: S({ finalizers: atomicList }),
    status: S({
      phase: leaf,
      conditions: {
        list: 'map', keys: ['type'],
        elem: S({ type: leaf, status: leaf, lastTransitionTime: leaf, reason: leaf, message: leaf }),
      },
    }),
  }),
  // namespaceStrategy.GetResetFields: the main resource does not own status.
  resetFields: ['status'],
};

export const serviceAccountPatchHints: PatchHints = {
  kind: 'ServiceAccount', group: '',
  schema: S({
    ...typeMeta,
    secrets: { list: 'map', keys: ['name'], elem: { atomic: true } },
    imagePullSecrets: atomicList,
    automountServiceAccountToken: leaf,
  }),
};

const RBAC = 'rbac.authorization.k8s.io';
const roleSchema = S({ ...typeMeta, rules: atomicList });
const clusterRoleSchema = S({ ...typeMeta, rules: atomicList, aggregationRule: S({ clusterRoleSelectors: atomicList }) });
const bindingSchema = S({ ...typeMeta, subjects: atomicList, roleRef: S({ apiGroup: leaf, kind: leaf, name: leaf }, { atomic: true }) });

/** Role, ClusterRole, RoleBinding, ClusterRoleBinding by kind. */
export const rbacPatchHints: Readonly<Record<string, PatchHints>> = {
  Role: { kind: 'Role', group: RBAC, schema: roleSchema },
  ClusterRole: { kind: 'ClusterRole', group: RBAC, schema: clusterRoleSchema },
  RoleBinding: { kind: 'RoleBinding', group: RBAC, schema: bindingSchema },
  ClusterRoleBinding: { kind: 'ClusterRoleBinding', group: RBAC, schema: bindingSchema },
};

/** Any other kind: ObjectMeta is known, everything else is described by its value. */
export const genericPatchHints: PatchHints = { kind: '', group: '', schema: S({ ...typeMeta }) };

/** Hints for an object by its apiVersion/kind (the field manager is called without hints). */
export function hintsFor(apiVersion: unknown, kind: unknown): PatchHints {
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (group === RBAC && typeof kind === 'string' && rbacPatchHints[kind]) return rbacPatchHints[kind]!;
  if (group === '') {
    if (kind === 'Secret') return secretPatchHints;
    if (kind === 'Namespace') return namespacePatchHints;
    if (kind === 'ServiceAccount') return serviceAccountPatchHints;
  }
  return genericPatchHints;
}

// ---- resolution used by the walkers -------------------------------------------------------------

export type Shape = 'scalar' | 'map' | 'list';

export interface Resolved {
  shape: Shape;
  atomic: boolean;
  /** list relationship for lists */
  rel: 'atomic' | 'set' | 'map';
  keys: readonly string[];
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A key's own value. `o[k]` would answer Object.prototype for "__proto__", which JSON (and Go)
 * treat as an ordinary key, e.g. a valid Secret data key.
 */
export const getOwn = (o: Record<string, unknown> | undefined, k: string): unknown =>
  o !== undefined && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;

/** Sets an own key; plain assignment to "__proto__" would replace the object's prototype instead. */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/**
 * The type a value takes at a schema node. Undescribed values are "deduced" as SMD does for
 * unknown schemas: objects are granular maps, arrays atomic lists, the rest scalars. A value whose
 * shape contradicts its schema is handled as a scalar leaf (validation rejects it elsewhere).
 */
export function resolve(h: TypeHint, v: unknown): Resolved {
  const none = { rel: 'atomic' as const, keys: [] as readonly string[] };
  const declared: Shape | undefined = h.fields ? 'map' : h.list ? 'list' : undefined;
  const actual: Shape | undefined = v === undefined || v === null ? undefined : Array.isArray(v) ? 'list' : isObject(v) ? 'map' : 'scalar';
  if (declared && actual && declared !== actual) return { shape: 'scalar', atomic: true, ...none };
  const shape = declared ?? actual ?? 'scalar';
  if (shape === 'list') {
    const rel = h.list ?? 'atomic';
    return { shape, atomic: rel === 'atomic' || !!h.atomic, rel, keys: h.keys ?? [] };
  }
  return { shape, atomic: !!h.atomic, ...none };
}

/** Schema of a map entry or struct field. */
export function childHint(h: TypeHint, key: string): TypeHint {
  return (h.fields && Object.prototype.hasOwnProperty.call(h.fields, key) ? h.fields[key] : h.elem) ?? leaf;
}

/** Whether `key` is a declared struct field (SMD "named field"). */
export function isDeclared(h: TypeHint, key: string): boolean {
  return !!h.fields && Object.prototype.hasOwnProperty.call(h.fields, key);
}

export function elemHint(h: TypeHint): TypeHint {
  return h.elem ?? leaf;
}
