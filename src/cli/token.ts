// `opaque token`: a short-lived ServiceAccount token through TokenRequest, as `kubectl create token`
// issues one, for the machines and jobs that have no kubectl; optionally a kubeconfig around it
// (the server and CA of the kubeconfig used, the ServiceAccount's namespace) for a CI runner or VM.

import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { requestToken } from '../agent/token-request.js';
import { kubeconfigYaml } from '../pki/kubeconfig.js';
import { writePrivate } from '../pki/files.js';
import { connect, findKubeconfig } from './client.js';
import { collect, durationOption } from './options.js';

function seconds(v: string): number {
  const ms = durationOption(v);
  if (ms % 1000) throw new InvalidArgumentError('must be a whole number of seconds');
  return ms / 1000;
}

interface TokenOptions {
  namespace?: string;
  audience: string[];
  duration?: number;
  boundObjectKind?: string;
  boundObjectName?: string;
  boundObjectUid?: string;
  kubeconfig?: string;
  outputKubeconfig?: string;
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .argument('<serviceaccount>', 'the ServiceAccount the token is for')
    .description('issue a short-lived ServiceAccount token (TokenRequest, as `kubectl create token`); print it, or write a kubeconfig with it')
    .option('-n, --namespace <ns>', "the ServiceAccount's namespace (default: the kubeconfig context's, else default)")
    .addOption(new Option('--audience <aud>', 'audience of the token; repeat for several').argParser(collect).default([], "the server's API audiences"))
    .option('--duration <d>', 'lifetime, e.g. 10m, 1h, 24h (default: the server\'s, one hour; at least 10m)', seconds)
    .option('--bound-object-kind <kind>', 'bind the token to an object (Secret): it stops working when that object is deleted')
    .option('--bound-object-name <name>', 'name of the bound object')
    .option('--bound-object-uid <uid>', 'UID of the bound object (refused if the object was recreated)')
    .option('--kubeconfig <file>', 'kubeconfig allowed to create serviceaccounts/token (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig)')
    .option('--output-kubeconfig <file>', 'write a kubeconfig using the token here (mode 0600) instead of printing the token')
    .action(async (name: string, o: TokenOptions) => {
      if (!!o.boundObjectKind !== !!o.boundObjectName) throw new Error('--bound-object-kind and --bound-object-name go together');
      if (o.boundObjectUid && !o.boundObjectKind) throw new Error('--bound-object-uid needs --bound-object-kind and --bound-object-name');
      if (o.boundObjectKind && o.boundObjectKind !== 'Secret') {
        throw new Error(`--bound-object-kind ${o.boundObjectKind}: only Secret objects exist on this server`);
      }
      const conn = connect(findKubeconfig(o.kubeconfig));
      const namespace = o.namespace ?? conn.namespace ?? 'default';
      const issued = await requestToken(conn, {
        namespace, serviceAccount: name, audiences: o.audience, expirationSeconds: o.duration,
        ...(o.boundObjectKind ? { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: o.boundObjectName!, ...(o.boundObjectUid ? { uid: o.boundObjectUid } : {}) } } : {}),
      });
      if (!o.outputKubeconfig) {
        process.stdout.write(`${issued.token}\n`);
        return;
      }
      const ca = conn.tls.ca ? Buffer.from(conn.tls.ca as Buffer).toString('utf8') : undefined;
      writePrivate(resolve(o.outputKubeconfig), kubeconfigYaml({
        server: conn.server, caPem: ca, user: `system:serviceaccount:${namespace}:${name}`, token: issued.token, namespace,
      }));
      process.stderr.write(`wrote ${o.outputKubeconfig} for ServiceAccount ${namespace}/${name}, valid until ${new Date(issued.expiresAt).toISOString()}\n`);
    });
}
