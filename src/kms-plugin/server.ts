// `opaque kms-plugin`: a KMS v2 plugin (v2.KeyManagementService over a unix socket) whose keys are
// local AES-256 key-encryption keys from a key file. Status answers version "v2", healthz "ok" and the
// active key's id; Encrypt wraps under the active key; Decrypt unwraps under the key the request's
// key_id names. The key file is reloaded on SIGHUP and when it changes; a broken edit keeps the keys
// in force. A stale socket left by a crash is removed; a live one (another plugin) is refused.

import { existsSync, lstatSync, unlinkSync, chmodSync, watchFile, unwatchFile } from 'node:fs';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { kmsServiceDefinition, type DecryptRequest, type EncryptRequest } from '../encryption/kms/proto.js';
import { unwrap, wrap } from './cipher.js';
import { type Kek, ensureKeyFile, loadKeyFile } from './keyfile.js';

export interface PluginOptions {
  socket: string;
  keyFile: string;
  log: (line: string) => void;
}

export interface RunningPlugin {
  keys(): Kek[];
  reload(): boolean;
  close(): Promise<void>;
}

function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function clearSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
  if (await socketInUse(path)) throw new Error(`${path} is in use by another process (is a plugin already running?)`);
  unlinkSync(path);
}

type Callback<T> = (err: Partial<grpc.StatusObject> | null, res?: T) => void;

export async function startPlugin(o: PluginOptions): Promise<RunningPlugin> {
  const created = ensureKeyFile(o.keyFile);
  if (created) o.log(`created ${o.keyFile} (mode 0600) with a new key-encryption key "${created}": back it up, nothing encrypted through this plugin can be read without it`);
  let keys = loadKeyFile(o.keyFile);

  const reload = (): boolean => {
    try {
      const next = loadKeyFile(o.keyFile);
      const changed = next[0]!.keyID !== keys[0]!.keyID;
      keys = next;
      o.log(`key file reloaded: ${keys.length} key(s), active key id ${keys[0]!.keyID}${changed ? ' (changed)' : ''}`);
      return true;
    } catch (err) {
      o.log(`key file reload failed, the previous keys stay in force: ${(err as Error).message}`);
      return false;
    }
  };

  const server = new grpc.Server();
  server.addService(kmsServiceDefinition(), {
    Status(_call: unknown, cb: Callback<object>) {
      cb(null, { version: 'v2', healthz: 'ok', key_id: keys[0]!.keyID });
    },
    Encrypt(call: { request: EncryptRequest }, cb: Callback<object>) {
      const kek = keys[0]!;
      cb(null, { ciphertext: wrap(kek, call.request.plaintext), key_id: kek.keyID, annotations: {} });
    },
    Decrypt(call: { request: DecryptRequest }, cb: Callback<object>) {
      const kek = keys.find((k) => k.keyID === call.request.key_id);
      if (!kek) {
        cb({ code: grpc.status.NOT_FOUND, details: `no key with key_id "${call.request.key_id}" in the key file (removed too early?)` });
        return;
      }
      try {
        cb(null, { plaintext: unwrap(kek, call.request.ciphertext) });
      } catch (err) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    },
  });

  await clearSocket(o.socket);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${o.socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  chmodSync(o.socket, 0o600);

  // Editors and config mounts replace the file: stat polling follows the path, not the inode.
  watchFile(o.keyFile, { interval: 1000, persistent: false }, (cur, prev) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) reload();
  });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve) => {
    unwatchFile(o.keyFile);
    const done = () => {
      try {
        unlinkSync(o.socket);
      } catch {
        // already gone
      }
      resolve();
    };
    const force = setTimeout(() => {
      server.forceShutdown();
      done();
    }, 5000);
    server.tryShutdown(() => {
      clearTimeout(force);
      done();
    });
  }));
  return { keys: () => keys, reload, close };
}
