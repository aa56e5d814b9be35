// Reads a manifest file into the Pod the agent runs: a Pod as is, or the pod template of a
// Deployment, StatefulSet, Job, CronJob or DaemonSet (as their controllers would stamp it), then
// checks it the way API validation would have before a kubelet ever saw it.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Pod, PodSpec } from './types.js';
import { validatePodSpec } from './validate.js';
import { ManifestError } from './errors.js';
import { metadataTypeErrors } from './manifest-shape.js';

const TEMPLATED = new Set(['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'ReplicaSet']);


export function podFromObject(obj: any, namespaceFlag?: string): Pod {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ManifestError('the manifest is not an object');
  const kind = obj.kind;
  let meta: any;
  let spec: PodSpec;
  if (kind === 'Pod') {
    meta = obj.metadata ?? {};
    spec = obj.spec;
  } else if (TEMPLATED.has(kind) || kind === 'CronJob') {
    const tpl = kind === 'CronJob' ? obj.spec?.jobTemplate?.spec?.template : obj.spec?.template;
    if (!tpl?.spec) throw new ManifestError(`${kind} ${typeof obj.metadata?.name === 'string' ? obj.metadata.name : ''} has no spec.template.spec`);
    const typeErrs = [...metadataTypeErrors(obj.metadata), ...metadataTypeErrors(tpl.metadata, 'spec.template.metadata')];
    if (typeErrs.length) throw new ManifestError(`the manifest is invalid:\n  ${typeErrs.join('\n  ')}`);
    // A controller names its pods after itself; the template's own annotations travel with it.
    meta = { ...tpl.metadata, name: obj.metadata?.name, namespace: obj.metadata?.namespace };
    spec = tpl.spec;
  } else {
    throw new ManifestError(`kind ${JSON.stringify(kind)} is not runnable: give a Pod, Deployment, StatefulSet, Job, CronJob, ReplicaSet or DaemonSet`);
  }
  const metaErrs = metadataTypeErrors(meta);
  if (metaErrs.length) throw new ManifestError(`the manifest is invalid:\n  ${metaErrs.join('\n  ')}`);
  if (!meta.name) throw new ManifestError('metadata.name: Required value');
  const namespace = namespaceFlag ?? meta.namespace ?? 'default';
  if (namespaceFlag && meta.namespace && meta.namespace !== namespaceFlag) {
    throw new ManifestError(`the namespace from the manifest (${meta.namespace}) does not match --namespace ${namespaceFlag}`);
  }
  const pod: Pod = { name: meta.name, namespace, annotations: { ...(meta.annotations ?? {}) }, spec };
  validatePodSpec(pod.spec);
  return pod;
}

/** The first runnable document of a YAML or JSON file. */
export function readManifest(file: string, namespaceFlag?: string): Pod {
  const text = readFileSync(file, 'utf8');
  const docs = parseAllDocuments(text);
  for (const d of docs) if (d.errors.length) throw new ManifestError(`${file}: ${d.errors[0]!.message}`);
  const objs = docs.map((d) => {
    try {
      return d.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (err) {
      // An alias to no anchor, or an alias bomb, fails only when the document is converted.
      throw new ManifestError(`${file}: ${(err as Error).message}`);
    }
  }).filter((o) => o && typeof o === 'object');
  if (objs.length === 0) throw new ManifestError(`${file} holds no object`);
  if (objs.length > 1) throw new ManifestError(`${file} holds ${objs.length} objects; give one workload per agent`);
  return podFromObject(objs[0], namespaceFlag);
}
