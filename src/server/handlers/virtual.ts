// Requests for create-only resources (reviews) and function-backed subresources: decode the body
// as the declared kind, check the namespace, call the handler, send what it returns.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../api/errors.js';
import type { KObject } from '../../api/types.js';
import type { ResourceInfo, UserInfo } from '../../registry/types.js';
import type { SubresourceHandler, VirtualRequest, VirtualResource, VirtualResponse } from '../../registry/virtual.js';
import { decodeBody, parseFieldValidation } from '../decode.js';
import { negotiateOutput } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import { addWarnings, sendObject } from '../respond.js';
import { parseDryRun } from './context.js';

interface Call {
  req: FastifyRequest;
  reply: FastifyReply;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
}

function decode(c: Call, kind: ResourceInfo, namespace: string | undefined): KObject {
  const validation = parseFieldValidation(c.query.get('fieldValidation'), 'CreateOptions');
  const body = Buffer.isBuffer(c.req.body) ? c.req.body : undefined;
  const decoded = decodeBody(body, c.req.headers['content-type'], kind, validation);
  const obj = decoded.object;
  const objNs = obj.metadata?.namespace ?? '';
  if (namespace !== undefined && objNs !== '' && objNs !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return obj;
}

function send(c: Call, warnings: string[], res: VirtualResponse): FastifyReply {
  addWarnings(c.reply, warnings);
  const out = negotiateOutput(c.req.headers.accept);
  return sendObject(c.reply, res.code, res.object, out.kind === 'yaml' ? out : { kind: 'json' });
}

export async function dispatchVirtual(c: Call, v: VirtualResource): Promise<unknown> {
  const i = v.info;
  if (c.info.subresource || c.info.name) throw errors.pathNotFound();
  if (i.namespaced && !c.info.namespace) throw errors.pathNotFound();
  if (!i.namespaced && c.info.namespace) throw errors.pathNotFound();
  if (c.info.verb !== 'create') throw errors.methodNotAllowed();
  const namespace = i.namespaced ? c.info.namespace : undefined;
  const req: VirtualRequest = {
    verb: 'create', user: c.user, namespace, dryRun: parseDryRun(c.query.getAll('dryRun'), 'CreateOptions'), warnings: [],
  };
  req.body = decode(c, i, namespace);
  return send(c, req.warnings, await v.create(req));
}

export async function dispatchSubresource(c: Call, parent: ResourceInfo, h: SubresourceHandler): Promise<unknown> {
  if (!h.verbs.includes(c.info.verb)) throw errors.methodNotAllowed();
  const namespace = parent.namespaced ? c.info.namespace : undefined;
  const req: VirtualRequest = {
    verb: c.info.verb, user: c.user, namespace, name: c.info.name, warnings: [],
    dryRun: parseDryRun(c.query.getAll('dryRun'), c.info.verb === 'create' ? 'CreateOptions' : 'UpdateOptions'),
  };
  if (c.info.verb === 'create' || c.info.verb === 'update') {
    const kind: ResourceInfo = { ...parent, ...h.kind, listKind: `${h.kind.kind}List` };
    req.body = decode(c, kind, namespace);
  }
  return send(c, req.warnings, await h.handle(req));
}
