// The key file of `opaque kms-plugin`: ordered, named key-encryption keys (AES-256). The first key
// encrypts; every key decrypts, so a KEK is rotated by putting a new key first (`opaque kms-plugin
// rotate-kek` does it) and removed once nothing is stored under it any more. A key's id, which the
// server stores next to each value and compares to spot stale data, is derived from the key itself,
// so a different key under a reused name still gets a new id. The file must not be readable by
// other users; a missing file is created (0600) with a fresh key.
//
//   keys:
//     - name: kek-20261130
//       secret: <32 random bytes, standard base64>

import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseDocument, isSeq } from 'yaml';
import { replacePrivate } from '../pki/files.js';

export interface Kek {
  name: string;
  key: Buffer;
  /** Public: `<name>.<16 hex digits of HMAC-SHA256(key, "opaque kms-plugin key id")>`. */
  keyID: string;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function keyIDOf(name: string, key: Uint8Array): string {
  return `${name}.${createHmac('sha256', key).update('opaque kms-plugin key id').digest('hex').slice(0, 16)}`;
}

/** `kek-<yyyymmdd>`, with -2, -3… when taken. */
export function newKekName(taken: Iterable<string>, now = new Date()): string {
  const names = new Set(taken);
  const base = `kek-${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!names.has(base)) return base;
  for (let n = 2; ; n++) if (!names.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function parseKeyFile(text: string, file: string): Kek[] {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new KeyFileError(`${file}: ${doc.errors[0]!.message}`);
  const root = doc.toJS() as { keys?: unknown } | null;
  const keys = root?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeyFileError(`${file}: "keys" must list at least one key (name, secret)`);
  const seen = new Set<string>();
  return keys.map((k: { name?: unknown; secret?: unknown }, i) => {
    const where = `${file}: keys[${i}]`;
    if (typeof k?.name !== 'string' || !NAME.test(k.name)) throw new KeyFileError(`${where}.name: must be 1-63 letters, digits, '.', '_' or '-'`);
    if (seen.has(k.name)) throw new KeyFileError(`${where}.name: duplicate name "${k.name}"`);
    seen.add(k.name);
    const key = typeof k.secret === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(k.secret) ? Buffer.from(k.secret, 'base64') : undefined;
    if (!key || key.length !== 32) throw new KeyFileError(`${where}.secret: must be 32 bytes, standard base64 (head -c 32 /dev/urandom | base64)`);
    return { name: k.name, key, keyID: keyIDOf(k.name, key) };
  });
}

/** Refuses a key file other users can read or write. */
export function checkKeyFileMode(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o007) {
    throw new KeyFileError(`${file} is accessible by other users (mode ${mode.toString(8).padStart(4, '0')}): it holds the key-encryption keys; chmod 600 it`);
  }
}

export function loadKeyFile(file: string): Kek[] {
  checkKeyFileMode(file);
  return parseKeyFile(readFileSync(file, 'utf8'), file);
}

function render(keys: { name: string; secret: string }[], now: Date): string {
  return [
    '# Key-encryption keys of `opaque kms-plugin`. The first key encrypts; every key decrypts.',
    '# Rotate: `opaque kms-plugin rotate-kek --key-file <this file>` (adds a new first key), then',
    '# `opaque encryption reencrypt`, then remove the old key. Without these keys nothing stored',
    `# through the plugin can be read: back this file up. Written ${now.toISOString()}.`,
    'keys:',
    ...keys.flatMap((k) => [`  - name: ${k.name}`, `    secret: ${k.secret}`]),
    '',
  ].join('\n');
}

/** Creates the file with one fresh key when it does not exist; returns the new key's name, if any. */
export function ensureKeyFile(file: string, now = new Date()): string | undefined {
  if (existsSync(file)) return undefined;
  const name = newKekName([], now);
  replacePrivate(file, render([{ name, secret: randomBytes(32).toString('base64') }], now));
  return name;
}

/** Puts a fresh key first (it encrypts from now on); the others stay for decryption. */
export function addFirstKey(file: string, now = new Date()): Kek {
  const current = loadKeyFile(file);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const name = newKekName(current.map((k) => k.name), now);
  const secret = randomBytes(32).toString('base64');
  const seq = doc.get('keys', true);
  if (!isSeq(seq)) throw new KeyFileError(`${file}: "keys" is not a list`);
  seq.items.unshift(doc.createNode({ name, secret }));
  replacePrivate(file, doc.toString());
  return parseKeyFile(readFileSync(file, 'utf8'), file)[0]!;
}
