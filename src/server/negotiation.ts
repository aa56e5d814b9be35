// Content negotiation as kube-apiserver does it: the first acceptable entry of Accept wins; Table and
// PartialObjectMetadata are selected by media-type parameters; protobuf responses are not produced,
// so clients that list JSON as a fallback (kubectl, client-go) get JSON.

import { errors } from '../api/errors.js';

export type OutputKind = 'json' | 'yaml' | 'table' | 'partial';

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaType(text: string): MediaType {
  const [head, ...rest] = text.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: (head ?? '').trim().toLowerCase(), params };
}

export interface Output {
  kind: OutputKind;
  /** For table: include full objects in rows (includeObject=Object) or none. */
  pretty?: boolean;
}

const SUPPORTED = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export function negotiateOutput(accept: string | undefined): Output {
  if (!accept || !accept.trim()) return { kind: 'json' };
  for (const entry of accept.split(',')) {
    const mt = parseMediaType(entry);
    const as = mt.params['as'];
    if (mt.type === 'application/json' || mt.type === '*/*' || mt.type === 'application/*') {
      if (as) {
        const g = mt.params['g'];
        const v = mt.params['v'];
        if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
        if (as === 'Table') return { kind: 'table' };
        if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial' };
        continue;
      }
      return { kind: 'json' };
    }
    if ((mt.type === 'application/yaml' || mt.type === 'application/x-yaml') && !as) return { kind: 'yaml' };
  }
  throw errors.notAcceptable(`only the following media types are accepted: ${SUPPORTED.join(', ')}`);
}

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** Body media types accepted for create/update (patch types are handled by the patch handler). */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const t = parseMediaType(contentType ?? '').type;
  if (t === 'application/json' || t === '') return 'json';
  if (t === 'application/yaml') return 'yaml';
  if (t === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  return undefined;
}
