// One container as a child process: spawned with its argv, environment and working directory, its
// output prefixed "[<container>] " line by line, stopped the kubelet's way (SIGTERM, then SIGKILL
// when the grace period runs out). Exit status follows the shell's convention: a death by signal
// is 128 + the signal number, as container runtimes report it.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { RunAs } from './identity.js';

export interface Exit {
  code: number;
  signal?: string;
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): Exit {
  if (code !== null) return { code };
  const n = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
  return { code: 128 + n, signal: signal ?? undefined };
}

function prefixLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): Promise<void> {
  const rl = createInterface({ input: from, crlfDelay: Infinity });
  rl.on('line', (line) => to.write(`${prefix}${line}\n`));
  return new Promise((res) => rl.once('close', res));
}

export class ContainerProcess {
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(name: string, argv: string[], env: ReadonlyMap<string, string>, cwd: string | undefined, as?: RunAs) {
    this.child = spawn(argv[0]!, argv.slice(1), { env: Object.fromEntries(env), cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(as ? { uid: as.uid, gid: as.gid } : {}) });
    const prefix = `[${name}] `;
    const drained = Promise.all([prefixLines(this.child.stdout!, process.stdout, prefix), prefixLines(this.child.stderr!, process.stderr, prefix)]);
    this.exited = new Promise((res) => {
      // A command that cannot be executed exits as a runtime would report it: 127 (not found) or 126.
      this.child.once('error', (e: NodeJS.ErrnoException) => {
        process.stderr.write(`${prefix}cannot start ${JSON.stringify(argv[0])}: ${e.message}\n`);
        res({ code: e.code === 'ENOENT' ? 127 : 126 });
      });
      this.child.once('exit', (code, signal) => void drained.then(() => res(exitCodeOf(code, signal))));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }

  /** SIGTERM, SIGKILL after graceMs; resolves when the process is gone. */
  async stop(graceMs: number): Promise<Exit> {
    this.signal('SIGTERM');
    const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(t);
    return exit;
  }
}
