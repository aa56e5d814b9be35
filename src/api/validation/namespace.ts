// Namespace validation (pkg/apis/core/validation ValidateNamespace, 1.32): cluster-scoped metadata
// with a DNS-label name, and spec.finalizers checked as qualified / standard finalizer names.

import { FieldPath, type FieldError } from '../field-errors.js';
import type { Namespace } from '../types.js';
import { validateFinalizerName, validateKubeFinalizerName, validateObjectMetaCreate } from './objectmeta.js';

/** Create rules, including metadata. */
export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMetaCreate(ns.metadata, { namespaced: false, nameFn: 'label' });
  // Upstream reports spec finalizers against the list path, without an index.
  const p = FieldPath.root('spec').child('finalizers');
  for (const f of ns.spec?.finalizers ?? []) {
    errs.push(...validateFinalizerName(f, p), ...validateKubeFinalizerName(f, p));
  }
  return errs;
}

/**
 * Update rules as the namespace strategy applies them: the new object must pass the create rules.
 * The metadata update rules (immutability, generation, finalizers while deleting) are
 * validateObjectMetaUpdate, which the generic store runs for every kind, so they are not repeated here.
 */
export function validateNamespaceUpdate(newNs: Namespace, _oldNs: Namespace): FieldError[] {
  return validateNamespace(newNs);
}

/** PUT /namespaces/{name}/finalize: spec.finalizers are validated per index there. */
export function validateNamespaceFinalizeUpdate(newNs: Namespace): FieldError[] {
  const p = FieldPath.root('spec').child('finalizers');
  return (newNs.spec?.finalizers ?? []).flatMap((f, i) => [
    ...validateFinalizerName(f, p.index(i)),
    ...validateKubeFinalizerName(f, p.index(i)),
  ]);
}
