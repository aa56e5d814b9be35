// A container's view of its volumes without a container filesystem: the container root
// <root>/containers/<name> (OPAQUE_ROOT for the process) gets each mountPath as a symlink to the
// volume directory, so "$OPAQUE_ROOT/etc/creds/key" follows the atomic writer's links and sees
// updates. A subPath mount is a copy made at start, because in Kubernetes it never updates.
// Nothing is created through a symlink, so a planted link cannot redirect a mount out of the root.

import { cpSync, lstatSync, mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ContainerConfigError } from './errors.js';
import { mountPathParts } from './paths.js';
import type { Container } from './types.js';

function exists(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** mkdir -p that refuses to pass through anything but real directories. */
function makeDirs(base: string, parts: string[]): string {
  let cur = base;
  for (const part of parts) {
    cur = join(cur, part);
    const st = exists(cur);
    if (!st) mkdirSync(cur, { mode: 0o755 });
    else if (!st.isDirectory()) throw new Error(`${cur} is not a directory (a symlink or file is in the way)`);
  }
  return cur;
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent + sep);

/** Rebuilds the container root with the container's mounts; returns the root path. */
export function prepareMounts(root: string, c: Container, volumeDirs: ReadonlyMap<string, string>): string {
  const containers = makeDirs(root, ['containers']);
  const croot = join(containers, c.name);
  rmSync(croot, { recursive: true, force: true }); // rm does not follow symlinks
  mkdirSync(croot, { mode: 0o755 });
  for (const m of c.volumeMounts ?? []) {
    const parts = mountPathParts(m.mountPath);
    if (typeof parts === 'string') throw new ContainerConfigError(`invalid mountPath ${JSON.stringify(m.mountPath)}: ${parts}`);
    const volDir = volumeDirs.get(m.name);
    if (!volDir) throw new ContainerConfigError(`volume "${m.name}" of container "${c.name}" is not ready`, 'ContainerCreating');
    let parent: string;
    try {
      parent = makeDirs(croot, parts.slice(0, -1));
    } catch (e) {
      throw new ContainerConfigError(`cannot mount volume "${m.name}" at ${m.mountPath}: ${(e as Error).message}`);
    }
    const target = join(parent, parts.at(-1)!);
    if (exists(target)) throw new ContainerConfigError(`cannot mount volume "${m.name}" at ${m.mountPath}: the path exists`);
    if (m.subPath) {
      const failed = new ContainerConfigError(`failed to prepare subPath for volumeMount "${m.name}" of container "${c.name}"`);
      let src: string;
      try {
        src = realpathSync(join(volDir, m.subPath));
      } catch {
        throw failed;
      }
      // The subPath must stay inside the volume even after following the writer's symlinks.
      if (!inside(src, realpathSync(volDir))) throw failed;
      cpSync(src, target, { recursive: true, dereference: true, preserveTimestamps: true });
    } else {
      symlinkSync(volDir, target);
    }
  }
  return croot;
}
