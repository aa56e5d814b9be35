// Which Secrets a pod references, and through what (the kubelet's secret manager reads the same
// places: secret volumes, env secretKeyRef, envFrom secretRef). The agent fetches these and no other.

import type { Container, Pod } from './types.js';

/** Secret names read through env or envFrom by one container. */
export function envSecrets(c: Container): Set<string> {
  const out = new Set<string>();
  for (const f of c.envFrom ?? []) if (f.secretRef?.name) out.add(f.secretRef.name);
  for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) out.add(e.valueFrom.secretKeyRef.name);
  return out;
}

/** Volume names mounted by one container, and the Secret each reads. */
export function mountedSecrets(pod: Pod, c: Container): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of c.volumeMounts ?? []) {
    const v = pod.spec.volumes?.find((x) => x.name === m.name);
    if (v?.secret?.secretName) out.set(v.name, v.secret.secretName);
  }
  return out;
}

/** Every Secret the pod's containers and volumes reference, sorted. */
export function referencedSecrets(pod: Pod): string[] {
  const out = new Set<string>();
  for (const v of pod.spec.volumes ?? []) if (v.secret?.secretName) out.add(v.secret.secretName);
  for (const c of pod.spec.containers) for (const n of envSecrets(c)) out.add(n);
  return [...out].sort();
}
