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

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import {
  type FieldError, FieldPath, GO_REPR, formatFieldError, goQuote, invalid, required,
} from '../api/field-errors.js';
import { formatGoDuration, parseGoDuration } from './duration.js';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

export interface EncryptionKey {
  name: string;
  /** Standard base64 (with padding) of the raw key. Never log it. */
  secret: string;
}

export interface AESConfiguration {
  keys: EncryptionKey[];
}

export interface SecretboxConfiguration {
  keys: EncryptionKey[];
}

export type IdentityConfiguration = Record<string, never>;

export interface KMSConfiguration {
  /** "v1" (the default) or "v2". */
  apiVersion: string;
  name: string;
  /** e.g. unix:///var/run/kms.sock */
  endpoint: string;
  /** KMS v1 DEK cache size: defaults to 1000, negative disables; must be unset for v2. */
  cachesize?: number;
  /** The timeout as Go prints it ("3s" when defaulted). */
  timeout: string;
  timeoutMs: number;
}

export interface ProviderConfiguration {
  aesgcm?: AESConfiguration;
  aescbc?: AESConfiguration;
  secretbox?: SecretboxConfiguration;
  identity?: IdentityConfiguration;
  kms?: KMSConfiguration;
}

export interface ResourceConfiguration {
  resources: string[];
  providers: ProviderConfiguration[];
}

export interface EncryptionConfiguration {
  apiVersion: typeof ENCRYPTION_CONFIG_API_VERSION;
  kind: typeof ENCRYPTION_CONFIG_KIND;
  resources: ResourceConfiguration[];
}

export type EncryptionConfigErrorStage = 'load' | 'decode' | 'validate' | 'build';

/**
 * A configuration that cannot be used. `message` reads like kube's; `errors` lists the individual
 * problems (field errors for validation). Nothing in it contains a key secret.
 */
export class EncryptionConfigError extends Error {
  override name = 'EncryptionConfigError';
  constructor(
    message: string,
    readonly stage: EncryptionConfigErrorStage,
    readonly errors: readonly string[] = [message],
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /** As kube-apiserver's --encryption-provider-config-automatic-reload: KMS v1 names must be unique too. */
  reload?: boolean;
  /** The file the text came from, for messages. */
  source?: string;
}

// ---------------------------------------------------------------------------------------------
// Group/resource strings

export interface GroupResource {
  group: string;
  resource: string;
}

/** schema.ParseGroupResource: "secrets" → {"" , secrets}; "*.apps" → {apps, *}; "*." → {"", *}. */
export function parseGroupResource(s: string): GroupResource {
  const i = s.indexOf('.');
  return i >= 0 ? { resource: s.slice(0, i), group: s.slice(i + 1) } : { resource: s, group: '' };
}

/** How kube names a rule in messages (grYAMLString): the core-group wildcard is "*.". */
export function groupResourceString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

const grKey = (group: string, resource: string) => `${group}\u0000${resource}`;

// ---------------------------------------------------------------------------------------------
// Decoding (strict)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

class Decoder {
  readonly unknown: string[] = [];
  readonly typeErrors: string[] = [];

  fields(v: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) this.unknown.push(`unknown field ${goQuote(path ? `${path}.${k}` : k)}`);
    }
  }

  /** Go's json: null leaves the zero value; anything but a string is a type error. */
  string(v: unknown, path: string, opts: { secret?: boolean } = {}): string {
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    this.typeErrors.push(
      opts.secret ? `${path}: must be a string (value not shown)` : `${path}: expected a string, got ${typeName(v)}`,
    );
    return '';
  }

  array(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.typeErrors.push(`${path}: expected a list, got ${typeName(v)}`);
    return [];
  }

  object(v: unknown, path: string): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (isObj(v)) return v;
    this.typeErrors.push(`${path}: expected an object, got ${typeName(v)}`);
    return undefined;
  }
}

