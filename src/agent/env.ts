// A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
// envFrom sources in order (prefix prepended, later sources win), then env in order into the same
// map (so env beats envFrom), literal values $(VAR)-expanded against what is defined so far and
// the agent's own variables. A missing Secret or key fails the container unless optional.

import { ContainerConfigError } from './errors.js';
import { expand, mappingFor } from './expansion.js';
import type { Container } from './types.js';
import type { SecretLookup } from './secret-lookup.js';

export interface ResolvedEnv {
  env: Map<string, string>;
  /** Secrets whose values this environment carries (for rollout status and change detection). */
  secrets: Set<string>;
}

/**
 * @param base variables the agent provides (OPAQUE_ROOT, HOSTNAME...): usable in $(VAR), and set
 *   when the pod does not define them, as the kubelet does with service variables.
 */
export function resolveEnv(c: Container, namespace: string, lookup: SecretLookup, base: ReadonlyMap<string, string>): ResolvedEnv {
  const env = new Map<string, string>();
  const secrets = new Set<string>();
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef;
    if (!ref?.name) continue;
    const s = lookup.get(ref.name);
    if (!s.found) {
      if (ref.optional && s.notFound) continue;
      throw new ContainerConfigError(s.message);
    }
    secrets.add(ref.name);
    for (const [k, v] of s.data) env.set(`${from.prefix ?? ''}${k}`, v.toString('utf8'));
  }
  const mapping = mappingFor(env, base);
  for (const e of c.env ?? []) {
    let value: string;
    if (e.value) {
      value = expand(e.value, mapping);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const s = lookup.get(ref.name ?? '');
      if (!s.found) {
        if (ref.optional && s.notFound) continue;
        throw new ContainerConfigError(s.message);
      }
      const v = s.data.get(ref.key);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}`);
      }
      secrets.add(ref.name!);
      value = v.toString('utf8');
    } else {
      value = '';
    }
    env.set(e.name, value);
  }
  for (const [k, v] of base) if (!env.has(k)) env.set(k, v);
  return { env, secrets };
}

/** command and args expanded against the final environment (ExpandContainerCommandAndArgs). */
export function expandCommand(c: Container, env: ReadonlyMap<string, string>): string[] {
  const mapping = mappingFor(env);
  return [...(c.command ?? []), ...(c.args ?? [])].map((a) => expand(a, mapping));
}
