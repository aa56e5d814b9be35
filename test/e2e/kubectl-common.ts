// Shared plumbing for the kubectl end-to-end suites (test/e2e/kubectl-*.test.ts): one Opaque server
// per file with its own temp dirs, a kubectl runner bound to it, JSON read-back, polling, watchers.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  cleanup, http, kubectl, kubectlPath, removeDir, startOpaque, tempDir,
  type HttpResult, type Opaque, type RunResult,
} from '../helpers/opaque.js';

export interface Suite {
  o: Opaque;
  /** Scratch dir for manifests, editor scripts and kubectl's TMPDIR (kubectl edit leaves files there). */
  dir: string;
  /** Run kubectl against this server. */
  k(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; bin?: string; timeoutMs?: number }): Promise<RunResult>;
  /** `kubectl get <kind> <name> -o json` parsed; fails the test when kubectl fails. */
  getJson(kind: string, name: string, ns?: string, extra?: string[]): Promise<any>;
  /** Raw HTTPS as the admin. */
  http(method: string, path: string, body?: string | object, headers?: Record<string, string>): Promise<HttpResult>;
  /** Write a file into the scratch dir and return its path. */
  file(name: string, content: string, mode?: number): string;
  stop(): Promise<void>;
}

export async function startSuite(name: string): Promise<Suite> {
  const o = await startOpaque();
  const dir = tempDir(`kubectl-${name}`);
  const baseEnv = { TMPDIR: dir };
  const s: Suite = {
    o,
    dir,
    k: (args, opts = {}) => kubectl(o, args, { ...opts, env: { ...baseEnv, ...opts.env } }),
    async getJson(kind, name, ns = 'default', extra = []) {
      const r = await s.k(['get', kind, name, '-n', ns, '-o', 'json', ...extra]);
      assert.equal(r.code, 0, `kubectl get ${kind} ${name} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    http: (method, path, body, headers) => http(o, method, path, body, headers),
    file(fname, content, mode) {
      const p = join(dir, fname);
      writeFileSync(p, content);
      if (mode !== undefined) chmodSync(p, mode);
      return p;
    },
    async stop() {
      await cleanup(o);
      removeDir(dir);
    },
  };
  return s;
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

export function ok(r: RunResult, what = 'kubectl'): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 8_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A long-running kubectl (e.g. `get -w`) whose output accumulates until it is stopped. */
export interface Watcher {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolve once stdout satisfies `pred` (or fail after the timeout). */
  until(pred: (out: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** SIGTERM (then SIGKILL) the process we started, and wait for it to exit. */
  stop(): Promise<void>;
}

export function startWatcher(s: Suite, args: string[]): Watcher {
  const proc = spawn(kubectlPath(), args, {
    env: { ...process.env, KUBECONFIG: s.o.kubeconfig, HOME: s.o.home, TMPDIR: s.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const closed = new Promise<void>((res) => proc.once('close', () => res()));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    until(pred, what, timeoutMs = 8_000) {
      return waitFor(async () => (pred(out) ? out : undefined), `${what} (stdout so far: ${JSON.stringify(out)}, stderr: ${JSON.stringify(err)})`, timeoutMs, 50);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3_000);
        await closed;
        clearTimeout(t);
      }
    },
  };
}

/** Split a stream of concatenated (possibly pretty-printed) JSON documents into parsed values. */
export function parseJsonStream(text: string): any[] {
  const docs: any[] = [];
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        docs.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return docs;
}

/** Rows of a kubectl table as arrays of whitespace-separated cells (header first). */
export function tableRows(stdout: string): string[][] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

/** An editor script (a .cjs run by node via its shebang) for kubectl's `EDITOR`: logs every buffer it is given to `log`, then applies `edit`. */
export function editorScript(s: Suite, name: string, log: string, edit: string): string {
  return s.file(name, `#!${process.execPath}
const fs = require('node:fs');
const f = process.argv[process.argv.length - 1];
let text = fs.readFileSync(f, 'utf8');
fs.appendFileSync(${JSON.stringify(log)}, text + '\\n----- end of buffer -----\\n');
${edit}
fs.writeFileSync(f, text);
`, 0o755);
}
