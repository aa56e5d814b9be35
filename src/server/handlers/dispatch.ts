// Routes a resource request (RequestInfo) to its handler, answering 404/405 where kube's router does.

import { errors } from '../../api/errors.js';
import { assertSelectorMatchesName, parseFieldSelector } from '../../api/selectors/index.js';
import type { Registry } from '../../registry/index.js';
import { negotiateOutput } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import type { HandlerContext } from './context.js';
import { patchObject } from './patch.js';
import { getObject, listObjects } from './read.js';
import { emptyCRDList, isCRDList } from './crds.js';
import { finalizeNamespaceHandler, namespaceStatusHandler } from './namespace-subresources.js';
import { dispatchSubresource, dispatchVirtual } from './virtual.js';
import { watchObjects } from './watch.js';
import { createObject, deleteCollection, deleteObject, replaceObject } from './write.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserInfo } from '../../registry/types.js';
import type { Authorizer } from '../../auth/types.js';

export async function dispatchResource(
  req: FastifyRequest, reply: FastifyReply, info: RequestInfo, query: URLSearchParams, user: UserInfo, registry: Registry, authz: Authorizer, shuttingDown: AbortSignal,
): Promise<unknown> {
  const store = registry.lookup(info.apiGroup, info.apiVersion, info.resource);
  if (!store) {
    const v = registry.lookupVirtual(info.apiGroup, info.apiVersion, info.resource);
    if (v) return dispatchVirtual({ req, reply, info, query, user }, v);
    if (isCRDList(info)) return emptyCRDList(req, reply, registry);
    throw errors.pathNotFound();
  }
  const namespaced = store.info.namespaced;
  // Namespaced kinds need a namespace in the path except for all-namespace list/watch; cluster kinds
  // never take one (namespaces themselves carry their name in that slot).
  const clusterPath = !info.namespace || (info.resource === 'namespaces' && info.apiGroup === '');
  if (!namespaced && info.namespace && !clusterPath) throw errors.pathNotFound();
  const namespace = namespaced ? info.namespace || undefined : undefined;
  if (namespaced && !namespace && !['list', 'watch'].includes(info.verb)) {
    throw info.name ? errors.pathNotFound() : errors.methodNotAllowed();
  }
  const ctx: HandlerContext = {
    req, reply, info, query, user, registry, authz, store, namespace,
    out: negotiateOutput(req.headers.accept), warnings: [],
  };
  if (info.subresource) {
    const h = registry.lookupSubresource(info.apiGroup, info.apiVersion, info.resource, info.subresource);
    if (h) {
      if (!info.name || (namespaced && !namespace)) throw errors.pathNotFound();
      return dispatchSubresource({ req, reply, info, query, user }, store.info, h);
    }
    if (store.info.resource === 'namespaces' && store.info.group === '') {
      if (info.subresource === 'finalize' && info.verb === 'update') return finalizeNamespaceHandler(ctx);
      if (info.subresource === 'status' && ['get', 'update', 'patch'].includes(info.verb)) return namespaceStatusHandler(ctx);
    }
    throw errors.pathNotFound();
  }
  if (info.parts.length > 2) throw errors.pathNotFound();
  switch (info.verb) {
    case 'get':
      return getObject(ctx);
    case 'list':
      return listObjects(ctx);
    case 'watch':
      if (info.name) {
        // Legacy /watch/.../name form: watch that one object; a selector may only restate the name.
        const fs = query.get('fieldSelector');
        if (fs) assertSelectorMatchesName(parseFieldSelector(fs), info.name);
        else query.set('fieldSelector', `metadata.name=${info.name}`);
      }
      return watchObjects(ctx, shuttingDown);
    case 'create':
      if (info.name) throw errors.methodNotAllowed();
      return createObject(ctx);
    case 'update':
      if (!info.name) throw errors.methodNotAllowed();
      return replaceObject(ctx);
    case 'patch':
      if (!info.name) throw errors.methodNotAllowed();
      return patchObject(ctx);
    case 'delete':
      return deleteObject(ctx);
    case 'deletecollection':
      if (!store.info.verbs.includes('deletecollection')) throw errors.methodNotAllowed();
      return deleteCollection(ctx);
    default:
      throw errors.methodNotAllowed();
  }
}
