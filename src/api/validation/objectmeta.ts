// ObjectMeta validation following apimachinery pkg/api/validation/objectmeta.go (1.32) plus the core
// group's extra finalizer-name rule (pkg/apis/core/validation ValidateObjectMeta). Field paths, value
// rendering and wording match upstream so 422 causes read the same as a kube-apiserver's.

import { FieldPath, type FieldError, forbidden, invalid, required, tooLong } from '../field-errors.js';
import type { ManagedFieldsEntry, ObjectMeta, OwnerReference } from '../types.js';
import { GO_REPR, goOwnerRefSlice, goOwnerRefString, goStringSlice, goTime, goTimePtr, goValue } from './go-value.js';
import {
  byteLen,
  isQualifiedName,
  isValidLabelValue,
  type NameFn,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validatePathSegmentName,
} from './names.js';

export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;
export const FIELD_MANAGER_MAX_LENGTH = 128;
export const MAX_SUBRESOURCE_NAME_LENGTH = 256;
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';
export const FINALIZER_KUBERNETES = 'kubernetes';
const STANDARD_FINALIZERS = new Set([FINALIZER_KUBERNETES, FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS]);

export type NameKind = 'subdomain' | 'label' | 'path-segment';

export interface ObjectMetaCreateOptions {
  namespaced: boolean;
  nameFn: NameKind;
  /** Apply the core group's "standard or fully qualified" finalizer rule (default true: Secrets and Namespaces are core). */
  coreFinalizers?: boolean;
}

export interface ObjectMetaUpdateOptions {
  coreFinalizers?: boolean;
}

const NAME_FNS: Record<NameKind, NameFn> = {
  subdomain: nameIsDNSSubdomain,
  label: nameIsDNSLabel,
  'path-segment': validatePathSegmentName,
};

const metaPath = FieldPath.root('metadata');

/** Keys in sorted order so the error list is deterministic (Go's map order is random anyway). */
const sortedEntries = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function validateLabels(labels: Record<string, string> | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of sortedEntries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(p, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(p, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of sortedEntries(annotations)) {
    // Annotation keys are qualified names where case does not matter.
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(p, k, msg));
    total += byteLen(k) + byteLen(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(p, '', TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

/** schema.FromAPIVersionAndKind: a malformed apiVersion yields an empty group/version. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes === 0) return { group: '', version: apiVersion };
  if (slashes === 1) {
    const i = apiVersion.indexOf('/');
    return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
  }
  return { group: '', version: '' };
}

// Upstream passes the list path (not an indexed one) for every reference, so errors read
// `metadata.ownerReferences.uid`, not `metadata.ownerReferences[0].uid`.
export function validateOwnerReferences(refs: OwnerReference[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const kind = ref.kind ?? '';
    const gv = parseGroupVersion(apiVersion);
    if (gv.version === '') errs.push(invalid(p.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(invalid(p.child('kind'), kind, 'must not be empty'));
    if (!ref.name) errs.push(invalid(p.child('name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(p.child('uid'), ref.uid ?? '', 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(invalid(p, goValue(goOwnerRefString(ref), ref), `/v1, Kind=Event is disallowed from being an owner`));
    }
    if (ref.controller === true) {
      const cur = `${kind}/${ref.name ?? ''}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            p,
            goOwnerRefSlice(refs ?? []),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

/** apimachinery ValidateFinalizers: qualified names, and orphan/foregroundDeletion are exclusive. */
export function validateFinalizers(finalizers: string[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) errs.push(...validateFinalizerName(f, p));
  if (list.includes(FINALIZER_ORPHAN_DEPENDENTS) && list.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errs.push(
      invalid(p, goStringSlice(list), `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`),
    );
  }
  return errs;
}

export function validateFinalizerName(name: string, p: FieldPath): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(p, name, msg));
}

/** Core-group rule: a finalizer without a domain prefix must be one of the built-in names. */
export function validateKubeFinalizerName(name: string, p: FieldPath): FieldError[] {
  if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name)) {
    return [invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

function coreFinalizerErrors(finalizers: string[] | undefined): FieldError[] {
  const p = metaPath.child('finalizers');
  return (finalizers ?? []).flatMap((f, i) => validateKubeFinalizerName(f, p.index(i)));
}

// unicode.IsPrint: graphic characters plus the ASCII space only.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function validateFieldManager(manager: string, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (byteLen(manager) > FIELD_MANAGER_MAX_LENGTH) errs.push(tooLong(p, manager, FIELD_MANAGER_MAX_LENGTH));
  let pos = 0; // Go reports the byte offset of the rune
  for (const ch of manager) {
    if (!printable.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(p, manager, `invalid character U+${code} (at position ${pos})`));
    }
    pos += byteLen(ch);
  }
  return errs;
}

export function validateManagedFields(entries: ManagedFieldsEntry[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const ep = p.index(i);
    const op = (e.operation ?? '') as string;
    if (op !== 'Apply' && op !== 'Update') errs.push(invalid(ep.child('operation'), op, 'must be `Apply` or `Update`'));
    const ft = (e.fieldsType ?? '') as string;
    if (ft !== '' && ft !== 'FieldsV1') errs.push(invalid(ep.child('fieldsType'), ft, 'must be `FieldsV1`'));
    errs.push(...validateFieldManager(e.manager ?? '', ep.child('manager')));
    const sub = e.subresource ?? '';
    if (byteLen(sub) > MAX_SUBRESOURCE_NAME_LENGTH) errs.push(tooLong(ep.child('subresource'), sub, MAX_SUBRESOURCE_NAME_LENGTH));
  });
  return errs;
}

