// The checks API validation makes on a pod before a kubelet sees it, for the fields the agent runs
// (the agent reads manifests from files, so nothing upstream has checked them). Messages follow
// kube's field.Error format: "<path>: Invalid value: <value>: <detail>".

import { descendingPathProblem, itemPathProblem, mountPathParts } from './paths.js';
import type { PodSpec } from './types.js';
import { ManifestError } from './errors.js';

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
  if (mode === undefined) return;
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
    (v.secret.items ?? []).forEach((it, j) => {
      const ip = `${at}.secret.items[${j}]`;
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
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ID) errs.push(invalid(`${at}.securityContext.${f}`, v, `must be between 0 and ${MAX_ID}, inclusive`));
  }
}

export function validatePodSpec(spec: PodSpec): void {
  const errs: string[] = [];
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) throw new ManifestError(required('spec.containers'));
  if (spec.restartPolicy !== undefined && !POLICIES.includes(spec.restartPolicy)) {
    errs.push(`spec.restartPolicy: Unsupported value: ${JSON.stringify(spec.restartPolicy)}: supported values: "Always", "OnFailure", "Never"`);
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) errs.push(invalid('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0'));
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
      if (e.value !== undefined && e.valueFrom) errs.push(invalid(`${ep}.valueFrom`, '', 'may not be specified when `value` is not empty'));
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
      if (!f.secretRef) errs.push(`${fp}: Unsupported value: opaque run resolves secretRef only`);
      else if (!f.secretRef.name) errs.push(required(`${fp}.secretRef.name`));
    });
    const mountPaths = new Map<string, string>();
    (c.volumeMounts ?? []).forEach((m, j) => {
      const mp = `${at}.volumeMounts[${j}]`;
      if (!m?.name) return errs.push(required(`${mp}.name`));
      if (!volumes.has(m.name)) errs.push(`${mp}.name: Not found: ${JSON.stringify(m.name)}`);
      const parts = mountPathParts(m.mountPath ?? '');
      if (typeof parts === 'string') return errs.push(invalid(`${mp}.mountPath`, m.mountPath, parts));
      const norm = parts.join('/');
      for (const [other, otherAt] of mountPaths) {
        if (other === norm) errs.push(invalid(`${mp}.mountPath`, m.mountPath, 'must be unique'));
        // Mounts are symlinks under the container root; one inside another would write into a volume.
        else if (norm.startsWith(`${other}/`) || other.startsWith(`${norm}/`)) errs.push(invalid(`${mp}.mountPath`, m.mountPath, `overlaps the mount of ${otherAt}; opaque run does not nest mounts`));
      }
      mountPaths.set(norm, mp);
      if (m.subPath !== undefined && m.subPath !== '') {
        const problem = descendingPathProblem(m.subPath);
        if (problem) errs.push(invalid(`${mp}.subPath`, m.subPath, problem));
      }
    });
  });
  if (errs.length) throw new ManifestError(`the pod is invalid:\n  ${errs.join('\n  ')}`);
}
