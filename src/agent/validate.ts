// The checks API validation makes on a pod before a kubelet sees it, for the fields the agent runs
// (the agent reads manifests from files, so nothing upstream has checked them). Messages follow
// kube's field.Error format: "<path>: Invalid value: <value>: <detail>".

import { descendingPathProblem, itemPathProblem, mountPathParts } from './paths.js';
import type { PodSpec } from './types.js';
import { ManifestError } from './errors.js';
import { podSpecTypeErrors } from './manifest-shape.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const POLICIES = ['Always', 'OnFailure', 'Never'];

const invalid = (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
const required = (path: string) => `${path}: Required value`;

function checkKey(errs: string[], path: string, key: unknown): void {
  if (typeof key !== 'string' || key === '') errs.push(required(path));
  else if (!SECRET_KEY.test(key) || key === '.' || key === '..' || key.startsWith('..') || key.length > 253) {
    errs.push(invalid(path, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
  }
}

function checkMode(errs: string[], path: string, mode: unknown): void {
  if (mode === undefined || mode === null) return;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    errs.push(invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
  }
}

function checkVolumes(spec: PodSpec, errs: string[]): Set<string> {
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const at = `spec.volumes[${i}]`;
    if (!v?.name) return errs.push(required(`${at}.name`));
    if (names.has(v.name)) errs.push(`${at}.name: Duplicate value: ${JSON.stringify(v.name)}`);
    names.add(v.name);
    if (!v.secret) return errs.push(`${at}: Unsupported value: opaque run mounts secret volumes only`);
    if (!v.secret.secretName) errs.push(required(`${at}.secret.secretName`));
    checkMode(errs, `${at}.secret.defaultMode`, v.secret.defaultMode);
    (v.secret.items ?? []).forEach((item, j) => {
      const ip = `${at}.secret.items[${j}]`;
      const it = item ?? {}; // a null element decodes to the zero value in Go
      checkKey(errs, `${ip}.key`, it.key);
      if (typeof it.path !== 'string' || it.path === '') errs.push(required(`${ip}.path`));
      else {
        const problem = itemPathProblem(it.path);
        if (problem) errs.push(invalid(`${ip}.path`, it.path, problem));
      }
      checkMode(errs, `${ip}.mode`, it.mode);
    });
  });
  return names;
}

const MAX_ID = 2147483647;

function checkIds(errs: string[], at: string, sc: Record<string, unknown> | undefined, fields: string[]): void {
  for (const f of fields) {
    const v = sc?.[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ID) errs.push(invalid(`${at}.securityContext.${f}`, v, `must be between 0 and ${MAX_ID}, inclusive`));
  }
}

/**
 * The mount paths seen so far, indexed by every ancestor, so a container with n mounts is checked in
 * O(n · depth) rather than by comparing each mount with all before it.
 */
class MountIndex {
  /** Normalized path → the mount that set it last, in first-seen order. */
  private readonly at = new Map<string, string>();
  private readonly order = new Map<string, number>();
  /** Ancestor path → normalized paths of mounts beneath it. */
  private readonly below = new Map<string, string[]>();

  /** Earlier mounts at, above or below these parts, in the order they were first seen. */
  clashes(parts: string[]): [string, string][] {
    const norm = parts.join('/');
    const hits = new Set<string>();
    if (this.at.has(norm)) hits.add(norm);
    for (let k = 1; k < parts.length; k++) {
      const up = parts.slice(0, k).join('/');
      if (this.at.has(up)) hits.add(up);
    }
    for (const d of this.below.get(norm) ?? []) hits.add(d);
    return [...hits].sort((a, b) => this.order.get(a)! - this.order.get(b)!).map((p) => [p, this.at.get(p)!]);
  }

  add(parts: string[], mountAt: string): void {
    const norm = parts.join('/');
    if (!this.order.has(norm)) {
      this.order.set(norm, this.order.size);
      for (let k = 1; k < parts.length; k++) {
        const up = parts.slice(0, k).join('/');
        const list = this.below.get(up);
        if (list) list.push(norm);
        else this.below.set(up, [norm]);
      }
    }
    this.at.set(norm, mountAt);
  }
}

export function validatePodSpec(spec: PodSpec): void {
  const errs: string[] = [];
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) throw new ManifestError(required('spec.containers'));
  // Wrong JSON types first: the checks below read the values as the types they should be.
  const typeErrs = podSpecTypeErrors(spec);
  if (typeErrs.length) throw new ManifestError(`the pod is invalid:\n  ${typeErrs.join('\n  ')}`);
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== null && !POLICIES.includes(spec.restartPolicy)) {
    errs.push(`spec.restartPolicy: Unsupported value: ${JSON.stringify(spec.restartPolicy)}: supported values: "Always", "OnFailure", "Never"`);
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && grace !== null && (!Number.isInteger(grace) || grace < 0)) errs.push(invalid('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0'));
  const volumes = checkVolumes(spec, errs);
  checkIds(errs, 'spec', spec.securityContext as Record<string, unknown> | undefined, ['runAsUser', 'runAsGroup', 'fsGroup']);
  const containerNames = new Set<string>();
  spec.containers.forEach((c, i) => {
    const at = `spec.containers[${i}]`;
    if (!c?.name) return errs.push(required(`${at}.name`));
    if (!DNS_LABEL.test(c.name) || c.name.length > 63) errs.push(invalid(`${at}.name`, c.name, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\''));
    if (containerNames.has(c.name)) errs.push(`${at}.name: Duplicate value: ${JSON.stringify(c.name)}`);
    containerNames.add(c.name);
    checkIds(errs, at, c.securityContext as Record<string, unknown> | undefined, ['runAsUser', 'runAsGroup']);
    if (!c.command?.length) errs.push(`${at}.command: Required value: opaque run has no image to take an entrypoint from`);
    (c.env ?? []).forEach((e, j) => {
      const ep = `${at}.env[${j}]`;
      if (!e?.name) return errs.push(required(`${ep}.name`));
      if (e.name.includes('=') || !/^[\x20-\x7e]+$/.test(e.name)) errs.push(invalid(`${ep}.name`, e.name, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
      // kube: len(ev.Value) != 0 with a valueFrom; an empty or null value is no value.
      if (typeof e.value === 'string' && e.value !== '' && e.valueFrom) errs.push(invalid(`${ep}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      if (e.valueFrom) {
        const ref = e.valueFrom.secretKeyRef;
        if (!ref) errs.push(`${ep}.valueFrom: Unsupported value: opaque run resolves secretKeyRef only`);
        else {
          if (!ref.name) errs.push(required(`${ep}.valueFrom.secretKeyRef.name`));
          checkKey(errs, `${ep}.valueFrom.secretKeyRef.key`, ref.key);
        }
      }
    });
    (c.envFrom ?? []).forEach((f, j) => {
      const fp = `${at}.envFrom[${j}]`;
      if (!f?.secretRef) errs.push(`${fp}: Unsupported value: opaque run resolves secretRef only`);
      else if (!f.secretRef.name) errs.push(required(`${fp}.secretRef.name`));
    });
    const mounts = new MountIndex();
    (c.volumeMounts ?? []).forEach((m, j) => {
      const mp = `${at}.volumeMounts[${j}]`;
      if (!m?.name) return errs.push(required(`${mp}.name`));
      if (!volumes.has(m.name)) errs.push(`${mp}.name: Not found: ${JSON.stringify(m.name)}`);
      const parts = mountPathParts(m.mountPath ?? '');
      if (typeof parts === 'string') return errs.push(invalid(`${mp}.mountPath`, m.mountPath, parts));
      for (const [other, otherAt] of mounts.clashes(parts)) {
        if (other === parts.join('/')) errs.push(invalid(`${mp}.mountPath`, m.mountPath, 'must be unique'));
        // Mounts are symlinks under the container root; one inside another would write into a volume.
        else errs.push(invalid(`${mp}.mountPath`, m.mountPath, `overlaps the mount of ${otherAt}; opaque run does not nest mounts`));
      }
      mounts.add(parts, mp);
      if (typeof m.subPath === 'string' && m.subPath !== '') {
        const problem = descendingPathProblem(m.subPath);
        if (problem) errs.push(invalid(`${mp}.subPath`, m.subPath, problem));
      }
    });
  });
  if (errs.length) throw new ManifestError(`the pod is invalid:\n  ${errs.join('\n  ')}`);
}