function decodeKeys(d: Decoder, v: unknown, path: string): EncryptionKey[] {
  return d.array(v, path).map((raw, i) => {
    const p = `${path}[${i}]`;
    const o = d.object(raw, p) ?? {};
    d.fields(o, p, ['name', 'secret']);
    return { name: d.string(o.name, `${p}.name`), secret: d.string(o.secret, `${p}.secret`, { secret: true }) };
  });
}

function decodeKeyed(d: Decoder, v: unknown, path: string): AESConfiguration | undefined {
  const o = d.object(v, path);
  if (!o) return undefined;
  d.fields(o, path, ['keys']);
  return { keys: decodeKeys(d, o.keys, `${path}.keys`) };
}

const DEFAULT_KMS_TIMEOUT_NS = 3e9;
const DEFAULT_KMS_CACHE_SIZE = 1000;

function decodeKMS(d: Decoder, v: unknown, path: string): KMSConfiguration | undefined {
  const o = d.object(v, path);
  if (!o) return undefined;
  d.fields(o, path, ['apiVersion', 'name', 'cachesize', 'endpoint', 'timeout']);
  // SetDefaults_KMSConfiguration: apiVersion v1, timeout 3s, cachesize 1000 for v1 only.
  const apiVersion = d.string(o.apiVersion, `${path}.apiVersion`) || 'v1';
  let cachesize: number | undefined;
  if (o.cachesize !== undefined && o.cachesize !== null) {
    const c = o.cachesize;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < -2147483648 || c > 2147483647) {
      d.typeErrors.push(`${path}.cachesize: expected a 32-bit integer, got ${typeof c === 'number' ? String(c) : typeName(c)}`);
    } else {
      cachesize = c;
    }
  } else if (apiVersion === 'v1') {
    cachesize = DEFAULT_KMS_CACHE_SIZE;
  }
  let timeoutNs = DEFAULT_KMS_TIMEOUT_NS;
  if (o.timeout !== undefined && o.timeout !== null) {
    if (typeof o.timeout !== 'string') {
      d.typeErrors.push(`${path}.timeout: expected a duration string such as "3s", got ${typeName(o.timeout)}`);
    } else {
      try {
        timeoutNs = parseGoDuration(o.timeout);
      } catch (err) {
        d.typeErrors.push(`${path}.timeout: ${(err as Error).message}`);
      }
    }
  }
  const kms: KMSConfiguration = {
    apiVersion,
    name: d.string(o.name, `${path}.name`),
    endpoint: d.string(o.endpoint, `${path}.endpoint`),
    timeout: formatGoDuration(timeoutNs),
    timeoutMs: timeoutNs / 1e6,
  };
  if (cachesize !== undefined) kms.cachesize = cachesize;
  return kms;
}

function decodeProvider(d: Decoder, v: unknown, path: string): ProviderConfiguration {
  const o = d.object(v, path) ?? {};
  d.fields(o, path, ['aesgcm', 'aescbc', 'secretbox', 'identity', 'kms']);
  const p: ProviderConfiguration = {};
  const aesgcm = decodeKeyed(d, o.aesgcm, `${path}.aesgcm`);
  if (aesgcm) p.aesgcm = aesgcm;
  const aescbc = decodeKeyed(d, o.aescbc, `${path}.aescbc`);
  if (aescbc) p.aescbc = aescbc;
  const secretbox = decodeKeyed(d, o.secretbox, `${path}.secretbox`);
  if (secretbox) p.secretbox = secretbox;
  const identity = d.object(o.identity, `${path}.identity`);
  if (identity) {
    d.fields(identity, `${path}.identity`, []);
    p.identity = {};
  }
  const kms = decodeKMS(d, o.kms, `${path}.kms`);
  if (kms) p.kms = kms;
  return p;
}

