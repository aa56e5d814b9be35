// The JSON types of the pod fields the agent reads, checked before validation looks at their
// values: the API server's decoder would have refused a number where a string belongs, and the
// agent reads manifests from files nothing upstream has decoded. null is accepted everywhere, as
// Go decodes it to the zero value. Fields the agent does not read are not checked.

type Shape = 'string' | 'boolean' | 'integer' | 'strings' | { [field: string]: Shape } | [Shape];

const secretKeySelector: Shape = { name: 'string', key: 'string', optional: 'boolean' };
const securityContext: Shape = { runAsUser: 'integer', runAsGroup: 'integer', fsGroup: 'integer' };

const CONTAINER: Shape = {
  name: 'string', command: 'strings', args: 'strings', workingDir: 'string',
  env: [{ name: 'string', value: 'string', valueFrom: { secretKeyRef: secretKeySelector } }],
  envFrom: [{ prefix: 'string', secretRef: { name: 'string', optional: 'boolean' } }],
  volumeMounts: [{ name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'boolean' }],
  securityContext,
};

const POD_SPEC: Shape = {
  containers: [CONTAINER],
  volumes: [{ name: 'string', secret: { secretName: 'string', defaultMode: 'integer', optional: 'boolean', items: [{ key: 'string', path: 'string', mode: 'integer' }] } }],
  restartPolicy: 'string', terminationGracePeriodSeconds: 'integer', serviceAccountName: 'string',
  imagePullSecrets: [{ name: 'string' }], securityContext,
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'string' ? 'string' : 'object';
}

const GO_NAMES: Record<string, string> = { string: 'string', boolean: 'bool', integer: 'int64', strings: '[]string' };

function walk(v: unknown, shape: Shape, path: string, errs: string[]): void {
  if (v === null || v === undefined) return;
  const wrong = (want: string) => errs.push(`${path}: Invalid value: ${jsonType(v)}: must be ${want}`);
  if (typeof shape === 'string') {
    if (shape === 'strings') {
      if (!Array.isArray(v)) return void wrong('a list of strings');
      v.forEach((x, i) => { if (x !== null && typeof x !== 'string') errs.push(`${path}[${i}]: Invalid value: ${jsonType(x)}: must be a string`); });
      return;
    }
    const ok = shape === 'integer' ? typeof v === 'number' && Number.isInteger(v) : typeof v === shape;
    if (!ok) wrong(`of type ${GO_NAMES[shape]}`);
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(v)) return void wrong('a list');
    v.forEach((x, i) => walk(x, shape[0], `${path}[${i}]`, errs));
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return void wrong('an object');
  for (const [field, sub] of Object.entries(shape)) {
    if (Object.prototype.hasOwnProperty.call(v, field)) walk((v as Record<string, unknown>)[field], sub, path ? `${path}.${field}` : field, errs);
  }
}

/** Type errors in a pod spec, as field errors ("spec.containers[0].name: Invalid value: number: …"). */
export function podSpecTypeErrors(spec: unknown, path = 'spec'): string[] {
  const errs: string[] = [];
  walk(spec, POD_SPEC, path, errs);
  return errs;
}

/** Type errors in the metadata the agent reads (name, namespace, annotations). */
export function metadataTypeErrors(meta: unknown, path = 'metadata'): string[] {
  const errs: string[] = [];
  walk(meta, { name: 'string', namespace: 'string' }, path, errs);
  const ann = meta && typeof meta === 'object' ? (meta as Record<string, unknown>)['annotations'] : undefined;
  if (ann !== undefined && ann !== null) {
    if (typeof ann !== 'object' || Array.isArray(ann)) errs.push(`${path}.annotations: Invalid value: ${jsonType(ann)}: must be a map of strings`);
    else for (const [k, x] of Object.entries(ann)) if (x !== null && typeof x !== 'string') errs.push(`${path}.annotations[${JSON.stringify(k)}]: Invalid value: ${jsonType(x)}: must be a string`);
  }
  return errs;
}
