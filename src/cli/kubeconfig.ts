// `opaque kubeconfig`: issues a client certificate from the data dir's CA (CN = user, O = groups,
// as Kubernetes reads them) and writes a kubeconfig for it. Run it where the server's data dir is:
// it needs the CA key. The new user can do nothing until RBAC grants it something.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parse } from 'yaml';
import { issueCertificate, loadCA } from '../pki/certs.js';
import { kubeconfigYaml, type KubeconfigInput } from '../pki/kubeconfig.js';
import { writePrivate } from '../pki/files.js';
import { collect, daysOption } from './options.js';

/** The server URL the admin kubeconfig points at (written by the server at every start). */
function serverFromAdminKubeconfig(dataDir: string): string {
  const file = join(dataDir, 'admin.kubeconfig');
  if (!existsSync(file)) throw new Error(`${file} not found: start the server once, or pass --server`);
  const server = parse(readFileSync(file, 'utf8'))?.clusters?.[0]?.cluster?.server;
  if (!server) throw new Error(`${file} has no server address; pass --server`);
  return server;
}

export function registerKubeconfigCommand(program: Command): void {
  program
    .command('kubeconfig')
    .description('issue a client certificate for a user (CN = user, O = groups) and print a kubeconfig for it')
    .requiredOption('--user <name>', 'user name (the certificate CN)')
    .addOption(new Option('--group <name>', 'group (the certificate O); repeat for several').argParser(collect).default([], 'none'))
    .option('--data-dir <dir>', "the server's data dir, holding pki/ca.crt and pki/ca.key", './opaque-data')
    .option('--server <url>', 'server URL (default: the one in <data-dir>/admin.kubeconfig)')
    .option('--namespace <ns>', 'default namespace of the context')
    .option('--days <n>', 'certificate lifetime in days', daysOption(1, 3650), 365)
    .option('-o, --output <file>', 'write the kubeconfig here (mode 0600) instead of stdout')
    .action(async (o: { user: string; group: string[]; dataDir: string; server?: string; namespace?: string; days: number; output?: string }) => {
      if (!o.user.trim()) throw new Error('--user must not be empty');
      if (o.group.includes('system:masters')) process.stderr.write('warning: system:masters bypasses every authorization check\n');
      const dataDir = resolve(o.dataDir);
      const pki = join(dataDir, 'pki');
      const caPem = readFileSync(join(pki, 'ca.crt'), 'utf8');
      const ca = await loadCA(caPem, readFileSync(join(pki, 'ca.key'), 'utf8'));
      const pair = await issueCertificate(ca, { commonName: o.user, organizations: o.group, usage: 'client', validDays: o.days });
      const input: KubeconfigInput = {
        server: o.server ?? serverFromAdminKubeconfig(dataDir), caPem, user: o.user, clientCertPem: pair.cert, clientKeyPem: pair.key,
      };
      if (o.namespace) input.namespace = o.namespace;
      const yaml = kubeconfigYaml(input);
      if (o.output) {
        writePrivate(resolve(o.output), yaml);
        process.stderr.write(`wrote ${o.output} for user "${o.user}"${o.group.length ? ` (groups ${o.group.join(', ')})` : ''}\n`);
      } else {
        writeFileSync(1, yaml);
      }
    });
}