function decodeConfiguration(d: Decoder, o: Obj): EncryptionConfiguration {
  d.fields(o, '', ['apiVersion', 'kind', 'resources']);
  const resources = d.array(o.resources, 'resources').map((raw, i): ResourceConfiguration => {
    const p = `resources[${i}]`;
    const r = d.object(raw, p) ?? {};
    d.fields(r, p, ['resources', 'providers']);
    return {
      resources: d.array(r.resources, `${p}.resources`).map((x, j) => d.string(x, `${p}.resources[${j}]`)),
      providers: d.array(r.providers, `${p}.providers`).map((x, j) => decodeProvider(d, x, `${p}.providers[${j}]`)),
    };
  });
  return { apiVersion: ENCRYPTION_CONFIG_API_VERSION, kind: ENCRYPTION_CONFIG_KIND, resources };
}

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
// Validation (validation_encryption.go)

const moreThanOneElementErr = 'more than one provider specified in a single element, should split into different list elements';
const noProviderErr = 'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity';
const keyLenErr = (got: number, expected: number[]) =>
  `secret is not of the expected length, got ${got}, expected one of [${expected.join(' ')}]`;
const unsupportedSchemeErr = (scheme: string) => `unsupported scheme ${goQuote(scheme)} for KMS provider, only unix is supported`;
// (kube formats this with the literal word "apiVersion", not the value.)
const unsupportedKMSAPIVersionErr = 'unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported';
const atLeastOneRequired = (what: string) => `at least one ${what} is required`;
const invalidURLErr = (err: string) => `invalid endpoint for kms provider, error: ${err}`;
const mandatoryFieldErr = (f: string, of: string) => `${f} is a mandatory field for a ${of}`;
const base64EncodingErr = 'secrets must be base64 encoded';
const zeroOrNegativeErr = (f: string) => `${f} should be a positive value`;
const nonZeroErr = (f: string) => `${f} should be a positive value, or negative to disable`;
const invalidKMSConfigNameErr = (n: string) => `invalid KMS provider name ${n}, must not contain ':'`;
const duplicateKMSConfigNameErr = (n: string) => `duplicate KMS provider name ${n}, names must be unique`;
const eventsGroupErr = "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file";
const extensionsGroupErr = "'extensions' group has been removed and cannot be used for encryption";
const starResourceErr = "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources";
const overlapErr = "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked";
const nonRESTAPIResourceErr = 'resources which do not have REST API/s cannot be encrypted';
const resourceNameErr = 'resource name should not contain capital letters';
const resourceAcrossGroupErr = 'encrypting the same resource across groups is not supported';
const duplicateResourceErr = 'the same resource cannot be specified multiple times';

const AES_KEY_SIZES = [16, 24, 32];
const SECRETBOX_KEY_SIZES = [32];
const REDACTED = 'REDACTED';

/** A value rendered with Go's %#v for a []string, e.g. []string{"secrets", "*."}. */
const goStrings = (xs: string[]) => ({ [GO_REPR]: `[]string{${xs.map(goQuote).join(', ')}}` });
/** Which providers a list element sets — never their contents. */
const providerRepr = (p: ProviderConfiguration) => ({
  [GO_REPR]: `ProviderConfiguration{${PROVIDER_FIELDS.filter((f) => p[f] !== undefined).join(', ')}}`,
});
const PROVIDER_FIELDS = ['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'] as const;

export interface ValidateOptions {
  reload?: boolean;
}

