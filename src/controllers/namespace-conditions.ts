// The five status conditions the namespace deleter maintains while a namespace terminates, with the
// reasons and messages kube-controller-manager uses, so `kubectl describe ns` explains a stuck delete.
// True means the problem is present; the False ("ok") form is written otherwise.

import { nowRFC3339 } from '../registry/meta.js';

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

const OK: [type: string, reason: string, message: string][] = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
];

export interface ContentTotals {
  /** `resource.group` → objects still present. */
  remaining: Map<string, number>;
  /** finalizer → objects it still holds. */
  finalizers: Map<string, number>;
  /** Deletion errors of this pass. */
  deleteErrors: string[];
}

function failures(t: ContentTotals): Map<string, NamespaceCondition> {
  const out = new Map<string, NamespaceCondition>();
  const remaining = [...t.remaining].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`).sort();
  if (remaining.length) {
    out.set('NamespaceContentRemaining', {
      type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${remaining.join(', ')}`,
    });
  }
  const held = [...t.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (held.length) {
    out.set('NamespaceFinalizersRemaining', {
      type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${held.join(', ')}`,
    });
  }
  if (t.deleteErrors.length) {
    const msgs = [...t.deleteErrors].sort();
    out.set('NamespaceDeletionContentFailure', {
      type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    });
  }
  return out;
}

/**
 * Merges this pass's findings into the existing conditions; returns the new list and whether it
 * changed. lastTransitionTime moves only when a condition's status flips, as upstream.
 */
export function updateConditions(existing: NamespaceCondition[] | undefined, totals: ContentTotals): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (existing ?? []).map((c) => ({ ...c }));
  const found = failures(totals);
  let changed = false;
  const now = nowRFC3339();
  for (const [type, reason, message] of OK) {
    const next = found.get(type) ?? { type, status: 'False' as const, reason, message };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ ...next, lastTransitionTime: now });
      changed = true;
    } else if (old.status !== next.status || old.reason !== next.reason || old.message !== next.message) {
      if (old.status !== next.status) old.lastTransitionTime = now;
      old.status = next.status;
      old.reason = next.reason;
      old.message = next.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
