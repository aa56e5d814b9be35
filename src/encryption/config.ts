// The EncryptionConfiguration file (apiserver.config.k8s.io/v1), parsed and validated the way
// kube-apiserver does (k8s.io/apiserver pkg/server/options/encryptionconfig/config.go and
// pkg/apis/apiserver/validation/validation_encryption.go):
//
//  * YAML or JSON; decoding is strict — an unknown field is an error naming its path
//    (`strict decoding error: unknown field "resources[0].providers[3].kms.pandas"`).
//  * KMS defaults: apiVersion v1, timeout 3s, cachesize 1000 (v1 only).
//  * Validation errors are apimachinery field errors with kube's paths and wording; key secrets are
//    always shown as "REDACTED".
//  * Rule table: a resource named after an earlier `*.<group>` or `*.*` rule is an error
//    (`resource "secrets" is masked by earlier rule "*."`); the same resource in several entries
//    concatenates their providers; lookup is exact, then `*.<group>`, then `*.*`.
//
// Split over config-types.ts (shapes), config-decode.ts (strict decoding) and
// config-validation.ts (field rules); this module parses, loads and builds the rule table.

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { formatFieldError, goQuote } from '../api/field-errors.js';
import { Decoder, decodeConfiguration, isObj, typeName } from './config-decode.js';
import {
  type EncryptionConfiguration, type EncryptionKey, type ParseOptions, type ProviderConfiguration,
  ENCRYPTION_CONFIG_API_VERSION, ENCRYPTION_CONFIG_KIND, EncryptionConfigError, groupResourceString, parseGroupResource,
} from './config-types.js';
import { validateEncryptionConfiguration } from './config-validation.js';

export * from './config-types.js';
export { type ValidateOptions, decodeStdBase64, goURLScheme, validateEncryptionConfiguration } from './config-validation.js';

const REDACTED = 'REDACTED';
const grKey = (group: string, resource: string) => `${group}\u0000${resource}`;

function describeSource(source: string | undefined): string {
  return source === undefined ? 'encryption provider configuration' : `encryption provider configuration file ${goQuote(source)}`;
}

function decodeError(source: string | undefined, detail: string, errors?: string[]): EncryptionConfigError {
  return new EncryptionConfigError(`error decoding ${describeSource(source)}: ${detail}`, 'decode', errors ?? [detail]);
}

/** YAML/JSON text → object, without ever echoing source lines (they may hold key secrets). */
function parseText(text: string, source: string | undefined): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const problems = [...doc.errors];
  if (problems.length) {
    const msgs = problems.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `yaml: line ${pos.line}, column ${pos.col}: ${e.message}`;
    });
    throw decodeError(source, msgs[0]!, msgs);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw decodeError(source, `yaml: ${(err as Error).message}`);
  }
}

/**
 * Decodes and validates an EncryptionConfiguration (YAML or JSON). Throws EncryptionConfigError:
 * stage "decode" for syntax, apiVersion/kind, unknown fields and wrong types; "validate" for the
 * field rules (message = the aggregate of field errors, as kube prints it); "build" for rule
 * masking.
 */
export function parseEncryptionConfiguration(input: string | Uint8Array, opts: ParseOptions = {}): EncryptionConfiguration {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  if (text.length === 0) {
    throw new EncryptionConfigError(`${describeSource(opts.source)} is empty`, 'load');
  }
  const raw = parseText(text, opts.source);
  if (!isObj(raw)) {
    throw decodeError(opts.source, `expected an ${ENCRYPTION_CONFIG_KIND} object, got ${typeName(raw)}`);
  }
  // As kube's decoder reads apiVersion and kind first, into two strings (json/meta.go Interpret).
  for (const f of ['apiVersion', 'kind'] as const) {
    const v = raw[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw decodeError(opts.source, `couldn't get version/kind; json parse error: json: cannot unmarshal ${typeName(v) === 'boolean' ? 'bool' : typeName(v)} into Go struct field .${f} of type string`);
    }
  }
  const apiVersion = raw.apiVersion;
  const kind = raw.kind;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') {
    throw decodeError(opts.source, `Object 'apiVersion' is missing in ${describeSource(opts.source)}`);
  }
  if (kind === undefined || kind === null || kind === '') {
    throw decodeError(opts.source, `Object 'Kind' is missing in ${describeSource(opts.source)}`);
  }
  if (apiVersion !== ENCRYPTION_CONFIG_API_VERSION || kind !== ENCRYPTION_CONFIG_KIND) {
    let msg = `no kind ${goQuote(String(kind))} is registered for version ${goQuote(String(apiVersion))}`;
    if (kind === 'EncryptionConfig') {
      msg += `; use apiVersion: ${ENCRYPTION_CONFIG_API_VERSION} and kind: ${ENCRYPTION_CONFIG_KIND}`;
    }
    throw decodeError(opts.source, msg);
  }
  const d = new Decoder();
  const config = decodeConfiguration(d, raw);
  if (d.typeErrors.length) throw decodeError(opts.source, d.typeErrors.join('; '), d.typeErrors);
  if (d.unknown.length) throw decodeError(opts.source, `strict decoding error: ${d.unknown.join(', ')}`, d.unknown);

  const fieldErrors = validateEncryptionConfiguration(config, { reload: opts.reload });
  if (fieldErrors.length) {
    const msgs = dedupe(fieldErrors.map(formatFieldError));
    throw new EncryptionConfigError(aggregate(msgs), 'validate', msgs);
  }
  ruleTable(config); // masking errors surface here, before any transformer is built
  return config;
}

