// `opaque kms-plugin`: runs a KMS v2 plugin for `opaque server` (or kube-apiserver) with local
// key-encryption keys, and `opaque kms-plugin rotate-kek` puts a new key first in its key file.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addFirstKey } from '../kms-plugin/keyfile.js';
import { startPlugin } from '../kms-plugin/server.js';

const log = (line: string) => process.stderr.write(`opaque kms-plugin: ${line}\n`);

export function registerKmsPluginCommand(program: Command): void {
  const cmd = program.command('kms-plugin').description('a KMS v2 plugin with local key-encryption keys (AES-256-GCM), for the kms provider');

  cmd.command('serve', { isDefault: true })
    .description('serve the KMS v2 gRPC API on a unix socket (the default subcommand)')
    .requiredOption('--socket <path>', 'unix socket to listen on (endpoint: unix://<path> in the EncryptionConfiguration)')
    .requiredOption('--key-file <file>', 'key file (YAML, keys: [{name, secret}]); created 0600 with a fresh key when missing')
    .action(async (opts: { socket: string; keyFile: string }) => {
      const socket = resolve(opts.socket);
      const plugin = await startPlugin({ socket, keyFile: resolve(opts.keyFile), log });
      process.on('SIGHUP', () => plugin.reload());
      const stop = () => {
        void plugin.close().then(() => {
          log('stopped');
          process.exit(0);
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.stdout.write(`opaque kms-plugin: serving KMS v2 on unix://${socket} (active key id ${plugin.keys()[0]!.keyID})\n`);
    });

  cmd.command('rotate-kek')
    .description('put a new key-encryption key first in the key file (a running plugin picks it up at once)')
    .requiredOption('--key-file <file>', 'the plugin\'s key file')
    .action((opts: { keyFile: string }) => {
      const kek = addFirstKey(resolve(opts.keyFile));
      process.stdout.write(`new key "${kek.name}" (key id ${kek.keyID}) encrypts from now on; the previous keys still decrypt.\n`
        + 'Next: wait for the server to pick the new key id up (it checks at least every minute), run `opaque encryption reencrypt`, '
        + 'then remove the old keys from the file.\n');
    });
}