/** ValidateEncryptionConfiguration: the field errors, in kube's order. */
export function validateEncryptionConfiguration(c: EncryptionConfiguration, opts: ValidateOptions = {}): FieldError[] {
  const reload = opts.reload ?? false;
  const root = FieldPath.root('resources');
  const errs: FieldError[] = [];
  if (c.resources.length === 0) return [required(root, atLeastOneRequired(root.toString()))];

  const kmsNames = new Set<string>();
  c.resources.forEach((conf, i) => {
    const r = root.index(i).child('resources');
    const p = root.index(i).child('providers');
    if (conf.resources.length === 0) errs.push(required(r, atLeastOneRequired(r.toString())));
    errs.push(...validateResourceOverlap(conf.resources, r));
    errs.push(...validateResourceNames(conf.resources, r));
    if (conf.providers.length === 0) errs.push(required(p, atLeastOneRequired(p.toString())));

    conf.providers.forEach((provider, j) => {
      const path = p.index(j);
      errs.push(...validateSingleProvider(provider, path));
      if (provider.kms) {
        errs.push(...validateKMS(provider.kms, path.child('kms'), kmsNames, reload));
        kmsNames.add(provider.kms.name);
      } else if (provider.aesgcm) {
        errs.push(...validateKeys(provider.aesgcm.keys, path.child('aesgcm').child('keys'), AES_KEY_SIZES));
      } else if (provider.aescbc) {
        errs.push(...validateKeys(provider.aescbc.keys, path.child('aescbc').child('keys'), AES_KEY_SIZES));
      } else if (provider.secretbox) {
        errs.push(...validateKeys(provider.secretbox.keys, path.child('secretbox').child('keys'), SECRETBOX_KEY_SIZES));
      }
    });
  });
  return errs;
}

function validateResourceOverlap(resources: string[], path: FieldPath): FieldError[] {
  if (resources.length < 2) return [];
  const grs = resources.map(parseGroupResource);
  let hasOverlap = false;
  let hasDuplicate = false;
  for (let i = 0; i < grs.length; i++) {
    for (let j = 0; j < grs.length; j++) {
      if (i === j) continue;
      const r1 = grs[i]!;
      const r2 = grs[j]!;
      if (r1.group === r2.group && r1.resource === r2.resource && !hasDuplicate) {
        hasDuplicate = true;
        continue;
      }
      if (hasOverlap) continue;
      if (r1.group === '*' && r1.resource === '*') {
        hasOverlap = true;
        continue;
      }
      if (r1.group !== r2.group) continue;
      if (r1.resource === '*' || r2.resource === '*') {
        hasOverlap = true;
        continue;
      }
    }
  }
  const errs: FieldError[] = [];
  if (hasDuplicate) errs.push(invalid(path, goStrings(resources), duplicateResourceErr));
  if (hasOverlap) errs.push(invalid(path, goStrings(resources), overlapErr));
  return errs;
}

