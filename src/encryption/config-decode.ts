// Strict decoding of an EncryptionConfiguration object (after YAML/JSON parsing), as kube's strict
// codec does it: unknown fields are collected by path, wrong types are errors, KMS defaults applied.
// Type errors for key secrets never show the value.

import { goQuote } from '../api/field-errors.js';
import {
  type AESConfiguration, type EncryptionConfiguration, type EncryptionKey, type KMSConfiguration,
  type ProviderConfiguration, type ResourceConfiguration, ENCRYPTION_CONFIG_API_VERSION, ENCRYPTION_CONFIG_KIND,
} from './config-types.js';
import { formatGoDuration, parseGoDuration } from './duration.js';

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

export class Decoder {
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

export function decodeConfiguration(d: Decoder, o: Obj): EncryptionConfiguration {
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
