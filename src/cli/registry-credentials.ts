// `opaque registry-credentials`: a Docker credential helper (the docker-credential-* protocol) over
// image pull Secrets. `get` reads a server URL on stdin and prints {"ServerURL","Username","Secret"}
// for the most specific matching entry, with the kubelet's registry matching rules; `list` prints
// server → username. It only reads: `store` and `erase` are refused. Which Secrets: --secret, the
// imagePullSecrets of -f <manifest>, or $OPAQUE_REGISTRY_SECRETS (comma separated) for use as
// docker's credsStore through a two-line wrapper script.

import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { getSecret } from '../agent/api.js';
import { kubeconfigCredentials } from '../agent/credentials.js';
import { Keyring, targetOfServerURL } from '../agent/keyring.js';
import { readManifest } from '../agent/manifest.js';
import { findKubeconfig, ServerError } from './client.js';
import { collect } from './options.js';

interface Options {
  secret: string[];
  filename?: string;
  namespace?: string;
  kubeconfig?: string;
}

const NOT_FOUND = 'credentials not found in native keychain';

async function keyring(o: Options): Promise<Keyring> {
  let ns = o.namespace ?? process.env['OPAQUE_NAMESPACE'];
  const names = [...o.secret];
  if (o.filename) {
    const pod = readManifest(o.filename, ns);
    ns = pod.namespace;
    names.push(...(pod.spec.imagePullSecrets ?? []).map((s) => s.name));
  }
  if (!names.length) names.push(...(process.env['OPAQUE_REGISTRY_SECRETS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  if (!names.length) throw new Error('name the pull secrets: --secret <name>, -f <manifest> with imagePullSecrets, or OPAQUE_REGISTRY_SECRETS');
  const creds = kubeconfigCredentials(findKubeconfig(o.kubeconfig ?? process.env['OPAQUE_KUBECONFIG']));
  const ring = new Keyring();
  const failed: string[] = [];
  for (const name of names) {
    try {
      ring.addSecret(await getSecret(creds, ns ?? 'default', name));
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      failed.push(`${name}: ${e.statusMessage}`);
    }
  }
  // As the kubelet: a pull secret that cannot be fetched does not stop the others from being used.
  if (failed.length) process.stderr.write(`warning: FailedToRetrieveImagePullSecret: unable to retrieve some image pull secrets (${failed.join('; ')}); attempting to pull the image may not succeed.\n`);
  return ring;
}

async function stdinText(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += chunk;
  return s.trim();
}

export function registerRegistryCredentialsCommand(program: Command): void {
  program
    .command('registry-credentials')
    .description('a Docker credential helper (get, list) answering from image pull Secrets with Kubernetes registry matching')
    .argument('<action>', 'get (server URL on stdin), list; store and erase are refused')
    .addOption(new Option('--secret <name>', 'a kubernetes.io/dockerconfigjson or dockercfg Secret; repeat for several').argParser(collect).default([], 'none'))
    .option('-f, --filename <file>', "use the imagePullSecrets of this pod manifest")
    .option('-n, --namespace <ns>', 'namespace of the secrets (default: the manifest\'s, $OPAQUE_NAMESPACE, else "default")')
    .option('--kubeconfig <file>', 'identity and server (default: $OPAQUE_KUBECONFIG, $KUBECONFIG, ...)')
    .action(async (action: string, o: Options) => {
      if (action === 'store' || action === 'erase') throw new Error(`${action}: opaque registry-credentials is read-only; change the Secret instead`);
      if (action === 'list') {
        const ring = await keyring(o);
        process.stdout.write(`${JSON.stringify(ring.list())}\n`);
        return;
      }
      if (action !== 'get') throw new Error(`unknown action ${JSON.stringify(action)}: use get or list`);
      const serverURL = await stdinText();
      if (!serverURL) throw new Error('no server URL on stdin');
      const [auth] = (await keyring(o)).lookup(targetOfServerURL(serverURL), 'server');
      if (!auth) {
        process.stdout.write(`${NOT_FOUND}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${JSON.stringify({ ServerURL: serverURL, Username: auth.username, Secret: auth.password })}\n`);
    });
}
