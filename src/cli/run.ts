// `opaque run`: the agent. Runs the containers of a Pod manifest (or a workload's pod template) as
// processes with their Secrets delivered as the kubelet delivers them: environment variables at
// start, secret volumes as atomically swapped files under the agent's root, live updates by watch.
// `opaque run --print-role` prints the least privilege it needs; `opaque run status` shows what
// each running agent delivers.

import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { kubeconfigCredentials, tokenFileCredentials, type CredentialsProvider } from '../agent/credentials.js';
import { ManifestError } from '../agent/errors.js';
import { readManifest } from '../agent/manifest.js';
import { prepareAgentDirs } from '../agent/state-dir.js';
import { PodRunner } from '../agent/pod.js';
import { minimalRole, type Subject } from '../agent/role.js';
import { alive, formatStatuses, readStatus, readStatuses } from '../agent/status.js';
import { anyOtherUser } from '../agent/identity.js';
import { tokenRequestCredentials } from '../agent/token-request.js';
import type { Pod } from '../agent/types.js';
import { findKubeconfig } from './client.js';
import { durationOption as duration } from './options.js';

interface RunOptions {
  filename?: string;
  namespace?: string;
  kubeconfig?: string;
  tokenFile?: string;
  serviceAccountToken?: boolean;
  tokenAudience?: string[];
  tokenExpiration: number;
  stateDir: string;
  root?: string;
  printRole?: boolean;
  subject: Subject;
  backoff: number;
}

function subject(v: string): Subject {
  const [kind, ...rest] = v.split(':');
  if (kind === 'User' || kind === 'Group') return { kind, name: rest.join(':') };
  if (kind === 'ServiceAccount' && rest.length === 2) return { kind, namespace: rest[0], name: rest[1]! };
  throw new InvalidArgumentError('use User:<name>, Group:<name> or ServiceAccount:<namespace>:<name>');
}

const log = (line: string) => process.stderr.write(`opaque run: ${line}\n`);

async function credentials(o: RunOptions, pod: Pod): Promise<CredentialsProvider & { stop?(): void }> {
  const kc = findKubeconfig(o.kubeconfig);
  if (o.serviceAccountToken) {
    if (o.tokenFile) throw new Error('--service-account-token and --token-file are two different identities: give one');
    const creds = tokenRequestCredentials(kc, {
      namespace: pod.namespace, serviceAccount: pod.spec.serviceAccountName || 'default',
      audiences: o.tokenAudience, expirationSeconds: Math.floor(o.tokenExpiration / 1000), log,
    });
    await creds.start();
    return creds;
  }
  return o.tokenFile ? tokenFileCredentials(resolve(o.tokenFile), kc) : kubeconfigCredentials(kc);
}

function liveAgent(statusFile: string): number | undefined {
  const pid = readStatus(statusFile)?.agentPid;
  return pid !== undefined && pid !== process.pid && alive(pid) ? pid : undefined;
}

async function run(o: RunOptions): Promise<void> {
  if (!o.filename) throw new Error('give the manifest with -f <file>');
  const pod = readManifest(o.filename, o.namespace);
  if (o.printRole) {
    process.stdout.write(minimalRole(pod, o.subject));
    return;
  }
  // Private to the agent, unless a container runs as another user: that user must be able to
  // traverse to its files (not list them). Directories another user could redirect are refused.
  const dirMode = anyOtherUser(pod.spec) ? 0o711 : 0o700;
  const { podDir, statusFile, root } = prepareAgentDirs(o.stateDir, `${pod.namespace}_${pod.name}`, dirMode, o.root);
  const other = liveAgent(statusFile);
  if (other) throw new Error(`an agent (pid ${other}) already runs ${pod.namespace}/${pod.name} from ${podDir}`);
  // A fresh start: the agent owns these two folders under its root and nothing else.
  for (const d of ['volumes', 'containers']) rmSync(join(root, d), { recursive: true, force: true });
  const creds = await credentials(o, pod);
  log(`running ${pod.namespace}/${pod.name} (${pod.spec.containers.length} container(s)) as ${creds.description}; files under ${root}`);
  const runner = new PodRunner(pod, { root, statusFile, creds, backoffMs: o.backoff, log });
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping every container`);
    void runner.stop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const code = await runner.run();
  creds.stop?.();
  log(`done (exit code ${code})`);
  process.exit(code);
}

export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description("run a pod's containers as processes, delivering its Secrets as the kubelet does (env, files, live updates)")
    .option('-f, --filename <file>', 'Pod, Deployment, StatefulSet, Job, CronJob, ReplicaSet or DaemonSet manifest (YAML or JSON)')
    .option('-n, --namespace <ns>', 'namespace of the pod (default: the manifest\'s, else "default")')
    .option('--kubeconfig <file>', "the agent's identity and server (default: $KUBECONFIG, ./opaque-data/admin.kubeconfig, ~/.kube/config)")
    .option('--token-file <file>', 'a bearer token file (e.g. a ServiceAccount token), re-read at each request; server and CA from the kubeconfig')
    .option('--service-account-token', "act as the pod's ServiceAccount (spec.serviceAccountName, else default): the kubeconfig identity requests short-lived tokens for it through TokenRequest, renewed at 80% of their lifetime")
    .option('--token-audience <aud>', 'audience of the requested tokens (repeatable; default: the server\'s API audiences)', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--token-expiration <duration>', 'lifetime of the requested tokens (at least 10m)').argParser(duration).default(3_600_000, '1h'))
    .option('--state-dir <dir>', "the agent's state: pods/<namespace>_<name>/{status.json,root/}", './opaque-agent')
    .option('--root <dir>', "where mounts live (default: the pod's folder in --state-dir)")
    .addOption(new Option('--backoff <duration>', 'first crash back-off of restarted containers (doubles up to 5m)').argParser(duration).default(10_000, '10s'))
    .option('--print-role', 'print the minimal Role and RoleBinding the agent needs for this pod, and exit')
    .addOption(new Option('--subject <kind:name>', 'who --print-role binds: User:<name>, Group:<name> or ServiceAccount:<ns>:<name>').argParser(subject).default({ kind: 'User', name: 'opaque-agent' }, 'User:opaque-agent'))
    .action(async (o: RunOptions) => {
      try {
        await run(o);
      } catch (e) {
        if (e instanceof ManifestError) throw new Error(e.message);
        throw e;
      }
    });
  cmd
    .command('status')
    .description('show, per container, its state and which resourceVersion of each Secret it delivers')
    .option('-o, --output <format>', 'table or json', 'table')
    // --state-dir is the run command's own option (commander gives it to the parent either way).
    .action((o: { output: string }) => {
      const stateDir = resolve((cmd.opts() as RunOptions).stateDir);
      const pods = readStatuses(stateDir);
      if (o.output === 'json') return void process.stdout.write(`${JSON.stringify(pods, null, 2)}\n`);
      if (!pods.length) return void process.stdout.write(`no pods under ${stateDir}\n`);
      process.stdout.write(formatStatuses(pods));
    });
}
