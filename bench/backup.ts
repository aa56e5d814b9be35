// `npm run bench:backup`: `opaque backup` and `opaque restore` of N secretbox-encrypted Secrets
// (BENCH_BACKUP_N, default 100,000), each against better-sqlite3 alone doing the same storage work on
// the same bytes in the same run:
//   backup  — through the running server (HTTPS, one revision, NDJSON, checksum, fsync, rename)
//             vs raw: read the newest row of every key and write the same NDJSON lines, fsync.
//   restore — into a fresh data dir, after checking the whole file, with the read-back check
//             vs raw: insert the same rows, 32 per fsynced transaction (as restore's 32 in flight
//             meet in group commits), then read every row back.
// Exits non-zero only when something failed, never for the ratios.

import { closeSync, copyFileSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { cleanup, ROOT, run, startOpaque, type Opaque } from '../test/helpers/opaque.js';
import { fillDatabase, secretboxConfig } from './lib/reencrypt-data.js';

const N = Number(process.env['BENCH_BACKUP_N'] ?? 100_000);
const work = mkdtempSync(join(tmpdir(), 'opaque-bench-backup-'));
let opaque: Opaque | undefined;

const opaqueCmd = (args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), ...args], { timeoutMs: 30 * 60_000 });
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function timed(what: string, args: string[]): Promise<number> {
  log(what);
  const t0 = performance.now();
  const r = await opaqueCmd(args);
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return seconds;
}

/** The newest row of every key, written as the backup's NDJSON lines, then fsynced. */
function rawBackup(db: string, out: string): number {
  const t0 = performance.now();
  const d = new Database(db, { readonly: true });
  const fd = openSync(out, 'w', 0o600);
  try {
    const rows = d.prepare(`SELECT l.key, l.value FROM log l JOIN (SELECT key, MAX(rev) AS mrev FROM log GROUP BY key) m ON l.rev = m.mrev
      WHERE l.deleted = 0 ORDER BY l.key`).iterate() as IterableIterator<{ key: string; value: Buffer }>;
    let chunk = '';
    for (const r of rows) {
      chunk += `${JSON.stringify({ key: r.key, value: r.value.toString('base64') })}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    d.close();
  }
  return (performance.now() - t0) / 1000;
}

/** The same rows inserted 32 per fsynced transaction into a fresh database, then read back. */
function rawRestore(lines: { key: string; value: Buffer }[], db: string): number {
  const t0 = performance.now();
  const d = new Database(db);
  try {
    d.pragma('journal_mode = WAL');
    d.pragma('synchronous = FULL');
    d.exec('CREATE TABLE log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value BLOB); CREATE INDEX log_key_rev ON log (key, rev);');
    const insert = d.prepare('INSERT INTO log (key, value) VALUES (?, ?)');
    const group = d.transaction((rows: typeof lines) => rows.forEach((r) => insert.run(r.key, r.value)));
    for (let i = 0; i < lines.length; i += 32) group(lines.slice(i, i + 32));
    const get = d.prepare<[string], { value: Buffer }>('SELECT value FROM log WHERE key = ? ORDER BY rev DESC LIMIT 1');
    for (const r of lines) if (!get.get(r.key)!.value.equals(r.value)) throw new Error(`raw read-back differs at ${r.key}`);
  } finally {
    d.close();
  }
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const config = secretboxConfig([{ name: 'k1', secret: Buffer.alloc(32, 7).toString('base64') }]);
  log(`writing ${N} secretbox-encrypted Secrets...`);
  await fillDatabase(dataDir, config, N, log);
  writeFileSync(join(dataDir, 'encryption.yaml'), config, { mode: 0o600 });
  copyFileSync(join(dataDir, 'opaque.db'), join(work, 'raw.db'));

  opaque = await startOpaque({ dataDir, env: { OPAQUE_TEST_BACKEND: 'sqlite' } });
  const file = join(work, 'opaque.backup');
  const backupS = await timed(`opaque backup of ${N} Secrets...`, ['backup', '-o', file, '--kubeconfig', opaque.kubeconfig]);
  await cleanup(opaque, false);
  opaque = undefined;
  const objects = JSON.parse(readFileSync(file, 'utf8').slice(0, 4096).split('\n')[0]!).count as number;

  log('raw: better-sqlite3 read + the same NDJSON lines written and fsynced...');
  const rawBackupS = rawBackup(join(work, 'raw.db'), join(work, 'raw.backup'));

  const restoreS = await timed(`opaque restore of ${objects} objects...`, ['restore', '--from', file, '--to', join(work, 'restored')]);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1, -1).map((l) => {
    const o = JSON.parse(l) as { key: string; value: string };
    return { key: o.key, value: Buffer.from(o.value, 'base64') };
  });
  log('raw: better-sqlite3 insert of the same rows, 32 per commit, and read back...');
  const rawRestoreS = rawRestore(lines, join(work, 'raw-restored.db'));

  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
  const mb = (statSync(file).size / 1_048_576).toFixed(1);
  process.stdout.write([
    '',
    `Backup bench: ${objects} objects (${N} secretbox-encrypted Secrets and the default policy), backup file ${mb} MB; 1-min load average before the run ${loadBefore.toFixed(2)} on ${availableParallelism()} cores`,
    '',
    `BACKUP   opaque ${backupS.toFixed(2)} s = ${rate(objects, backupS)} objects/s   raw sqlite read + NDJSON write ${rawBackupS.toFixed(2)} s = ${rate(objects, rawBackupS)}/s   ratio ${(rawBackupS / backupS).toFixed(3)}`,
    `RESTORE  opaque ${restoreS.toFixed(2)} s = ${rate(objects, restoreS)} objects/s   raw sqlite insert (32/commit) + read back ${rawRestoreS.toFixed(2)} s = ${rate(objects, rawRestoreS)}/s   ratio ${(rawRestoreS / restoreS).toFixed(3)}`,
    '',
  ].join('\n'));
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    if (opaque) await cleanup(opaque, false);
    rmSync(work, { recursive: true, force: true });
  });
