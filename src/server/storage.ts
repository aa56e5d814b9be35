// The storage side of the composition root: the engine (embedded SQLite in the data dir, or an etcd
// cluster from --etcd-servers), who leads the background controllers, and the compaction loop.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Gauge, type Registry as MetricsRegistry } from 'prom-client';
import { SoleLeader, type Leadership } from '../controllers/leadership.js';
import type { Backend } from '../storage/backend.js';
import { EtcdBackend } from '../storage/etcd/backend.js';
import { connectEtcd, type EtcdConnection } from '../storage/etcd/client.js';
import { startEtcdCompactor } from '../storage/etcd/compactor.js';
import { EtcdLeaderElection } from '../storage/etcd/election.js';
import { SqliteBackend } from '../storage/sqlite/backend.js';

export interface StorageSetup {
  backend: Backend;
  leadership: Leadership;
  /** Starts compacting old revisions every interval while this server leads; returns the stop. */
  startCompaction(intervalMs: number): () => void;
}

export function openStorage(o: { dataDir: string; etcd?: EtcdConnection; storagePrefix: string }, log: Logger, metrics: MetricsRegistry): StorageSetup {
  const identity = `${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
  let setup: StorageSetup;
  if (o.etcd) {
    const client = connectEtcd(o.etcd, log);
    new Gauge({
      name: 'opaque_etcd_member_answering',
      help: 'Whether an etcd member answers calls (1) or has stopped answering and is avoided until it does (0).',
      labelNames: ['member'],
      registers: [metrics],
      collect() {
        for (const m of client.health.members()) this.set({ member: m.host }, m.answering ? 1 : 0);
      },
    });
    const leadership = new EtcdLeaderElection(client, `/opaque-leader${o.storagePrefix}/controllers`, identity, log);
    setup = {
      backend: new EtcdBackend(client),
      leadership,
      startCompaction: (ms) => startEtcdCompactor(client, ms, log, () => leadership.isLeader()),
    };
  } else {
    const backend = new SqliteBackend(join(o.dataDir, 'opaque.db'));
    setup = { backend, leadership: new SoleLeader(identity), startCompaction: (ms) => startLocalCompaction(backend, ms, log) };
  }
  const leadership = setup.leadership;
  const engine = o.etcd ? 'etcd' : 'sqlite';
  new Gauge({
    name: 'opaque_storage_engine',
    help: 'The storage engine objects are kept in (the engine label; the value is always 1).',
    labelNames: ['engine'],
    registers: [metrics],
    collect() {
      this.set({ engine }, 1);
    },
  });
  new Gauge({
    name: 'opaque_controllers_leader',
    help: 'Whether this server runs the background controllers (1) or another server does (0); the identity label names this server.',
    labelNames: ['identity'],
    registers: [metrics],
    collect() {
      this.set({ identity }, leadership.isLeader() ? 1 : 0);
    },
  });
  return setup;
}

/** Like kube-apiserver: every interval, compact to the revision seen one interval earlier. */
function startLocalCompaction(backend: Backend, intervalMs: number, log: Logger): () => void {
  let previous = 0;
  const timer = setInterval(async () => {
    try {
      if (previous > 0) await backend.compact(previous);
      previous = await backend.currentRevision();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'compaction failed');
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
