// Secret defaulting, stringData folding and validation as kube-apiserver 1.32 does it
// (pkg/apis/core/v1 conversion + defaults, pkg/apis/core/validation ValidateSecret/ValidateSecretUpdate,
// pkg/registry/core/secret strategy warnings).
//
// Composition (mirrors the registry strategy): create = validateObjectMetaCreate + validateSecret;
// update = validateObjectMetaUpdate + validateObjectMetaCreate + validateSecret + validateSecretUpdate.
// validateSecret covers only data/type rules so metadata errors are never reported twice.

import { FieldPath, type FieldError, forbidden, invalid, required, tooLong } from '../field-errors.js';
import type { Secret } from '../types.js';
import { goUnmarshalMapError } from '../go-json.js';
import { isConfigMapKey } from './names.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from './objectmeta.js';
import { x509KeyPairError } from './tls-keypair.js';

export const MAX_SECRET_SIZE = 1024 * 1024;

export const SecretType = {
  Opaque: 'Opaque',
  ServiceAccountToken: 'kubernetes.io/service-account-token',
  Dockercfg: 'kubernetes.io/dockercfg',
  DockerConfigJson: 'kubernetes.io/dockerconfigjson',
  BasicAuth: 'kubernetes.io/basic-auth',
  SSHAuth: 'kubernetes.io/ssh-auth',
  TLS: 'kubernetes.io/tls',
  BootstrapToken: 'bootstrap.kubernetes.io/token',
} as const;

export const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_KEY = 'kubernetes.io/service-account.uid';
export const DOCKER_CONFIG_KEY = '.dockercfg';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const BASIC_AUTH_USERNAME_KEY = 'username';
export const BASIC_AUTH_PASSWORD_KEY = 'password';
export const SSH_AUTH_PRIVATE_KEY = 'ssh-privatekey';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_PRIVATE_KEY_KEY = 'tls.key';

const REDACTED = '<secret contents redacted>';
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

const has = (m: Record<string, unknown> | undefined, k: string) => !!m && Object.prototype.hasOwnProperty.call(m, k);

/** The bytes a data value stands for. A JSON null decodes to an empty value, as Go's []byte(nil). */
export function decodeDataValue(v: string | null | undefined): Buffer {
  return v ? Buffer.from(v, 'base64') : Buffer.alloc(0);
}

/**
 * v1 → internal conversion: every stringData entry overwrites the same data key (as UTF-8 bytes),
 * then stringData disappears. Mutates and returns the object.
 */
export function mergeStringData<T extends Secret>(secret: T): T {
  const sd = secret.stringData;
  if (sd && typeof sd === 'object' && Object.keys(sd).length > 0) {
    const data: Record<string, string> = secret.data && typeof secret.data === 'object' ? secret.data : {};
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v ?? '', 'utf8').toString('base64');
    secret.data = data;
  }
  delete secret.stringData;
  return secret;
}

/** SetDefaults_Secret. Mutates and returns the object. */
export function defaultSecret<T extends Secret>(secret: T): T {
  if (!secret.type) secret.type = SecretType.Opaque;
  return secret;
}

