// `opaque backup -o FILE`: a consistent backup of a running server (either engine) through its API,
// written aside, checked against the server's own count and checksum, flushed to disk and only then
// renamed into place (0600). `opaque restore --from FILE --to <data-dir|etcd://…>`: checks the whole
// file first, writes nothing from a damaged one, then copies and reads everything back. Neither
// touches keys: values stay as they were stored (encrypted), and the encryption configuration (or the
// KMS) that wrote them is needed to read them after a restore.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { readEntries, verifyBackup, type BackupHeader } from '../storage/backup-format.js';
import { copyAll } from '../storage/migrate.js';
import { call, connect, findKubeconfig } from './client.js';
import { openLocation } from './migrate.js';
import { Progress } from './progress.js';

const KEYS_NOTE = (h: BackupHeader) => h.secrets === 'identity'
  ? 'WARNING: Secrets were stored unencrypted (identity) on this server, so they are plaintext in this file'
  : `Secrets in it are encrypted as stored (${h.secrets}); the file holds no keys: keep the encryption configuration (or KMS) that wrote them to read them after a restore`;

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

async function backup(o: { output: string; kubeconfig?: string }): Promise<void> {
  const target = resolve(o.output);
  const partial = `${target}.partial`;
  const conn = connect(findKubeconfig(o.kubeconfig));
  const res = await call(conn, 'GET', '/opaque/v1/backup');
  // A fresh file, 0600 whatever a crashed run left behind.
  rmSync(partial, { force: true });
  const fd = openSync(partial, 'wx', 0o600);
  let done = false;
  try {
    // The bytes go to disk as they come; the header's count drives the progress, and the format's
    // own reader checks the whole file (end marker, count, checksum) before it is renamed into place.
    const progress = new Progress(process.stdout, 'backup');
    let head = '';
    let total: number | undefined;
    let newlines = 0;
    res.on('aborted', () => res.destroy(new Error('the server ended the backup early')));
    for await (const chunk of res as AsyncIterable<Buffer>) {
      writeSync(fd, chunk);
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      if (total === undefined) {
        head += chunk.toString('utf8');
        const nl = head.indexOf('\n');
        if (nl >= 0) total = Number(JSON.parse(head.slice(0, nl)).count) || 0;
      }
      if (total !== undefined) progress.update(Math.min(Math.max(newlines - 1, 0), total), total, '');
    }
    fsyncSync(fd);
    closeSync(fd);
    done = true;
    const header = await verifyBackup(partial).catch((err: Error) => {
      rmSync(partial, { force: true });
      throw new Error(`the backup arrived incomplete or damaged (${err.message}); nothing was kept`);
    });
    renameSync(partial, target);
    // The rename itself durable too: the directory entry reaches the disk.
    const dir = openSync(dirname(target), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    progress.finish(`backed up ${header.count} objects (revision ${header.revision}, ${mb(statSync(target).size)}) to ${o.output}`);
    process.stdout.write(`${KEYS_NOTE(header)}\n`);
  } finally {
    if (!done) {
      closeSync(fd);
      rmSync(partial, { force: true });
    }
  }
}

async function restore(o: { from: string; to: string; force: boolean; etcdCafile?: string; etcdCertfile?: string; etcdKeyfile?: string }): Promise<void> {
  const file = resolve(o.from);
  process.stdout.write(`checking ${o.from}...\n`);
  const header = await verifyBackup(file);
  const dst = openLocation(o.to, o, 'target');
  try {
    const progress = new Progress(process.stdout, 'restore');
    const res = await copyAll({ total: header.count, pages: () => readEntries(file) }, dst.backend, {
      prefix: header.prefix, force: o.force, onProgress: (n, total) => progress.update(n, total, ''),
    });
    progress.finish(
      `restored ${res.copied} objects under ${header.prefix} from ${o.from} (taken ${header.created}, revision ${header.revision}) into ${dst.label}` +
        `${res.overwritten ? ` (${res.overwritten} overwritten)` : ''}; verified ${res.verified} by reading them back`,
    );
    process.stdout.write(`${KEYS_NOTE(header)}\n`);
  } finally {
    await dst.backend.close();
  }
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('write a consistent backup of a running server (every stored object, values as stored: encrypted) to a file')
    .requiredOption('-o, --output <file>', 'the backup file (written aside, then renamed into place; mode 0600)')
    .option('--kubeconfig <file>', 'kubeconfig of a cluster admin (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig)')
    .action(backup);
  program
    .command('restore')
    .description('write the objects of a backup file into a data dir (embedded SQLite) or etcd, after checking the whole file')
    .requiredOption('--from <file>', 'a file written by opaque backup')
    .requiredOption('--to <location>', 'target: a data dir, or etcd://host:port[,host:port...]')
    .option('--etcd-cafile <file>', 'CA bundle for etcd over TLS (the etcd URLs then use https)')
    .option('--etcd-certfile <file>', 'client certificate for etcd')
    .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
    .option('--force', 'write into a target that already holds objects: same keys are overwritten, others kept', false)
    .addHelpText('after', `
Stop every server using the target first (a data dir in use is refused). Objects go back under the
keys (and storage prefix) they had: encrypted values are bound to them. Start the server on the
target with the encryption configuration that wrote them (<data-dir>/encryption.yaml or
--encryption-provider-config), and with the old pki/ if existing kubeconfigs should keep working.

Example:
  opaque backup -o opaque-2026-11-30.backup
  opaque restore --from opaque-2026-11-30.backup --to ./opaque-data-restored
  cp opaque-data/encryption.yaml opaque-data-restored/ && cp -r opaque-data/pki opaque-data-restored/`)
    .action(restore);
}
