// meta.k8s.io/v1 Table and PartialObjectMetadata renderings of objects (kubectl get's formats).

import { errors } from '../api/errors.js';
import type { KObject } from '../api/types.js';
import type { TableConvertor } from '../registry/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

export function partialMetadata(obj: KObject): KObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export interface TableOptions {
  includeObject: IncludeObject;
  resourceVersion?: string;
  continue?: string;
  /** Watch events after the first carry no column definitions. */
  noHeaders?: boolean;
}

export function toTable(conv: TableConvertor, objs: KObject[], o: TableOptions): KObject {
  const now = Date.now();
  const metadata: Record<string, string> = {};
  if (o.resourceVersion) metadata['resourceVersion'] = o.resourceVersion;
  if (o.continue) metadata['continue'] = o.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: o.noHeaders ? null : conv.columns,
    rows: objs.map((obj) => {
      const row: Record<string, unknown> = { cells: conv.cells(obj, now) };
      if (o.includeObject === 'Object') row['object'] = obj;
      else if (o.includeObject === 'Metadata') row['object'] = partialMetadata(obj);
      return row;
    }),
  };
}
