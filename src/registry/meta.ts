// Small helpers for object metadata shared by the store and the resource modules.

import { randomInt, randomUUID } from 'node:crypto';
import type { KObject, ObjectMeta } from '../api/types.js';

/** RFC 3339 with seconds precision in UTC, as metav1.Time marshals. */
export function nowRFC3339(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function newUID(): string {
  return randomUUID();
}

// apiserver's names.SimpleNameGenerator: 5 characters from an alphabet without vowels or look-alikes.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_PREFIX = 58;

export function generateName(base: string): string {
  const prefix = base.length > MAX_GENERATED_PREFIX ? base.slice(0, MAX_GENERATED_PREFIX) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return prefix + suffix;
}

export function meta(obj: KObject): ObjectMeta {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  return obj.metadata;
}

/** Fields the server owns on create: a client may not set them (rest.WipeObjectMetaSystemFields). */
export function wipeSystemFields(m: ObjectMeta): void {
  delete m.creationTimestamp;
  delete m.uid;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
}

/** Null fields in request bodies (`"creationTimestamp": null` from older kubectl) mean unset. */
export function dropNullMeta(m: ObjectMeta): void {
  for (const k of Object.keys(m) as (keyof ObjectMeta)[]) if (m[k] === null) delete m[k];
}

const OMIT_WHEN_EMPTY = ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields'] as const;

/** Go's encoding/json omits empty `omitempty` maps and lists, so kube never stores or returns them. */
export function pruneEmptyMeta(m: ObjectMeta): void {
  for (const k of OMIT_WHEN_EMPTY) {
    const v = m[k] as unknown;
    if (v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) {
      delete m[k];
    }
  }
}
