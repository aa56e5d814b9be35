// GET /opaque/v1/backup — every stored object under the storage prefix, with its stored (encrypted)
// bytes, read at one revision (a consistent snapshot while clients keep writing), streamed as the
// backup format of storage/backup-format.ts. A non-resource path: RBAC grants it to cluster admins,
// and the audit log records who took a backup.

import type { FastifyReply } from 'fastify';
import type { LiveEncryption } from '../../encryption/live.js';
import type { Registry } from '../../registry/index.js';
import { BACKUP_KIND, BACKUP_VERSION, BackupDigest, entryLine, type BackupHeader } from '../../storage/backup-format.js';
import { openStream } from '../respond.js';

const PAGE = 500;

export async function streamBackup(registry: Registry, live: LiveEncryption, reply: FastifyReply, signal: AbortSignal): Promise<void> {
  const prefix = `${registry.prefix}/`;
  const backend = registry.backend;
  const revision = await backend.currentRevision();
  const count = await backend.count(prefix, { rev: revision });
  const secrets = live.transformers.transformerFor('', 'secrets').writeTarget;
  const header: BackupHeader = {
    kind: BACKUP_KIND, version: BACKUP_VERSION, prefix, revision, count, created: new Date().toISOString(),
    secrets: secrets.provider === 'identity' ? 'identity' : secrets.prefix.replace(/:$/, ''),
  };
  const raw = openStream(reply, { 'Content-Type': 'application/x-ndjson' });
  let gone = false;
  raw.on('close', () => (gone = true));
  // A client that stops reading must not hold a shutting-down server: end the stream on abort.
  const onAbort = () => raw.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  raw.once('close', () => signal.removeEventListener('abort', onAbort));
  // Respect the client's pace: a slow disk on the other end must not fill this server's memory.
  const write = async (text: string) => {
    if (raw.write(text) || gone) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  };
  await write(`${JSON.stringify(header)}\n`);
  const digest = new BackupDigest();
  let after: string | undefined;
  for (;;) {
    if (gone || signal.aborted) {
      raw.destroy();
      return;
    }
    // A revision compacted away mid-backup fails the read; the client sees a cut-off file and refuses it.
    const page = await backend.range(prefix, { rev: revision, startAfter: after, limit: PAGE }).catch((err: Error) => err);
    if (page instanceof Error) {
      raw.destroy(page);
      return;
    }
    let chunk = '';
    for (const kv of page.kvs) {
      digest.add(kv.key, kv.value);
      chunk += entryLine(kv.key, kv.value);
    }
    await write(chunk);
    if (!page.more || !page.kvs.length) break;
    after = page.kvs.at(-1)!.key;
  }
  raw.end(`${JSON.stringify(digest.trailer())}\n`);
}
