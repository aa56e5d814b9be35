// Reads --audit-policy-file (audit.k8s.io/v1 Policy, YAML or JSON) into a Policy, with kube's
// validation (pkg/apis/audit/validation) and messages that name the offending field. Fields kube's
// decoder would ignore are reported as warnings: a typo such as `resource:` would otherwise widen a
// rule silently.

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { formatFieldError, invalid, notSupported, required, type FieldError } from '../api/field-errors.js';
import { GO_REPR } from '../api/field-errors.js';
import { isDNS1123Subdomain } from '../api/validation/names.js';
import { LEVELS, STAGES, type GroupResources, type Level, type Policy, type PolicyRule, type Stage } from './types.js';

export class PolicyError extends Error {}

export interface LoadedPolicy {
  policy: Policy;
  warnings: string[];
}

const RULE_FIELDS = ['level', 'users', 'userGroups', 'verbs', 'resources', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields'];
const GR_FIELDS = ['group', 'resources', 'resourceNames'];
const POLICY_FIELDS = ['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields'];

class Decoder {
  warnings: string[] = [];

  object(v: unknown, path: string, known: string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PolicyError(`failed decoding: ${path || 'the policy'}: must be an object`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!known.includes(k)) this.warnings.push(`unknown field "${path ? `${path}.` : ''}${k}" ignored`);
    return o;
  }

  strings(v: unknown, path: string): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new PolicyError(`failed decoding: ${path}: must be a list of strings`);
    return v as string[];
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new PolicyError(`failed decoding: ${path}: must be true or false`);
    return v;
  }

  string(v: unknown, path: string): string {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new PolicyError(`failed decoding: ${path}: must be a string`);
    return v;
  }

  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new PolicyError(`failed decoding: ${path}: must be a list`);
    return v;
  }
}

const goStrings = (v: string[]) => ({ [GO_REPR]: `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}` });

function decodeRule(d: Decoder, v: unknown, p: string, errs: FieldError[]): PolicyRule {
  const o = d.object(v, p, RULE_FIELDS);
  const level = d.string(o['level'], `${p}.level`);
  if (level === '') errs.push(required(`${p}.level`));
  else if (!(LEVELS as readonly string[]).includes(level)) errs.push(notSupported(`${p}.level`, level, [...LEVELS]));
  const nonResourceURLs = d.strings(o['nonResourceURLs'], `${p}.nonResourceURLs`);
  nonResourceURLs.forEach((u, i) => {
    if (u === '*') return;
    if (!u.startsWith('/')) errs.push(invalid(`${p}.nonResourceURLs[${i}]`, u, "non-resource URL rules must begin with a '/' character"));
    if (u !== '' && u.slice(0, -1).includes('*')) errs.push(invalid(`${p}.nonResourceURLs[${i}]`, u, "non-resource URL wildcards '*' must be the final character of the rule"));
  });
  const resources = d.list(o['resources'], `${p}.resources`).map((g, i): GroupResources => {
    const gp = `${p}.resources[${i}]`;
    const go = d.object(g, gp, GR_FIELDS);
    const gr = { group: d.string(go['group'], `${gp}.group`), resources: d.strings(go['resources'], `${gp}.resources`), resourceNames: d.strings(go['resourceNames'], `${gp}.resourceNames`) };
    if (gr.group) {
      const msgs = isDNS1123Subdomain(gr.group);
      if (msgs.length) errs.push(invalid(`${p}.resources.group`, gr.group, msgs.join(',')));
    }
    if (gr.resourceNames.length && !gr.resources.length) {
      errs.push(invalid(`${p}.resources.resourceNames`, goStrings(gr.resourceNames), 'using resourceNames requires at least one resource'));
    }
    return gr;
  });
  const namespaces = d.strings(o['namespaces'], `${p}.namespaces`);
  const omitStages = stages(d, o['omitStages'], `${p}.omitStages`, errs);
  if (nonResourceURLs.length && (resources.length || namespaces.length)) {
    errs.push(invalid(`${p}.nonResourceURLs`, goStrings(nonResourceURLs), 'rules cannot apply to both regular resources and non-resource URLs'));
  }
  return {
    level: level as Level,
    users: d.strings(o['users'], `${p}.users`),
    userGroups: d.strings(o['userGroups'], `${p}.userGroups`),
    verbs: d.strings(o['verbs'], `${p}.verbs`),
    resources, namespaces, nonResourceURLs, omitStages,
    omitManagedFields: d.bool(o['omitManagedFields'], `${p}.omitManagedFields`),
  };
}

function stages(d: Decoder, v: unknown, p: string, errs: FieldError[]): Stage[] {
  const list = d.strings(v, p);
  list.forEach((s, i) => {
    if (!(STAGES as readonly string[]).includes(s)) errs.push(invalid(`${p}[${i}]`, s, `allowed stages are ${STAGES.join(',')}`));
  });
  return list as Stage[];
}

/** Decodes and validates a policy document; throws PolicyError with kube's wording. */
export function parsePolicy(text: string): LoadedPolicy {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) throw new PolicyError(`failed decoding: ${doc.errors[0]!.message.split('\n')[0]}`);
  const d = new Decoder();
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PolicyError(`failed decoding: ${(err as Error).message}`);
  }
  const o = d.object(value, '', POLICY_FIELDS);
  if (o['kind'] !== 'Policy') throw new PolicyError(`failed decoding: kind: must be "Policy", not ${JSON.stringify(o['kind'] ?? '')}`);
  if (o['apiVersion'] !== 'audit.k8s.io/v1') {
    throw new PolicyError(`failed decoding: apiVersion: must be "audit.k8s.io/v1", not ${JSON.stringify(o['apiVersion'] ?? '')}`);
  }
  const errs: FieldError[] = [];
  const omitStages = stages(d, o['omitStages'], 'omitStages', errs);
  const rules = d.list(o['rules'], 'rules').map((r, i) => decodeRule(d, r, `rules[${i}]`, errs));
  if (errs.length) {
    const msgs = errs.map(formatFieldError);
    throw new PolicyError(msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`);
  }
  if (!rules.length) throw new PolicyError('loaded illegal policy with 0 rules');
  return { policy: { rules, omitStages, omitManagedFields: d.bool(o['omitManagedFields'], 'omitManagedFields') ?? false }, warnings: d.warnings };
}

/** kube's LoadPolicyFromFile, with its error framing: "<why>: from file <path>". */
export function loadPolicyFile(path: string): LoadedPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(`loading audit policy file: failed to read file path "${path}": ${(err as Error).message}`);
  }
  try {
    return parsePolicy(text);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`loading audit policy file: ${err.message}: from file ${path}`);
    throw err;
  }
}
