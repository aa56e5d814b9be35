// The audit log file: lumberjack's rotation (names, the size rule, retention by count and by age),
// 0600 files, nothing lost or torn across rotations, and close() writing out what is queued.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter } from '../../src/audit/log-writer.js';
import { backupName, listBackups, pruneBackups } from '../../src/audit/rotation.js';

/** Runs a test body in a fresh temporary directory, removed afterwards. */
async function inTempDir(body: (d: string) => unknown): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'opaque-auditlog-'));
  try {
    await body(d);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
const line = (i: number, pad = 100) => `{"n":${i},"pad":"${'x'.repeat(pad)}"}\n`;

test('backup names follow lumberjack: <name>-<UTC 2006-01-02T15-04-05.000><ext>', () => {
  assert.equal(backupName('/var/log/audit.log', new Date('2026-11-30T13:40:00.000Z')), '/var/log/audit-2026-11-30T13-40-00.000.log');
  assert.equal(backupName('/var/log/audit', new Date('2026-11-30T13:40:00.123Z')), '/var/log/audit-2026-11-30T13-40-00.123');
});

test('rotation keeps every line whole and in order across files; maxbackup is honoured', () => inTempDir(async (d) => {
  const path = join(d, 'audit.log');
  const errors: string[] = [];
  // 1 KB files, each line ~115 bytes: 8 lines per file.
  const w = new LogWriter({ path, maxSizeMB: 1 / 1024, maxBackups: 3, maxAgeDays: 0, onError: (m) => errors.push(m) });
  for (let i = 0; i < 100; i++) w.write(line(i));
  await w.flush();
  for (let i = 100; i < 120; i++) w.write(line(i));
  await w.close();
  await new Promise((r) => setTimeout(r, 50)); // pruning runs just after a rotation
  const backups = listBackups(path);
  assert.equal(backups.length, 3, readdirSync(d).join(' '));
  const files = [...backups.map((b) => b.file), path];
  const numbers: number[] = [];
  for (const f of files) {
    assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.ok(statSync(f).size <= 1024, `${f} is ${statSync(f).size} bytes`);
    for (const l of readFileSync(f, 'utf8').split('\n').filter(Boolean)) numbers.push(JSON.parse(l).n);
  }
  // The newest lines survive, contiguous and in order, ending with the last one written.
  assert.equal(numbers[numbers.length - 1], 119);
  numbers.forEach((n, i) => i && assert.equal(n, numbers[i - 1]! + 1));
  assert.deepEqual(errors, []);
}));

test('an existing log is appended to, and rotated first when the next line would fill it', () => inTempDir(async (d) => {
  const path = join(d, 'audit.log');
  writeFileSync(path, 'x'.repeat(1010) + '\n', { mode: 0o600 });
  const w = new LogWriter({ path, maxSizeMB: 1 / 1024, maxBackups: 0, maxAgeDays: 0, onError: () => {} });
  w.write(line(1, 5));
  await w.close();
  assert.equal(listBackups(path).length, 1);
  assert.equal(readFileSync(path, 'utf8'), line(1, 5));

  const w2 = new LogWriter({ path, maxSizeMB: 1 / 1024, maxBackups: 0, maxAgeDays: 0, onError: () => {} });
  w2.write(line(2, 5));
  await w2.close();
  assert.equal(readFileSync(path, 'utf8'), line(1, 5) + line(2, 5), 'appended, not rotated');
}));

test('an event larger than the maximum file size is dropped and reported (lumberjack refuses it)', () => inTempDir(async (d) => {
  const path = join(d, 'audit.log');
  const errors: string[] = [];
  const w = new LogWriter({ path, maxSizeMB: 1 / 1024, maxBackups: 0, maxAgeDays: 0, onError: (m) => errors.push(m) });
  w.write(line(1, 2000));
  w.write(line(2));
  await w.close();
  assert.equal(readFileSync(path, 'utf8'), line(2));
  assert.match(errors[0]!, /^audit event dropped: write length 2017 exceeds maximum file size 1024$/);
}));

test('maxage removes backups older than the time in their name; other files are left alone', () => inTempDir(async (d) => {
  const path = join(d, 'audit.log');
  const now = Date.parse('2026-11-30T12:00:00.000Z');
  const old = backupName(path, new Date(now - 10 * 86_400_000));
  const recent = backupName(path, new Date(now - 2 * 86_400_000));
  for (const f of [path, old, recent, join(d, 'audit-notatime.log'), join(d, 'other.log')]) writeFileSync(f, '');
  assert.deepEqual(pruneBackups(path, { maxBackups: 0, maxAgeDays: 7 }, now), [old]);
  assert.deepEqual(readdirSync(d).sort(), ['audit-notatime.log', recent.slice(d.length + 1), 'audit.log', 'other.log'].sort());
}));

test('close() writes what is queued; later events are written at once', () => inTempDir(async (d) => {
  const path = join(d, 'audit.log');
  const w = new LogWriter({ path, maxSizeMB: 100, maxBackups: 0, maxAgeDays: 0, onError: () => {} });
  for (let i = 0; i < 1000; i++) w.write(line(i, 10));
  await w.close();
  w.write(line(1000, 10));
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 1001);
}));
