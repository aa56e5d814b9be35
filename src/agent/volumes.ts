// Secret volumes: the payload the kubelet's secret plugin projects (pkg/volume/secret MakePayload),
// written with the atomic writer under <root>/volumes/<name>. A Secret that disappears after it was
// delivered keeps its last files (as a running pod keeps its tmpfs), and the agent says so.

import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { AtomicWriter, type FileProjection } from './atomic-writer.js';
import { ContainerConfigError } from './errors.js';
import { ensureOwnDir } from './safe-fs.js';
import type { SecretLookup } from './secret-lookup.js';
import type { Volume } from './types.js';

export const DEFAULT_MODE = 0o644;

export interface Projection {
  files: Map<string, FileProjection>;
  resourceVersion: string | undefined;
  hash: string;
}

export function hashFiles(files: Map<string, FileProjection>): string {
  const h = createHash('sha256');
  for (const [p, f] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`${p}\0${f.mode}\0${f.data.length}\0`).update(f.data);
  return h.digest('hex');
}

/** The files a secret volume holds now; throws the kubelet's mount error when it cannot. */
export function makePayload(v: Volume, lookup: SecretLookup): Projection {
  const src = v.secret!;
  const name = src.secretName!;
  const fail = (msg: string) => new ContainerConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${msg}`, 'ContainerCreating');
  const s = lookup.get(name);
  const files = new Map<string, FileProjection>();
  const defaultMode = src.defaultMode ?? DEFAULT_MODE;
  if (!s.found) {
    if (!(src.optional && s.notFound)) throw fail(s.message);
    return { files, resourceVersion: undefined, hash: hashFiles(files) };
  }
  if (!src.items?.length) {
    for (const [k, data] of s.data) files.set(k, { data, mode: defaultMode });
  } else {
    for (const it of src.items) {
      const data = s.data.get(it.key);
      if (data === undefined) {
        if (src.optional) continue;
        throw fail(`references non-existent secret key: ${it.key}`);
      }
      files.set(it.path, { data, mode: it.mode ?? defaultMode });
    }
  }
  return { files, resourceVersion: s.resourceVersion, hash: hashFiles(files) };
}

export interface VolumeState {
  dir: string;
  secretName: string;
  /** The projection on disk (undefined until the first successful write). */
  current?: Projection;
}

export type VolumeEvent = { volume: string; kind: 'written' | 'kept-after-delete' | 'failed'; message: string };

/** Owns <root>/volumes: brings each secret volume up to date with the Secrets it reads. */
export class VolumeSet {
  readonly states = new Map<string, VolumeState>();
  constructor(
    private readonly root: string,
    private readonly volumes: Volume[],
    /** The pod's securityContext.fsGroup: the group the files are given. */
    private readonly fsGroup?: number,
  ) {
    for (const v of volumes) this.states.set(v.name, { dir: join(root, 'volumes', v.name), secretName: v.secret!.secretName! });
  }

  /** Updates every volume; returns what happened (errors included) for the caller to report. */
  sync(lookup: SecretLookup): { ready: boolean; events: VolumeEvent[]; errors: Map<string, ContainerConfigError> } {
    const events: VolumeEvent[] = [];
    const errors = new Map<string, ContainerConfigError>();
    for (const v of this.volumes) {
      const st = this.states.get(v.name)!;
      const view = lookup.get(st.secretName);
      if (st.current && !view.found && view.notFound) {
        // Deleted while delivered: the files stay as they were (kubelet keeps the volume).
        events.push({ volume: v.name, kind: 'kept-after-delete', message: `secret "${st.secretName}" was deleted; keeping the files of resourceVersion ${st.current.resourceVersion ?? '(none)'}` });
        continue;
      }
      let p: Projection;
      try {
        p = makePayload(v, lookup);
      } catch (e) {
        if (!(e instanceof ContainerConfigError)) throw e;
        if (!st.current) errors.set(v.name, e);
        events.push({ volume: v.name, kind: 'failed', message: e.message });
        continue;
      }
      if (st.current?.hash === p.hash) {
        st.current = p;
        continue;
      }
      try {
        ensureOwnDir(dirname(st.dir), 0o755);
        new AtomicWriter(st.dir, this.fsGroup).write(p.files);
      } catch (e) {
        // Conflicting item paths ("a" and "a/b"), a full disk...: a mount failure, not a crash.
        const err = new ContainerConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`, 'ContainerCreating');
        if (!st.current) errors.set(v.name, err);
        events.push({ volume: v.name, kind: 'failed', message: err.message });
        continue;
      }
      st.current = p;
      events.push({ volume: v.name, kind: 'written', message: `volume "${v.name}": wrote ${p.files.size} file(s) of secret "${st.secretName}" at resourceVersion ${p.resourceVersion ?? '(none)'}` });
    }
    return { ready: errors.size === 0, events, errors };
  }
}
