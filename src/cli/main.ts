// The `opaque` command line: one subcommand per file, wired here.

import { Command } from 'commander';
import { registerAuditCommand } from './audit.js';
import { registerBackupCommands } from './backup.js';
import { registerCheckCommand } from './check.js';
import { registerEncryptionCommand } from './encryption.js';
import { registerKubeconfigCommand } from './kubeconfig.js';
import { registerKmsPluginCommand } from './kms-plugin.js';
import { registerMigrateCommand } from './migrate.js';
import { registerRegistryCredentialsCommand } from './registry-credentials.js';
import { registerRunCommand } from './run.js';
import { registerServerCommand } from './server.js';
import { registerTokenCommand } from './token.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('opaque')
  .description('The Kubernetes Secrets API as a standalone server: encrypted at rest, access-controlled, audited.')
  .version(VERSION, '--version', 'print the Opaque version');

registerServerCommand(program);
registerCheckCommand(program);
registerEncryptionCommand(program);
registerKubeconfigCommand(program);
registerTokenCommand(program);
registerAuditCommand(program);
registerKmsPluginCommand(program);
registerMigrateCommand(program);
registerBackupCommands(program);
registerRunCommand(program);
registerRegistryCredentialsCommand(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
