// Context for the create rate: how fast better-sqlite3 alone commits one small row per transaction
// with Opaque's pragmas (WAL, synchronous=FULL, exclusive locking) on a temp file in the same
// filesystem as Opaque's data dir. Each commit fsyncs the WAL, as each Opaque create does.

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export function sqliteInsertRate(dir: string, warmupMs: number, durationMs: number): { rps: number; inserts: number } {
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value BLOB); CREATE INDEX log_key_rev ON log (key, rev);');
    const insert = db.prepare('INSERT INTO log (key, value) VALUES (?, ?)');
    // Roughly the size of a stored small Secret.
    const value = Buffer.alloc(400, 'x');
    let i = 0;
    const run = (ms: number) => {
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < ms) {
        insert.run(`/registry/secrets/default/raw-${i++}`, value); // autocommit: one transaction per row
        n++;
      }
      return { n, seconds: (performance.now() - start) / 1000 };
    };
    run(warmupMs);
    const { n, seconds } = run(durationMs);
    return { rps: n / seconds, inserts: n };
  } finally {
    db.close();
  }
}