const sortedKeys = (m: Record<string, unknown> | undefined) => Object.keys(m ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function validateDockerJSON(data: Record<string, string>, key: string, dataPath: FieldPath): FieldError[] {
  if (!has(data, key)) return [required(dataPath.key(key))];
  const err = goUnmarshalMapError(decodeDataValue(data[key]));
  return err ? [invalid(dataPath.key(key), REDACTED, err)] : [];
}

/** Data and type rules of ValidateSecret (metadata is validated separately, see header). */
export function validateSecret(secret: Secret): FieldError[] {
  const errs: FieldError[] = [];
  const data = secret.data ?? {};
  const dataPath = FieldPath.root('data');

  let total = 0;
  for (const key of sortedKeys(data)) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(dataPath.key(key), key, msg));
    total += decodeDataValue(data[key]).length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(dataPath, '', MAX_SECRET_SIZE));

  switch (secret.type ?? '') {
    case SecretType.ServiceAccountToken:
      // Only the name is required; uid and token are filled in later by the token controller.
      if (!secret.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_KEY]) {
        errs.push(required(FieldPath.root('metadata').child('annotations').key(SERVICE_ACCOUNT_NAME_KEY)));
      }
      break;
    case SecretType.Dockercfg:
      errs.push(...validateDockerJSON(data, DOCKER_CONFIG_KEY, dataPath));
      break;
    case SecretType.DockerConfigJson:
      errs.push(...validateDockerJSON(data, DOCKER_CONFIG_JSON_KEY, dataPath));
      break;
    case SecretType.BasicAuth:
      // Either key may be empty; at least one must be present.
      if (!has(data, BASIC_AUTH_USERNAME_KEY) && !has(data, BASIC_AUTH_PASSWORD_KEY)) {
        errs.push(required(dataPath.key(BASIC_AUTH_USERNAME_KEY)), required(dataPath.key(BASIC_AUTH_PASSWORD_KEY)));
      }
      break;
    case SecretType.SSHAuth:
      if (decodeDataValue(data[SSH_AUTH_PRIVATE_KEY]).length === 0) errs.push(required(dataPath.key(SSH_AUTH_PRIVATE_KEY)));
      break;
    case SecretType.TLS:
      // Presence only; PEM content becomes a warning (secretTlsWarnings), never an error.
      if (!has(data, TLS_CERT_KEY)) errs.push(required(dataPath.key(TLS_CERT_KEY)));
      if (!has(data, TLS_PRIVATE_KEY_KEY)) errs.push(required(dataPath.key(TLS_PRIVATE_KEY_KEY)));
      break;
    default:
      // Opaque, bootstrap tokens and custom types have no type-specific rules.
      break;
  }
  return errs;
}

/**
 * reflect.DeepEqual of the internal map[string][]byte. A stored Secret without data reads back as a
 * nil map (protobuf drops empty maps), while a request body's `data: {}` is an empty non-nil map,
 * so those differ, exactly as upstream.
 */
function dataDeepEqual(newData: Secret['data'], oldData: Secret['data']): boolean {
  const oldNorm = oldData && Object.keys(oldData).length > 0 ? oldData : undefined;
  const newNorm = newData ?? undefined;
  if (!newNorm || !oldNorm) return !newNorm && !oldNorm;
  const nk = Object.keys(newNorm);
  if (nk.length !== Object.keys(oldNorm).length) return false;
  return nk.every((k) => has(oldNorm, k) && decodeDataValue(newNorm[k]).equals(decodeDataValue(oldNorm[k])));
}

/** Update-only rules of ValidateSecretUpdate: type immutability and the `immutable` flag. */
export function validateSecretUpdate(newSecret: Secret, oldSecret: Secret): FieldError[] {
  const errs: FieldError[] = [];
  const newType = newSecret.type ?? '';
  if (newType !== (oldSecret.type ?? '')) errs.push(invalid(FieldPath.root('type'), newType, FIELD_IMMUTABLE_ERROR_MSG));
  if (oldSecret.immutable === true) {
    if (newSecret.immutable !== true) errs.push(forbidden(FieldPath.root('immutable'), IMMUTABLE_WHEN_SET));
    // stringData was folded into data before this runs, so re-sending equal values via stringData passes.
    if (!dataDeepEqual(newSecret.data, oldSecret.data)) errs.push(forbidden(FieldPath.root('data'), IMMUTABLE_WHEN_SET));
  }
  return errs;
}

/** Warning texts for create and update (strategy warningsForSecret). */
export function secretTlsWarnings(secret: Secret): string[] {
  if (secret.type !== SecretType.TLS) return [];
  const data = secret.data ?? {};
  const err = x509KeyPairError(decodeDataValue(data[TLS_CERT_KEY]), decodeDataValue(data[TLS_PRIVATE_KEY_KEY]));
  return err ? [err] : [];
}