/**
 * Reads, decodes and validates a configuration file. Messages are prefixed the way
 * kube-apiserver's LoadEncryptionConfig prefixes them.
 */
export async function loadEncryptionConfigFile(
  path: string,
  opts: Omit<ParseOptions, 'source'> = {},
): Promise<EncryptionConfiguration> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    const msg = `error while parsing file: error while loading file: error reading encryption provider configuration file ${goQuote(path)}: ${(err as Error).message}`;
    throw new EncryptionConfigError(msg, 'load');
  }
  try {
    return parseEncryptionConfiguration(data, { ...opts, source: path });
  } catch (err) {
    if (!(err instanceof EncryptionConfigError)) throw err;
    const prefix = err.stage === 'build'
      ? 'error while building transformers: '
      : err.stage === 'load' ? 'error while parsing file: error while loading file: ' : 'error while parsing file: ';
    throw new EncryptionConfigError(prefix + err.message, err.stage, err.errors);
  }
}

const dedupe = (msgs: string[]) => msgs.filter((m, i) => msgs.indexOf(m) === i);
const aggregate = (msgs: string[]) => (msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`);

// ---------------------------------------------------------------------------------------------
// Rule table and lookup

export interface ProviderRef {
  /** Index of the entry in `resources` and of the provider in its `providers`. */
  resourceIndex: number;
  providerIndex: number;
  provider: ProviderConfiguration;
}

export interface ResourceRule {
  /** The rule that matched, as kube names it ("secrets", "*.", "*.apps", "*.*"). */
  rule: string;
  /** Providers in read order; the first one writes. */
  providers: ProviderRef[];
}

interface RuleTable {
  rules: Map<string, ResourceRule>;
}

const tables = new WeakMap<EncryptionConfiguration, RuleTable>();

/** Builds (once per configuration object) the group/resource → providers table, with kube's masking checks. */
export function ruleTable(config: EncryptionConfiguration): RuleTable {
  const cached = tables.get(config);
  if (cached) return cached;
  const rules = new Map<string, ResourceRule>();
  config.resources.forEach((entry, resourceIndex) => {
    const refs = entry.providers.map((provider, providerIndex) => ({ resourceIndex, providerIndex, provider }));
    for (const res of entry.resources) {
      const gr = parseGroupResource(res);
      const anyInGroup = { group: gr.group, resource: '*' };
      if (rules.has(grKey(anyInGroup.group, anyInGroup.resource))) {
        throw new EncryptionConfigError(
          `resource ${goQuote(groupResourceString(gr))} is masked by earlier rule ${goQuote(groupResourceString(anyInGroup))}`, 'build');
      }
      if (rules.has(grKey('*', '*'))) {
        throw new EncryptionConfigError(
          `resource ${goQuote(groupResourceString(gr))} is masked by earlier rule ${goQuote('*.*')}`, 'build');
      }
      const key = grKey(gr.group, gr.resource);
      const existing = rules.get(key);
      if (existing) existing.providers.push(...refs);
      else rules.set(key, { rule: groupResourceString(gr), providers: [...refs] });
    }
  });
  const table = { rules };
  tables.set(config, table);
  return table;
}

/**
 * The rule that applies to a group/resource: exact `resource.group`, else `*.<group>`, else `*.*`;
 * undefined when none does (kube then stores plaintext through an encrypt-checking identity).
 * Secrets are group "" resource "secrets".
 */
export function resourceRuleFor(config: EncryptionConfiguration, group: string, resource: string): ResourceRule | undefined {
  const { rules } = ruleTable(config);
  return rules.get(grKey(group, resource)) ?? rules.get(grKey(group, '*')) ?? rules.get(grKey('*', '*'));
}

/** A copy of the configuration with every key secret replaced by "REDACTED" (for display). */
export function redactEncryptionConfiguration(config: EncryptionConfiguration): EncryptionConfiguration {
  const keys = (k: EncryptionKey[]) => k.map((key) => ({ name: key.name, secret: REDACTED }));
  return {
    ...config,
    resources: config.resources.map((r) => ({
      resources: [...r.resources],
      providers: r.providers.map((p) => {
        const out: ProviderConfiguration = {};
        if (p.aesgcm) out.aesgcm = { keys: keys(p.aesgcm.keys) };
        if (p.aescbc) out.aescbc = { keys: keys(p.aescbc.keys) };
        if (p.secretbox) out.secretbox = { keys: keys(p.secretbox.keys) };
        if (p.identity) out.identity = {};
        if (p.kms) out.kms = { ...p.kms };
        return out;
      }),
    })),
  };
}
