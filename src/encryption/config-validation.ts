// ValidateEncryptionConfiguration (k8s.io/apiserver pkg/apis/apiserver/validation/validation_encryption.go):
// the same checks in the same order, with kube's field paths and wording. Key secrets are rendered
// as "REDACTED"; provider elements are rendered by the providers they set, never their contents.

import {
  type FieldError, FieldPath, GO_REPR, goQuote, invalid, required,
} from '../api/field-errors.js';
import {
  type EncryptionConfiguration, type EncryptionKey, type KMSConfiguration, type ProviderConfiguration, parseGroupResource,
} from './config-types.js';

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
