// The agent's directories: <state dir>/pods/<ns>_<pod>/ (status.json) and the pod's root (files it
// delivers, the containers' mounts). Run as root from a shared directory, an agent that reused what
// another user prepared there would hand that user the Secrets (a root dir they own) or write where
// they point (a symlink). So, as sshd's StrictModes and systemd-tmpfiles do, before use:
// - every directory above the state dir (and above --root) must be root's or the agent's, and one
//   that others may write must be sticky (as /tmp), so no one else can rename or replace what the
//   agent makes in it; a symlink on the way must be root's or the agent's;
// - the state dir, each directory under it and the root must be real directories (never a
//   symlink), owned by the agent's user (or root), writable by neither group nor others; missing
//   ones are made by the agent itself.
// Anything else is refused with a StateDirError naming the path and the reason.

import { realpathSync } from 'node:fs';
import { dirname, join, parse, relative, resolve, sep } from 'node:path';
import { StateDirError } from './errors.js';
import { ensureOwnDir, euid, lstatOrUndefined } from './safe-fs.js';

/** Why an ancestor directory is not safe to build under, or undefined when it is. */
function ancestorProblem(path: string): string | undefined {
  const st = lstatOrUndefined(path);
  if (!st) return 'it does not exist';
  if (!st.isDirectory()) return 'it is not a directory';
  const me = euid();
  if (st.uid !== me && st.uid !== 0) return `it is owned by uid ${st.uid}, not by the agent's user (uid ${me}) or root`;
  if (st.mode & 0o022 && !(st.mode & 0o1000)) return `others may write to it and it is not sticky (mode 0${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/** The nearest existing ancestor of dir (dir itself excluded). */
function nearestExisting(dir: string): string {
  let d = dirname(dir);
  while (!lstatOrUndefined(d) && d !== dirname(d)) d = dirname(d);
  return d;
}

/**
 * Checks what lies above `dir` (absolute): symlinks on the way as written must be root's or the
 * agent's, and every directory of the real path to the nearest existing ancestor must be safe.
 * Returns that ancestor.
 */
function checkAncestors(dir: string): string {
  const base = nearestExisting(dir);
  const me = euid();
  let cur = parse(base).root;
  for (const part of relative(cur, base).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    const st = lstatOrUndefined(cur);
    if (st?.isSymbolicLink() && st.uid !== me && st.uid !== 0) throw new StateDirError(cur, `it is a symbolic link owned by uid ${st.uid}, not by the agent's user (uid ${me}) or root`);
  }
  const real = realpathSync(base);
  let r = parse(real).root;
  const chain = [r, ...relative(r, real).split(sep).filter(Boolean).map((p) => (r = join(r, p)))];
  for (const d of chain) {
    const problem = ancestorProblem(d);
    if (problem) throw new StateDirError(d, problem);
  }
  return base;
}

/**
 * Makes (or checks) `top` and then each of `parts` below it as the agent's own directories. Missing
 * directories between the nearest existing ancestor and `top` are made too, with `mode(0)`.
 * `mode(i)` is the mode of a new directory at depth i (0 = top); `fix(i)` adjusts an existing one.
 * Returns the deepest path.
 */
export function ownDirs(top: string, parts: string[], mode: (depth: number) => number, fix?: (depth: number) => ((m: number) => number) | undefined): string {
  const abs = resolve(top);
  const base = checkAncestors(abs);
  const missing: string[] = [];
  for (let d = dirname(abs); d !== base && d !== dirname(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) ensureOwnDir(d, mode(0));
  let cur = abs;
  ensureOwnDir(cur, mode(0), fix?.(0));
  parts.forEach((p, i) => {
    cur = join(cur, p);
    ensureOwnDir(cur, mode(i + 1), fix?.(i + 1));
  });
  return cur;
}

export interface AgentDirs {
  podDir: string;
  statusFile: string;
  root: string;
}

/**
 * The agent's directories for one pod, made or checked. `dirMode` is 0700, or 0711 when a
 * container runs as another user (who must traverse to its files, not list them): then the state
 * dir and pods/ also get o+x and g+x.
 */
export function prepareAgentDirs(stateDir: string, podKey: string, dirMode: number, root?: string): AgentDirs {
  const traverse = dirMode !== 0o700 ? (m: number) => m | 0o011 : undefined;
  const podDir = ownDirs(stateDir, ['pods', podKey], (i) => (i < 2 ? 0o700 | (traverse ? 0o011 : 0) : dirMode), (i) => (i < 2 ? traverse : () => dirMode));
  const rootDir = root ? ownDirs(root, [], () => dirMode, () => () => dirMode) : ownDirs(podDir, ['root'], () => dirMode, () => () => dirMode);
  return { podDir, statusFile: join(podDir, 'status.json'), root: rootDir };
}
