// The per-container opt-in reaction to a real change of a Secret value it uses: the annotation
// opaque.dev/on-secret-change (whole pod) or opaque.dev/on-secret-change.<container> (one
// container), valued "restart", "signal:<NAME>" or "none" (the default, as in Kubernetes: files
// update, environment variables stay).

import { constants } from 'node:os';
import { ManifestError } from './errors.js';
import type { Pod } from './types.js';

export const ANNOTATION = 'opaque.dev/on-secret-change';

export type Reaction = { kind: 'none' } | { kind: 'restart' } | { kind: 'signal'; signal: NodeJS.Signals };

export function parseReaction(value: string, where: string): Reaction {
  if (value === 'none') return { kind: 'none' };
  if (value === 'restart') return { kind: 'restart' };
  const m = /^signal:(SIG[A-Z0-9]+)$/.exec(value);
  if (m && m[1]! in constants.signals) return { kind: 'signal', signal: m[1] as NodeJS.Signals };
  throw new ManifestError(`${where}: Invalid value: ${JSON.stringify(value)}: must be "restart", "signal:<SIGNAME>" (e.g. signal:SIGHUP) or "none"`);
}

/** Reactions by container name; throws a ManifestError on a bad value. */
export function reactionsFor(pod: Pod): Map<string, Reaction> {
  const podWide = pod.annotations[ANNOTATION];
  const out = new Map<string, Reaction>();
  for (const c of pod.spec.containers) {
    const key = `${ANNOTATION}.${c.name}`;
    const v = pod.annotations[key] ?? podWide;
    out.set(c.name, v === undefined ? { kind: 'none' } : parseReaction(v, `metadata.annotations[${pod.annotations[key] !== undefined ? key : ANNOTATION}]`));
  }
  return out;
}
