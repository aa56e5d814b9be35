// Child processes of the bench: every one is tracked so the bench can end them (by handle) on any exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const children = new Set<ChildProcess>();

/** Runs bench/lib/<script> with tsx in its own process; `arg` travels as one JSON argument. */
export function spawnLib(script: string, arg: unknown): { proc: ChildProcess; stdout: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(HERE, script), JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res, rej) => {
    proc.once('error', rej);
    proc.once('exit', (code) => {
      children.delete(proc);
      if (code !== 0 && !proc.killed) rej(new Error(`${script} exited with ${code}: ${err}`));
      else res(code);
    });
  });
  exited.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  return { proc, stdout: () => out, exited };
}

/** Waits until the child prints a line matching `re` (or exits first). */
export async function waitForLine(c: ReturnType<typeof spawnLib>, re: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const m = re.exec(c.stdout());
    if (m) return m;
    await Promise.race([c.exited, new Promise((r) => setTimeout(r, 20))]);
    if (c.proc.exitCode !== null) throw new Error(`child exited before printing ${re}`);
  }
}

export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

/** Runs a bench's main: a failure prints its stack and sets a non-zero exit code; teardown always runs. */
export async function runBench(main: () => Promise<void>, tearDown: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    process.exitCode = 1;
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
  } finally {
    await tearDown();
  }
}
