// Opaque serves no CustomResourceDefinitions and says so when asked. kubectl lists them (through its
// dynamic client, without discovery) before validating a file whose kind has no PATCH endpoint in
// /openapi/v2 — the create-only reviews — to tell custom resources from built-in kinds. An empty
// list is what kube-apiserver answers on a cluster without CRDs; the group stays out of discovery,
// and every other request on it is 404 like any path that is not served.

import type { Registry } from '../../registry/index.js';
import { negotiateOutput } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import type { TableConvertor } from '../../registry/types.js';
import { sendObject } from '../respond.js';
import { toTable } from '../table.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function isCRDList(info: RequestInfo): boolean {
  return info.apiGroup === 'apiextensions.k8s.io' && info.apiVersion === 'v1' && info.resource === 'customresourcedefinitions'
    && info.verb === 'list' && !info.namespace && !info.subresource;
}

// kube's default columns for kinds without printer columns (there are no rows to fill).
const CRD_TABLE: TableConvertor = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    { name: 'Created At', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ],
  cells: (obj) => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''],
};

export async function emptyCRDList(req: FastifyRequest, reply: FastifyReply, registry: Registry): Promise<FastifyReply> {
  const out = negotiateOutput(req.headers.accept);
  const resourceVersion = String(await registry.namespaces.storage.currentRevision());
  if (out.kind === 'table') return sendObject(reply, 200, toTable(CRD_TABLE, [], { includeObject: 'None', resourceVersion }));
  const list = { kind: 'CustomResourceDefinitionList', apiVersion: 'apiextensions.k8s.io/v1', metadata: { resourceVersion }, items: [] };
  if (out.kind === 'partial') return sendObject(reply, 200, { ...list, kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
  return sendObject(reply, 200, list, out);
}
