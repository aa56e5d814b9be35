// File-system steps that another local user cannot redirect. A directory is opened with
// O_NOFOLLOW|O_DIRECTORY and checked and chmod-ed through that descriptor, so the inode checked is
// the inode changed (a path-based chmod follows a symlink swapped in after the check). New files
// are created with O_CREAT|O_EXCL|O_NOFOLLOW: never through something already at the path.
// Ownership rules: a directory the agent keeps things in must be a real directory owned by the
// agent's effective uid (or root) that neither its group nor others may write.

import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, openSync, writeSync, type Stats } from 'node:fs';
import { StateDirError } from './errors.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = constants;

export const euid = (): number => process.geteuid?.() ?? process.getuid!();

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Why st is not a directory the agent may call its own, or undefined when it is. */
export function ownDirProblem(st: Stats): string | undefined {
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  const me = euid();
  if (st.uid !== me && st.uid !== 0) return `it is owned by uid ${st.uid}, not by the agent's user (uid ${me}) or root`;
  if (st.mode & 0o002) return `others may write to it (mode ${octal(st.mode)})`;
  if (st.mode & 0o020) return `its group may write to it (mode ${octal(st.mode)})`;
  return undefined;
}

/** Opens an existing directory without following a symlink at its last component. */
export function openDir(path: string): number {
  try {
    return openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Linux answers ENOTDIR, not ELOOP, for a symlink opened O_DIRECTORY|O_NOFOLLOW.
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
    throw new StateDirError(path, lstatOrUndefined(path)?.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory');
  }
}

/**
 * Makes `path` as the agent's own directory (mkdir, which never reuses what is there), or checks
 * the one already there. A new one gets exactly `mode`; an existing one keeps its mode unless
 * `fix` says otherwise. Throws StateDirError naming the path when it is not safely the agent's.
 */
export function ensureOwnDir(path: string, mode: number, fix?: (current: number) => number): void {
  let created = false;
  try {
    mkdirSync(path, { mode: 0o700 }); // narrow until checked; the wanted mode is set through the fd
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const fd = openDir(path);
  try {
    const st = fstatSync(fd);
    const problem = ownDirProblem(st);
    if (problem) throw new StateDirError(path, problem);
    const current = st.mode & 0o7777;
    const want = created ? mode : fix ? fix(current) : current;
    if (want !== current) fchmodSync(fd, want);
    if (ownDirProblem(fstatSync(fd))) throw new StateDirError(path, `mode ${octal(want)} would let others write to it`);
  } finally {
    closeSync(fd);
  }
}

/** Applies mode (and group) to a directory the agent made, through a no-follow descriptor. */
export function setDirMode(path: string, mode: (current: number) => number, gid?: number): void {
  const fd = openDir(path);
  try {
    if (gid !== undefined) fchownSync(fd, euid(), gid);
    fchmodSync(fd, mode(fstatSync(fd).mode & 0o7777));
  } finally {
    closeSync(fd);
  }
}

/** Creates a new file (never opening anything already at path) with exactly these bytes and mode. */
export function writeNewFile(path: string, data: string | Buffer, mode: number, gid?: number): void {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    if (gid !== undefined) fchownSync(fd, euid(), gid);
    fchmodSync(fd, mode); // the exact mode, whatever the umask
  } finally {
    closeSync(fd);
  }
}

/** lstat, or undefined when nothing is there. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
