// Data for the re-encryption bench: a data dir whose database holds N Secrets encrypted with a
// secretbox key, written in one transaction (the server's schema, the server's transformer, kube's
// byte format), and the raw storage baseline: better-sqlite3 alone reading each of those rows and
// writing it back as a new revision, one fsynced transaction per row, with the server's pragmas.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { parseEncryptionConfiguration } from '../../src/encryption/config.js';
import { createEncryptionTransformers } from '../../src/encryption/transformer.js';
import { SqliteBackend } from '../../src/storage/sqlite/backend.js';

export function secretboxConfig(keys: { name: string; secret: string }[]): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1', 'kind: EncryptionConfiguration', 'resources:', '  - resources: [secrets]', '    providers:',
    '      - secretbox:', '          keys:', ...keys.flatMap((k) => [`            - name: ${k.name}`, `              secret: ${k.secret}`]), '',
  ].join('\n');
}

/** Writes N Secrets under `config`'s write key into <dataDir>/opaque.db; returns the storage keys. */
export async function fillDatabase(dataDir: string, config: string, n: number, log: (s: string) => void): Promise<void> {
  await new SqliteBackend(join(dataDir, 'opaque.db')).close(); // creates the schema
  const t = createEncryptionTransformers(parseEncryptionConfiguration(config)).transformerFor('', 'secrets');
  const db = new Database(join(dataDir, 'opaque.db'));
  try {
    db.pragma('journal_mode = WAL');
    const insert = db.prepare('INSERT INTO log (rev, key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, 0, 0, ?)');
    const rows: [number, string, Uint8Array][] = [];
    const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (let i = 0; i < n; i++) {
      const name = `reenc-${String(i).padStart(6, '0')}`;
      const key = `/registry/secrets/default/${name}`;
      const obj = { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: 'default', uid: randomUUID(), creationTimestamp: created },
        data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from(`p-${i}`).toString('base64') }, type: 'Opaque' };
      rows.push([i + 2, key, await t.toStorage(Buffer.from(JSON.stringify(obj) + '\n'), key)]);
      if ((i + 1) % 20_000 === 0) log(`encrypted ${i + 1}/${n}`);
    }
    db.transaction(() => {
      for (const [rev, key, value] of rows) insert.run(rev, key, rev, Buffer.from(value));
      db.prepare("UPDATE meta SET value = ? WHERE name = 'rev'").run(n + 1);
    })();
  } finally {
    db.close();
  }
}

/** Reads the newest row of every key and appends a new revision of it, `perCommit` rows per transaction. */
export function rawRewriteRate(file: string, perCommit = 1): { rps: number; rows: number; seconds: number } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('locking_mode = EXCLUSIVE');
    const keys = db.prepare('SELECT DISTINCT key FROM log ORDER BY key').pluck().all() as string[];
    const latest = db.prepare<[string], { rev: number; create_rev: number; value: Buffer }>('SELECT rev, create_rev, value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1');
    const insert = db.prepare('INSERT INTO log (key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, 0, ?)');
    const rewrite = (key: string) => {
      const row = latest.get(key)!;
      insert.run(key, row.create_rev, row.rev, row.value);
    };
    const group = db.transaction((ks: string[]) => ks.forEach(rewrite));
    const start = performance.now();
    for (let i = 0; i < keys.length; i += perCommit) {
      if (perCommit === 1) rewrite(keys[i]!); // autocommit: one fsynced transaction per row
      else group(keys.slice(i, i + perCommit));
    }
    const seconds = (performance.now() - start) / 1000;
    return { rps: keys.length / seconds, rows: keys.length, seconds };
  } finally {
    db.close();
  }
}
