// Compaction as kube-apiserver does it on a shared etcd: every interval, a transaction compares the
// version of `compact_rev_key` with the one this server last saw. Only one server per interval wins
// it; the winner records the revision it compacts to and compacts to the revision that won the
// previous interval, so every revision lives at least one full interval (watchers and continue
// tokens have that long). A loser learns the current version and competes again next interval.

import type { Etcd3 } from 'etcd3';
import { CompareResult, CompareTarget } from 'etcd3';
import type { Logger } from 'pino';
import { COMPACT_KEY } from './backend.js';

export interface CompactState {
  /** The compact key's version as this server last saw it (kube's compactTime). */
  time: number;
  /** The revision to compact to at the next win. */
  rev: number;
}

export async function compactOnce(client: Etcd3, s: CompactState, log: Logger): Promise<CompactState> {
  const key = Buffer.from(COMPACT_KEY);
  const res = await client.kv.txn({
    compare: [{ key, target: CompareTarget.Version, result: CompareResult.Equal, version: s.time }],
    success: [{ request_put: { key, value: Buffer.from(String(s.rev)) } }],
    failure: [{ request_range: { key } }],
  });
  const curRev = Number(res.header.revision);
  if (!res.succeeded) {
    const kv = res.responses[0]?.response_range.kvs[0];
    return { time: kv ? Number(kv.version) : 0, rev: curRev };
  }
  if (s.rev > 0) {
    try {
      await client.kv.compact({ revision: s.rev, physical: false });
      log.debug({ rev: s.rev }, 'compacted etcd');
    } catch (err) {
      if (!/required revision has been compacted/.test((err as Error).message)) throw err;
    }
  }
  return { time: s.time + 1, rev: curRev };
}

/** Runs compactOnce every interval while `active()` (this server leads the controllers). */
export function startEtcdCompactor(client: Etcd3, intervalMs: number, log: Logger, active: () => boolean): () => void {
  let state: CompactState = { time: 0, rev: 0 };
  let running = false;
  const timer = setInterval(async () => {
    if (running || !active()) return;
    running = true;
    try {
      state = await compactOnce(client, state, log);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'compaction failed');
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