function validateNonNegative(value: number, p: FieldPath): FieldError[] {
  return value < 0 ? [invalid(p, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/** Create-time rules. Expects name generation to have happened already (name and generateName both set). */
export function validateObjectMetaCreate(meta: ObjectMeta | undefined, opts: ObjectMetaCreateOptions): FieldError[] {
  const m = meta ?? {};
  const nameFn = NAME_FNS[opts.nameFn];
  const errs: FieldError[] = [];

  const generateName = m.generateName ?? '';
  if (generateName !== '') {
    for (const msg of nameFn(generateName, true)) errs.push(invalid(metaPath.child('generateName'), generateName, msg));
  }
  const name = m.name ?? '';
  if (name === '') {
    errs.push(required(metaPath.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of nameFn(name, false)) errs.push(invalid(metaPath.child('name'), name, msg));
  }

  const ns = m.namespace ?? '';
  if (opts.namespaced) {
    if (ns === '') errs.push(required(metaPath.child('namespace')));
    else for (const msg of nameIsDNSLabel(ns, false)) errs.push(invalid(metaPath.child('namespace'), ns, msg));
  } else if (ns !== '') {
    errs.push(forbidden(metaPath.child('namespace'), 'not allowed on this type'));
  }

  errs.push(...validateNonNegative(m.generation ?? 0, metaPath.child('generation')));
  errs.push(...validateLabels(m.labels, metaPath.child('labels')));
  errs.push(...validateAnnotations(m.annotations, metaPath.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, metaPath.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, metaPath.child('finalizers')));
  errs.push(...validateManagedFields(m.managedFields, metaPath.child('managedFields')));
  if (opts.coreFinalizers ?? true) errs.push(...coreFinalizerErrors(m.finalizers));
  return errs;
}

const timeMs = (t: string | null | undefined): number | null => {
  if (!t) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
};
// metav1.Time compares semantically (same instant); unparseable text can only equal itself.
function sameTime(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = timeMs(a);
  const y = timeMs(b);
  if (x !== null || y !== null) return x === y;
  return (a ?? '') === (b ?? '');
}

/**
 * Update-time metadata rules (apimachinery ValidateObjectMetaAccessorUpdate + core finalizer names).
 * Does not re-run create rules; callers validating a whole object (ValidateSecretUpdate etc.) do both.
 * resourceVersion must be non-empty here: for kinds that allow unconditional update the store copies
 * the current one in before validation, as upstream's store does.
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  opts: ObjectMetaUpdateOptions = {},
): FieldError[] {
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];

  if (o.deletionTimestamp) {
    const had = new Set(o.finalizers ?? []);
    const extra = [...new Set((n.finalizers ?? []).filter((f) => !had.has(f)))].sort();
    if (extra.length) {
      errs.push(
        forbidden(
          metaPath.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)[GO_REPR]}`,
        ),
      );
    }
  }

  if (!n.resourceVersion) errs.push(invalid(metaPath.child('resourceVersion'), '', 'must be specified for an update'));

  const newGen = n.generation ?? 0;
  if (newGen < (o.generation ?? 0)) errs.push(invalid(metaPath.child('generation'), newGen, 'must not be decremented'));

  const immutable = (field: string, value: unknown) => errs.push(invalid(metaPath.child(field), value, FIELD_IMMUTABLE_ERROR_MSG));
  if ((n.name ?? '') !== (o.name ?? '')) immutable('name', n.name ?? '');
  if ((n.namespace ?? '') !== (o.namespace ?? '')) immutable('namespace', n.namespace ?? '');
  if ((n.uid ?? '') !== (o.uid ?? '')) immutable('uid', n.uid ?? '');
  if (!sameTime(n.creationTimestamp, o.creationTimestamp)) immutable('creationTimestamp', goTime(n.creationTimestamp));
  if (!sameTime(n.deletionTimestamp, o.deletionTimestamp)) immutable('deletionTimestamp', goTimePtr(n.deletionTimestamp));
  if ((n.deletionGracePeriodSeconds ?? null) !== (o.deletionGracePeriodSeconds ?? null)) {
    immutable('deletionGracePeriodSeconds', n.deletionGracePeriodSeconds ?? null);
  }

  errs.push(...validateLabels(n.labels, metaPath.child('labels')));
  errs.push(...validateAnnotations(n.annotations, metaPath.child('annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, metaPath.child('ownerReferences')));
  errs.push(...validateManagedFields(n.managedFields, metaPath.child('managedFields')));
  if (opts.coreFinalizers ?? true) errs.push(...coreFinalizerErrors(n.finalizers));
  return errs;
}
