// The backup file: NDJSON, one line per stored object with its stored bytes (values stay encrypted as
// they are at rest; the file holds no keys), between a header and a trailer that make a cut-off or
// altered file detectable before anything is restored:
//   {"kind":"OpaqueBackup","version":1,"prefix":"/registry/","revision":N,"count":C,"created":"…","secrets":"<write key>"}
//   {"key":"/registry/secrets/default/db","value":"<base64>"}            × C, in key order
//   {"kind":"OpaqueBackupEnd","count":C,"sha256":"<hex of every key NUL value NUL>"}
// Keys keep their prefix: encrypted values bind their storage key as additional data, so they are
// restored under the same keys or not at all.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { KV } from './backend.js';

export const BACKUP_KIND = 'OpaqueBackup';
export const BACKUP_END_KIND = 'OpaqueBackupEnd';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  kind: typeof BACKUP_KIND;
  version: number;
  prefix: string;
  revision: number;
  count: number;
  created: string;
  /** How Secrets were being written when the backup was taken (a provider prefix, or identity). */
  secrets: string;
}

export interface BackupTrailer {
  kind: typeof BACKUP_END_KIND;
  count: number;
  sha256: string;
}

/** The running digest both ends compute over the entries. */
export class BackupDigest {
  private readonly hash: Hash = createHash('sha256');
  count = 0;

  add(key: string, value: Uint8Array): void {
    this.hash.update(key).update('\0').update(value).update('\0');
    this.count++;
  }

  trailer(): BackupTrailer {
    return { kind: BACKUP_END_KIND, count: this.count, sha256: this.hash.digest('hex') };
  }
}

export const entryLine = (key: string, value: Uint8Array) => `${JSON.stringify({ key, value: Buffer.from(value).toString('base64') })}\n`;

export class BackupFormatError extends Error {}

const lines = (file: string) => createInterface({ input: createReadStream(file), crlfDelay: Infinity });

/** The first line of a backup file as its header (undefined: the file is empty). */
function parseHeader(line: string | undefined, file: string): BackupHeader {
  if (line === undefined) throw new BackupFormatError(`${file} is empty`);
  let h: BackupHeader;
  try {
    h = JSON.parse(line);
  } catch {
    throw new BackupFormatError(`${file} is not an Opaque backup (its first line is not JSON)`);
  }
  if (h.kind !== BACKUP_KIND) throw new BackupFormatError(`${file} is not an Opaque backup (no OpaqueBackup header)`);
  if (h.version !== BACKUP_VERSION) throw new BackupFormatError(`${file} is an Opaque backup of format version ${h.version}; this opaque reads version ${BACKUP_VERSION}`);
  return h;
}

export async function readHeader(file: string): Promise<BackupHeader> {
  for await (const line of lines(file)) return parseHeader(line, file);
  return parseHeader(undefined, file);
}

/**
 * The file's entries in pages, checked as they are read: every line an entry under the header's
 * prefix, in strictly increasing key order, then a trailer whose count and digest match. Pages are
 * handed out before the end is checked: callers that write them run verifyBackup() first (a file
 * changed between the two passes still fails, at its end).
 */
export async function* readEntries(file: string, pageSize = 500): AsyncGenerator<KV[]> {
  let header: BackupHeader | undefined;
  const digest = new BackupDigest();
  let page: KV[] = [];
  let trailer: BackupTrailer | undefined;
  let lineNo = 0;
  let last = '';
  for await (const line of lines(file)) {
    lineNo++;
    if (!header) {
      header = parseHeader(line, file);
      continue;
    }
    if (trailer) throw new BackupFormatError(`${file}: line ${lineNo} follows the end marker`);
    let o: { key?: unknown; value?: unknown; kind?: unknown };
    try {
      o = JSON.parse(line);
    } catch {
      throw new BackupFormatError(`${file}: line ${lineNo} is not JSON (the file is damaged)`);
    }
    if (o.kind === BACKUP_END_KIND) {
      trailer = o as BackupTrailer;
      continue;
    }
    if (typeof o.key !== 'string' || typeof o.value !== 'string' || !o.key.startsWith(header.prefix) || o.key <= last) {
      throw new BackupFormatError(`${file}: line ${lineNo} is not an entry under ${header.prefix} in key order (the file is damaged)`);
    }
    last = o.key;
    const value = Buffer.from(o.value, 'base64');
    digest.add(o.key, value);
    page.push({ key: o.key, value, modRev: 0, createRev: 0 });
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (!header) return void parseHeader(undefined, file);
  if (!trailer) throw new BackupFormatError(`${file} ends before its end marker: the backup is incomplete`);
  const mine = digest.trailer();
  if (trailer.count !== mine.count || trailer.count !== header.count) {
    throw new BackupFormatError(`${file} holds ${mine.count} entries; its header says ${header.count} and its end marker ${trailer.count}`);
  }
  if (trailer.sha256 !== mine.sha256) throw new BackupFormatError(`${file}: the entries do not match their checksum (the file was altered or damaged)`);
  if (page.length) yield page;
}

/** One full pass over the file: resolves with its header only if every entry and the end marker check out. */
export async function verifyBackup(file: string): Promise<BackupHeader> {
  const header = await readHeader(file);
  for await (const page of readEntries(file)) void page;
  return header;
}
