// Reading audit logs back (for `opaque audit`): the live file and its rotated backups streamed line
// by line in time order, cheap substring checks before parsing, and one event per request (its
// final stage) unless every stage is asked for. A 1 GB log is read in constant memory.

import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { listBackups } from './rotation.js';
import type { AuditEvent } from './types.js';

export interface AuditQuery {
  user?: string;
  namespace?: string;
  name?: string;
  verbs?: Set<string>;
  resource?: string;
  group?: string;
  /** Epoch ms bounds on requestReceivedTimestamp. */
  since?: number;
  until?: number;
  allStages?: boolean;
}

export interface Found {
  event: AuditEvent;
  line: string;
}

export interface ScanProgress {
  bytes: number;
  totalBytes: number;
  events: number;
  files: number;
}

/** The files that may hold events of the query's period, oldest first (backups, then the live log). */
export function logFiles(path: string, since?: number): string[] {
  // A backup was renamed when it filled up, so everything in it was received before that time.
  const backups = listBackups(path).filter((b) => since === undefined || b.time >= since).map((b) => b.file);
  return [...backups, path];
}

const COLLECTION_VERBS = new Set(['list', 'watch', 'deletecollection']);

export function matches(ev: AuditEvent, q: AuditQuery): boolean {
  if (q.user !== undefined && ev.user?.username !== q.user && ev.impersonatedUser?.username !== q.user) return false;
  if (q.verbs && !q.verbs.has(ev.verb)) return false;
  const ref = ev.objectRef;
  if (q.resource !== undefined) {
    if (!ref || ref.resource !== q.resource) return false;
    if (q.group !== undefined && (ref.apiGroup ?? '') !== q.group) return false;
  }
  if (q.namespace !== undefined || q.name !== undefined) {
    if (!ref) return false;
    const ns = ref.namespace ?? '';
    if (q.name !== undefined && (ref.name ?? '') !== q.name) {
      // A list or watch of the namespace (or of all namespaces) read this object too.
      if (ref.name || !COLLECTION_VERBS.has(ev.verb)) return false;
      if (q.namespace !== undefined && ns !== '' && ns !== q.namespace) return false;
    } else if (q.namespace !== undefined && ns !== q.namespace) {
      return false;
    }
  }
  if (q.since !== undefined || q.until !== undefined) {
    const t = Date.parse(ev.requestReceivedTimestamp);
    if (q.since !== undefined && t < q.since) return false;
    if (q.until !== undefined && t > q.until) return false;
  }
  return true;
}

/** kube writes ResponseStarted alone for a rejected credential; for a watch it is followed by ResponseComplete. */
function isFinal(ev: AuditEvent): boolean {
  return ev.stage === 'ResponseComplete' || ev.stage === 'Panic' || (ev.stage === 'ResponseStarted' && ev.verb !== 'watch');
}

/** `progress` is called every few thousand lines while reading, and once more (final) at the end. */
export async function* scan(files: string[], q: AuditQuery, progress?: (p: ScanProgress, final: boolean) => void): AsyncGenerator<Found> {
  const sizes = files.map((f) => {
    try {
      return statSync(f).size;
    } catch {
      return -1;
    }
  });
  const p: ScanProgress = { bytes: 0, totalBytes: sizes.reduce((a, b) => a + Math.max(0, b), 0), events: 0, files: 0 };
  // Needles that must occur in a matching line: most lines are skipped without parsing. (Not the
  // name, nor then the namespace: lists of the namespace, or of all namespaces, match without them.)
  const needles = [q.user, q.name === undefined ? q.namespace : undefined].filter((s): s is string => !!s).map((s) => JSON.stringify(s).slice(1, -1));
  const nameNeedle = q.name !== undefined ? JSON.stringify(q.name).slice(1, -1) : undefined;
  const collectionNeedles = [...COLLECTION_VERBS].map((v) => `"verb":"${v}"`);
  const pending = new Map<string, Found>();
  for (const [i, file] of files.entries()) {
    if (sizes[i]! < 0) continue;
    p.files++;
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      p.bytes += line.length + 1;
      if (!line) continue;
      p.events++;
      if ((p.events & 0x3fff) === 0) progress?.(p, false);
      if (needles.some((n) => !line.includes(n))) continue;
      if (nameNeedle && !line.includes(nameNeedle) && !collectionNeedles.some((n) => line.includes(n))) continue;
      let ev: AuditEvent;
      try {
        ev = JSON.parse(line) as AuditEvent;
      } catch {
        continue; // A torn last line (the server was killed mid-write) or a legacy-format line.
      }
      if (ev.kind !== 'Event' || !matches(ev, q)) continue;
      if (q.allStages) {
        yield { event: ev, line };
      } else if (isFinal(ev)) {
        pending.delete(ev.auditID);
        yield { event: ev, line };
      } else {
        pending.set(ev.auditID, { event: ev, line });
      }
    }
  }
  // Requests still in flight (a running watch) show their latest stage.
  yield* pending.values();
  progress?.({ ...p, bytes: p.totalBytes }, true);
}
