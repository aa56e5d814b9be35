// `opaque migrate --from <data-dir|etcd://…> --to <data-dir|etcd://…>`: moves every stored object
// between the embedded engine and etcd with its stored bytes, shows progress, verifies by reading
// everything back, and prints the final count. Stop the servers on the source first.

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Backend } from '../storage/backend.js';
import { EtcdBackend } from '../storage/etcd/backend.js';
import { connectEtcd, parseEtcdServers } from '../storage/etcd/client.js';
import { migrate } from '../storage/migrate.js';
import { SqliteBackend } from '../storage/sqlite/backend.js';
import { Progress } from './progress.js';

export interface TlsOpts {
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
}

/** etcd://host:port[,host:port…] (https when TLS files are given) or a data dir. */
export function openLocation(location: string, tls: TlsOpts, role: 'source' | 'target'): { backend: Backend; label: string } {
  if (location.startsWith('etcd://')) {
    const secure = !!(tls.etcdCafile || tls.etcdCertfile);
    const hosts = location.slice('etcd://'.length);
    const servers = parseEtcdServers(hosts.split(',').map((h) => `${secure ? 'https' : 'http'}://${h}`).join(','));
    const client = connectEtcd({ servers, caFile: tls.etcdCafile, certFile: tls.etcdCertfile, keyFile: tls.etcdKeyfile });
    return { backend: new EtcdBackend(client), label: `etcd ${servers.join(',')}` };
  }
  const dir = resolve(location);
  const file = join(dir, 'opaque.db');
  if (role === 'source' && !existsSync(file)) throw new Error(`${dir} holds no Opaque database (${file} is missing)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { backend: new SqliteBackend(file), label: `data dir ${dir}` };
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('move every stored object between a data dir (embedded SQLite) and etcd, with its stored (encrypted) bytes')
    .requiredOption('--from <location>', 'source: a data dir, or etcd://host:port[,host:port...]')
    .requiredOption('--to <location>', 'target: a data dir, or etcd://host:port[,host:port...]')
    .option('--etcd-prefix <prefix>', 'key prefix on both sides', '/registry')
    .option('--etcd-cafile <file>', 'CA bundle for etcd over TLS (the etcd URLs then use https)')
    .option('--etcd-certfile <file>', 'client certificate for etcd')
    .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
    .option('--force', 'write into a target that already holds objects: same keys are overwritten, others kept', false)
    .addHelpText('after', `
Stop every server using the source first (a data dir in use is refused). Keys are the same on both
sides, so encrypted values move as they are; keep the encryption configuration (<data-dir>/encryption.yaml
or --encryption-provider-config) and pki/ with the servers that use the target. A target that already
holds objects under the prefix is refused unless --force. Everything copied is read back and compared.

Examples:
  opaque migrate --from ./opaque-data --to etcd://127.0.0.1:2379
  opaque server --data-dir ./opaque-data --etcd-servers http://127.0.0.1:2379
  opaque migrate --from etcd://127.0.0.1:2379 --to ./opaque-data-local`)
    .action(async (opts) => {
      const prefix = `${String(opts.etcdPrefix).replace(/\/+$/, '') || '/registry'}/`;
      const src = openLocation(opts.from, opts, 'source');
      let dst: ReturnType<typeof openLocation> | undefined;
      try {
        dst = openLocation(opts.to, opts, 'target');
        const progress = new Progress(process.stdout, 'migrate');
        const res = await migrate(src.backend, dst.backend, {
          prefix, force: opts.force, onProgress: (done, total) => progress.update(done, total, ''),
        });
        progress.finish(
          `migrated ${res.copied} objects from ${src.label} to ${dst.label}` +
            `${res.overwritten ? ` (${res.overwritten} overwritten)` : ''}; verified ${res.verified} by reading them back`,
        );
      } finally {
        await dst?.backend.close();
        await src.backend.close();
      }
    });
}
