// The kms v2 EncryptedObject: what follows `k8s:enc:kms:v2:<name>:` in storage. Encoding and decoding
// apply kube's ValidateEncryptedObject limits both ways (so neither a bad plugin answer nor a damaged
// stored value gets through), with kube's messages.

import { encryptedObjectType } from './proto.js';

export const AES_GCM_KEY = 0;
export const HKDF_SHA256_XNONCE_AES_GCM_SEED = 1;
export type DEKSourceType = typeof AES_GCM_KEY | typeof HKDF_SHA256_XNONCE_AES_GCM_SEED;

export const KEY_ID_MAX_SIZE = 1024;
export const ENCRYPTED_DEK_SOURCE_MAX_SIZE = 1024;
export const ANNOTATIONS_MAX_SIZE = 32 * 1024;

export interface EncryptedObject {
  encryptedData: Uint8Array;
  keyID: string;
  encryptedDEKSource: Uint8Array;
  annotations: Record<string, Uint8Array>;
  encryptedDEKSourceType: DEKSourceType;
}

/** A stored value or plugin answer that breaks the EncryptedObject rules; the message is kube's. */
export class EncryptedObjectError extends Error {
  override name = 'EncryptedObjectError';
}

const enc = new TextEncoder();
// apimachinery's IsFullyQualifiedDomainName: a lowercase DNS-1123 subdomain with at least two labels.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function fqdnError(name: string): string | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (!n) return 'Required value';
  const labels = n.split('.');
  if (labels.length < 2) return `Invalid value: ${JSON.stringify(name)}: should be a domain with at least two segments separated by dots`;
  if (n.length > 253 || labels.some((l) => l.length > 63 || !DNS_LABEL.test(l))) {
    return `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** kube's ValidateKeyID. */
export function keyIDError(keyID: string): string | undefined {
  const n = enc.encode(keyID).length;
  if (n === 0) return 'keyID is empty';
  if (n > KEY_ID_MAX_SIZE) return `keyID is ${n} bytes, which exceeds the max size of ${KEY_ID_MAX_SIZE}`;
  return undefined;
}

export function annotationsError(annotations: Record<string, Uint8Array>): string | undefined {
  const errs: string[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    const e = fqdnError(k);
    if (e) errs.push(`annotations: ${e}`);
    total += enc.encode(k).length + v.length;
  }
  if (total > ANNOTATIONS_MAX_SIZE) errs.push(`total size of annotations is ${total}, which exceeds the max size of ${ANNOTATIONS_MAX_SIZE}`);
  if (!errs.length) return undefined;
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

/** kube's ValidateEncryptedObject; throws EncryptedObjectError. */
export function validateEncryptedObject(o: EncryptedObject): void {
  const t = o.encryptedDEKSourceType;
  if (t !== AES_GCM_KEY && t !== HKDF_SHA256_XNONCE_AES_GCM_SEED) throw new EncryptedObjectError(`unknown encryptedDEKSourceType: ${t}`);
  if (o.encryptedData.length === 0) throw new EncryptedObjectError('encrypted data is empty');
  const src = o.encryptedDEKSource.length;
  if (src === 0) throw new EncryptedObjectError('failed to validate encrypted DEK source: encrypted DEK source is empty');
  if (src > ENCRYPTED_DEK_SOURCE_MAX_SIZE) {
    throw new EncryptedObjectError(`failed to validate encrypted DEK source: encrypted DEK source is ${src} bytes, which exceeds the max size of ${ENCRYPTED_DEK_SOURCE_MAX_SIZE}`);
  }
  const k = keyIDError(o.keyID);
  if (k) throw new EncryptedObjectError(`failed to validate key id: ${k}`);
  const a = annotationsError(o.annotations);
  if (a) throw new EncryptedObjectError(`failed to validate annotations: ${a}`);
}

export function encodeEncryptedObject(o: EncryptedObject): Uint8Array {
  validateEncryptedObject(o);
  const msg: Record<string, unknown> = { encryptedData: o.encryptedData, keyID: o.keyID, encryptedDEKSource: o.encryptedDEKSource };
  // proto3 leaves zero values off the wire, as Go's marshaller does.
  if (Object.keys(o.annotations).length) msg.annotations = o.annotations;
  if (o.encryptedDEKSourceType !== AES_GCM_KEY) msg.encryptedDEKSourceType = o.encryptedDEKSourceType;
  return encryptedObjectType().encode(msg).finish();
}

export function decodeEncryptedObject(data: Uint8Array): EncryptedObject {
  let m: Record<string, unknown>;
  try {
    m = encryptedObjectType().decode(data) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new EncryptedObjectError(`proto: cannot parse EncryptedObject: ${(err as Error).message}`);
  }
  const o: EncryptedObject = {
    encryptedData: (m.encryptedData as Uint8Array | undefined) ?? new Uint8Array(0),
    keyID: (m.keyID as string | undefined) ?? '',
    encryptedDEKSource: (m.encryptedDEKSource as Uint8Array | undefined) ?? new Uint8Array(0),
    annotations: (m.annotations as Record<string, Uint8Array> | undefined) ?? {},
    encryptedDEKSourceType: ((m.encryptedDEKSourceType as number | undefined) ?? AES_GCM_KEY) as DEKSourceType,
  };
  validateEncryptedObject(o);
  return o;
}

/** The key id a stored kms v2 payload (what follows the prefix) was written under, if it parses. */
export function storedKeyID(payload: Uint8Array): string | undefined {
  try {
    return decodeEncryptedObject(payload).keyID;
  } catch {
    return undefined;
  }
}
