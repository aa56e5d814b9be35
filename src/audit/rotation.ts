// Lumberjack's file naming and retention (gopkg.in/natefinch/lumberjack.v2, which kube-apiserver uses
// for --audit-log-path): a full log is renamed to <name>-<UTC 2006-01-02T15-04-05.000><ext> and a
// fresh file takes its place; backups beyond --audit-log-maxbackup, or older than --audit-log-maxage
// days by the time in their name, are removed.

import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface Retention {
  /** Backups to keep; 0 keeps all. */
  maxBackups: number;
  /** Days to keep backups by the time in their name; 0 keeps all. */
  maxAgeDays: number;
}

function split(path: string): { dir: string; prefix: string; ext: string } {
  const base = basename(path);
  const ext = extname(base);
  return { dir: dirname(path), prefix: `${base.slice(0, base.length - ext.length)}-`, ext };
}

export function backupName(path: string, at: Date): string {
  const { dir, prefix, ext } = split(path);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return join(dir, `${prefix}${stamp}${ext}`);
}

const STAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}\.\d{3})$/;

/** Rotated files of the log at `path`, oldest first, with the time in their name. */
export function listBackups(path: string): { file: string; time: number }[] {
  const { dir, prefix, ext } = split(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { file: string; time: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.endsWith(`${ext}.gz`) ? name.slice(prefix.length, -(ext.length + 3)) : name.endsWith(ext) ? name.slice(prefix.length, name.length - ext.length) : undefined;
    const m = rest !== undefined ? STAMP.exec(rest) : null;
    if (!m) continue;
    out.push({ file: join(dir, name), time: Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Lumberjack's millRunOnce without compression: returns the files it removed. */
export function pruneBackups(path: string, r: Retention, now = Date.now()): string[] {
  if (!r.maxBackups && !r.maxAgeDays) return [];
  const newestFirst = listBackups(path).reverse();
  const remove = new Set<string>();
  if (r.maxBackups > 0 && r.maxBackups < newestFirst.length) {
    for (const b of newestFirst.slice(r.maxBackups)) remove.add(b.file);
  }
  if (r.maxAgeDays > 0) {
    const cutoff = now - r.maxAgeDays * 24 * 3600 * 1000;
    for (const b of newestFirst) if (b.time < cutoff) remove.add(b.file);
  }
  for (const f of remove) {
    try {
      unlinkSync(f);
    } catch {
      // Already gone: nothing to do.
    }
  }
  return [...remove];
}
