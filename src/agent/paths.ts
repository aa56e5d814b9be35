// Path rules shared by the manifest check and the writer: kube's validateLocalDescendingPath /
// validateLocalNonReservedPath for item paths and subPaths, and the atomic writer's own guard
// (names starting with ".." are the writer's: ..data, ..<timestamp>).

import { posix } from 'node:path';

const MAX_PATH = 4096;
const MAX_NAME = 255;

/** kube's message for a path that is not a local descending one, or undefined when it is. */
export function descendingPathProblem(p: string): string | undefined {
  if (posix.isAbsolute(p)) return 'must be a relative path';
  if (p.split(/[\\/]/).includes('..')) return "must not contain '..'";
  return undefined;
}

/** As above, plus the writer's reserved prefix (items[].path). */
export function itemPathProblem(p: string): string | undefined {
  if (p === '') return 'must not be empty';
  const d = descendingPathProblem(p);
  if (d) return d;
  if (p.startsWith('..')) return "must not start with '..'";
  if (p.length > MAX_PATH) return `must be less than or equal to ${MAX_PATH} characters`;
  if (p.split('/').some((e) => e.length > MAX_NAME)) return `filenames must be less than or equal to ${MAX_NAME} characters`;
  return undefined;
}

/** The writer's check (atomic_writer.go validatePath); throws with its wording. */
export function checkWriterPath(p: string): string {
  const problem = itemPathProblem(p);
  if (problem) throw new Error(`invalid path: ${problem}: ${p}`);
  return posix.normalize(p);
}

/** A mountPath as the parts under the container root: "/etc/creds" → ["etc", "creds"]. */
export function mountPathParts(p: string): string[] | string {
  if (p === '') return 'must not be empty';
  if (p.includes('\0')) return 'must not contain NUL';
  const parts = p.split('/').filter((e) => e !== '' && e !== '.');
  if (parts.includes('..')) return "must not contain '..'";
  if (parts.length === 0) return 'must not be the root directory';
  return parts;
}
