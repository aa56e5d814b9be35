// Starts a real `opaque kms-plugin` process on a unix socket with its own key file, for tests that
// run `opaque server` with a kms v2 provider; and reads what a kms v2 value holds, independently of
// the server's code (a protobuf wire reader and node:crypto), to prove the stored format.

import { spawn, type ChildProcess } from 'node:child_process';
import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './opaque.js';

const BIN = join(ROOT, 'bin', 'opaque.js');

export interface KmsPlugin {
  socket: string;
  keyFile: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export async function startKmsPlugin(socket: string, keyFile: string): Promise<KmsPlugin> {
  const proc = spawn(process.execPath, [BIN, 'kms-plugin', '--socket', socket, '--key-file', keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  proc.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`kms-plugin did not start: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('serving KMS v2')) {
        clearTimeout(t);
        res();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`kms-plugin exited with ${code}: ${err}`));
    });
  });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return {
    socket, keyFile, proc, stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** An EncryptionConfiguration for secrets: the given providers (YAML list items), in order. */
export function writeEncryptionConfig(file: string, providers: string[]): void {
  const text = [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    ...providers.map((p) => p.split('\n').map((l, i) => (i === 0 ? `      - ${l}` : `        ${l}`)).join('\n')),
    '',
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export const kmsProvider = (name: string, socket: string) => `kms:\n  apiVersion: v2\n  name: ${name}\n  endpoint: unix://${socket}\n  timeout: 2s`;

// --- an independent reader of kms v2 values ------------------------------------------------------

function varint(b: Buffer, o: { i: number }): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    const x = b[o.i++]!;
    n += (x & 0x7f) * mul;
    if (!(x & 0x80)) return n;
    mul *= 128;
  }
}

export interface RawEncryptedObject {
  encryptedData: Buffer;
  keyID: string;
  encryptedDEKSource: Buffer;
  annotations: number;
  encryptedDEKSourceType: number;
}

/** Protobuf wire format by hand: fields 1, 3 bytes; 2 string; 4 map entries; 5 varint enum. */
export function parseEncryptedObject(b: Buffer): RawEncryptedObject {
  const o = { i: 0 };
  const r: RawEncryptedObject = { encryptedData: Buffer.alloc(0), keyID: '', encryptedDEKSource: Buffer.alloc(0), annotations: 0, encryptedDEKSourceType: 0 };
  while (o.i < b.length) {
    const tag = varint(b, o);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint(b, o);
      if (field === 5) r.encryptedDEKSourceType = v;
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire} for field ${field}`);
    const len = varint(b, o);
    const v = b.subarray(o.i, o.i + len);
    o.i += len;
    if (field === 1) r.encryptedData = v;
    else if (field === 2) r.keyID = v.toString('utf8');
    else if (field === 3) r.encryptedDEKSource = v;
    else if (field === 4) r.annotations++;
    else throw new Error(`unexpected field ${field}`);
  }
  return r;
}

function gcmOpen(key: Buffer, nonce: Buffer, body: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(body), d.final()]);
}

/** Opens a stored kms v2 value with the plugin's key file: seed from the KEK, DEK by HMAC, then GCM. */
export function openKmsValue(stored: Buffer, providerName: string, keyFile: string, storageKey: string): { plain: Buffer; keyID: string; obj: RawEncryptedObject } {
  const prefix = `k8s:enc:kms:v2:${providerName}:`;
  if (stored.subarray(0, prefix.length).toString() !== prefix) throw new Error(`value does not start with ${prefix}`);
  const obj = parseEncryptedObject(stored.subarray(prefix.length));
  const keys = parse(readFileSync(keyFile, 'utf8')).keys as { name: string; secret: string }[];
  // The plugin's documented key id: <name>.<16 hex of HMAC-SHA256(key, "opaque kms-plugin key id")>
  const kek = keys.map((k) => ({ ...k, key: Buffer.from(k.secret, 'base64') }))
    .find((k) => `${k.name}.${createHmac('sha256', k.key).update('opaque kms-plugin key id').digest('hex').slice(0, 16)}` === obj.keyID);
  if (!kek) throw new Error(`no key in ${keyFile} has key id ${obj.keyID}`);
  const c = obj.encryptedDEKSource; // 0x01 || nonce(12) || ct || tag(16), AAD = key id
  const seed = gcmOpen(kek.key, c.subarray(1, 13), c.subarray(13, c.length - 16), c.subarray(c.length - 16), Buffer.from(obj.keyID));
  const d = obj.encryptedData; // info(32) || nonce(12) || ct || tag(16)
  const info = d.subarray(0, 32);
  const dek = createHmac('sha256', seed).update(Buffer.concat([info, Buffer.of(1)])).digest();
  const plain = gcmOpen(dek, d.subarray(32, 44), d.subarray(44, d.length - 16), d.subarray(d.length - 16), Buffer.from(storageKey));
  return { plain, keyID: obj.keyID, obj };
}