function validateResourceNames(resources: string[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  resources.forEach((res, j) => {
    const jj = path.index(j);
    if (res.toLowerCase() !== res) return void errs.push(invalid(jj, res, resourceNameErr));
    if (res === '*') return void errs.push(invalid(jj, res, starResourceErr));
    if (res === 'apiserveripinfo' || res === 'serviceipallocations' || res === 'servicenodeportallocations') {
      return void errs.push(invalid(jj, res, nonRESTAPIResourceErr));
    }
    const gr = parseGroupResource(res);
    if (gr.group === 'events.k8s.io') return void errs.push(invalid(jj, res, eventsGroupErr));
    if (gr.group === 'extensions') return void errs.push(invalid(jj, res, extensionsGroupErr));
    if (gr.group === '*' && gr.resource !== '*') return void errs.push(invalid(jj, res, resourceAcrossGroupErr));
  });
  return errs;
}

function validateSingleProvider(p: ProviderConfiguration, path: FieldPath): FieldError[] {
  const found = PROVIDER_FIELDS.filter((f) => p[f] !== undefined).length;
  if (found === 0) return [invalid(path, providerRepr(p), noProviderErr)];
  if (found > 1) return [invalid(path, providerRepr(p), moreThanOneElementErr)];
  return [];
}

/** Go's base64.StdEncoding.DecodeString: padding required, CR/LF ignored, nothing else tolerated. */
export function decodeStdBase64(s: string): Uint8Array | undefined {
  const t = s.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined;
  return new Uint8Array(Buffer.from(t, 'base64'));
}

function validateKeys(keys: EncryptionKey[], path: FieldPath, sizes: number[]): FieldError[] {
  if (keys.length === 0) return [required(path, atLeastOneRequired('keys'))];
  const errs: FieldError[] = [];
  keys.forEach((key, i) => {
    const kp = path.index(i);
    if (key.name === '') errs.push(required(kp.child('name'), mandatoryFieldErr('name', 'key')));
    if (key.secret === '') return void errs.push(required(kp.child('secret'), mandatoryFieldErr('secret', 'key')));
    const secret = decodeStdBase64(key.secret);
    if (!secret) return void errs.push(invalid(kp.child('secret'), REDACTED, base64EncodingErr));
    if (!sizes.includes(secret.length)) errs.push(invalid(kp.child('secret'), REDACTED, keyLenErr(secret.length, sizes)));
  });
  return errs;
}

function validateKMS(c: KMSConfiguration, path: FieldPath, names: Set<string>, reload: boolean): FieldError[] {
  const errs: FieldError[] = [];
  // name
  const np = path.child('name');
  if (c.name === '') errs.push(required(np, mandatoryFieldErr('name', 'provider')));
  if (c.apiVersion !== 'v1' && c.name.includes(':')) errs.push(invalid(np, c.name, invalidKMSConfigNameErr(c.name)));
  if ((reload || c.apiVersion !== 'v1') && names.has(c.name)) errs.push(invalid(np, c.name, duplicateKMSConfigNameErr(c.name)));
  // timeout (metav1.Duration prints through time.Duration.String)
  if (!(c.timeoutMs > 0)) errs.push(invalid(path.child('timeout'), { [GO_REPR]: c.timeout }, zeroOrNegativeErr('timeout')));
  // endpoint
  const ep = path.child('endpoint');
  if (c.endpoint.length === 0) {
    errs.push(invalid(ep, '', mandatoryFieldErr('endpoint', 'kms')));
  } else {
    try {
      const scheme = goURLScheme(c.endpoint);
      if (scheme !== 'unix') errs.push(invalid(ep, c.endpoint, unsupportedSchemeErr(scheme)));
    } catch (err) {
      errs.push(invalid(ep, c.endpoint, invalidURLErr((err as Error).message)));
    }
  }
  // cachesize
  const cp = path.child('cachesize');
  if (c.apiVersion !== 'v1' && c.cachesize !== undefined) errs.push(invalid(cp, c.cachesize, 'cachesize is not supported in v2'));
  if (c.apiVersion === 'v1' && c.cachesize === 0) errs.push(invalid(cp, 0, nonZeroErr('cachesize')));
  // apiVersion
  if (c.apiVersion !== 'v1' && c.apiVersion !== 'v2') errs.push(invalid(path.child('apiVersion'), c.apiVersion, unsupportedKMSAPIVersionErr));
  return errs;
}

/** The scheme Go's url.Parse finds (lower-cased), or its error text. */
export function goURLScheme(raw: string): string {
  const fail = (msg: string) => new Error(`parse ${goQuote(raw)}: ${msg}`);
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw fail('net/url: invalid control character in URL');
  }
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/s.exec(raw);
  if (bad) throw fail(`invalid URL escape ${goQuote(`%${bad[1]}`)}`);
  let scheme = '';
  let rest = raw;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (/[A-Za-z]/.test(ch)) continue;
    if (/[0-9+\-.]/.test(ch)) {
      if (i === 0) break;
      continue;
    }
    if (ch === ':') {
      if (i === 0) throw fail('missing protocol scheme');
      scheme = raw.slice(0, i).toLowerCase();
      rest = raw.slice(i + 1);
    }
    break;
  }
  if (scheme === '' && !rest.startsWith('/')) {
    const seg = rest.split('/')[0]!.split('?')[0]!;
    if (seg.includes(':')) throw fail('first path segment in URL cannot contain colon');
  }
  return scheme;
}

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
