// Everything a resource handler needs for one request, assembled by the dispatcher.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, StatusError } from '../../api/errors.js';
import { notSupported, tooLong } from '../../api/field-errors.js';
import type { KObject } from '../../api/types.js';
import type { GenericStore } from '../../registry/generic-store.js';
import type { Registry } from '../../registry/index.js';
import type { Authorizer } from '../../auth/types.js';
import { forbiddenError } from '../../auth/authorizer.js';
import type { UserInfo, WriteOptions } from '../../registry/types.js';
import type { Output } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import { addWarnings, sendObject } from '../respond.js';
import { parseIncludeObject, partialMetadata, toTable } from '../table.js';

export interface HandlerContext {
  req: FastifyRequest;
  reply: FastifyReply;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  registry: Registry;
  /** The authorizer that admitted the request, for the checks a handler owes beyond its verb. */
  authz: Authorizer;
  store: GenericStore;
  /** Namespace for the store: undefined for cluster-scoped resources and all-namespace lists. */
  namespace: string | undefined;
  out: Output;
  warnings: string[];
}

/** dryRun query values: only "All" exists. */
export function parseDryRun(values: string[], optionsKind: string): boolean {
  if (!values.length) return false;
  for (const v of values) {
    if (v !== 'All') {
      throw errors.invalid(optionsKind, 'meta.k8s.io', '', [notSupported('dryRun', values, ['All'])]);
    }
  }
  return true;
}

/**
 * kube's withAuthorization on create-on-update (endpoints/handlers/update.go, patch.go): a PUT or PATCH
 * was authorized for its own verb, but one that creates the object must also be allowed to create it,
 * or `patch` alone would mint Secrets, Namespaces and RoleBindings. Checked before admission and
 * before a dry run answers, so a dry run reveals nothing the real request would not do.
 */
export async function authorizeCreate(ctx: HandlerContext): Promise<void> {
  const i = ctx.info;
  const attrs = {
    user: ctx.user, verb: 'create', isResourceRequest: true, path: i.path,
    namespace: i.namespace, apiGroup: i.apiGroup, apiVersion: i.apiVersion, resource: i.resource, subresource: i.subresource, name: i.name,
  };
  const d = await ctx.authz.authorize(attrs);
  if (d.decision !== 'allow') throw forbiddenError(attrs, d.reason);
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'AlreadyExists';
}

/** kube's managerOrUserAgent: the fieldManager parameter, else the User-Agent up to its first `/`. */
export function fieldManagerOf(ctx: HandlerContext, optionsKind: string): string {
  const fm = ctx.query.get('fieldManager');
  if (fm !== null && fm !== '') {
    if (fm.length > 128) throw errors.invalid(optionsKind, 'meta.k8s.io', '', [tooLong('fieldManager', '', 128)]);
    if (!/^[\x20-\x7e]*$/.test(fm)) {
      throw errors.invalid(optionsKind, 'meta.k8s.io', '', [{ type: 'FieldValueInvalid', field: 'fieldManager', value: fm, detail: 'must be a valid printable ASCII string' }]);
    }
    return fm;
  }
  const ua = ctx.req.headers['user-agent'] ?? '';
  const head = ua.split('/')[0]!.trim();
  return (head || 'unknown').slice(0, 128);
}

export function writeOptions(ctx: HandlerContext, optionsKind: string, dryRunValues?: string[]): WriteOptions {
  return {
    dryRun: parseDryRun(dryRunValues ?? ctx.query.getAll('dryRun'), optionsKind),
    fieldManager: fieldManagerOf(ctx, optionsKind),
    user: ctx.user,
    warnings: ctx.warnings,
  };
}

/** One object in the negotiated representation. */
export function respondObject(ctx: HandlerContext, code: number, obj: KObject): FastifyReply {
  addWarnings(ctx.reply, ctx.warnings);
  if (ctx.out.kind === 'table') {
    const table = toTable(ctx.store.strategy.table, [obj], {
      includeObject: parseIncludeObject(ctx.query.get('includeObject')),
      resourceVersion: obj.metadata?.resourceVersion,
    });
    return sendObject(ctx.reply, code, table);
  }
  if (ctx.out.kind === 'partial') return sendObject(ctx.reply, code, partialMetadata(obj));
  return sendObject(ctx.reply, code, obj, ctx.out);
}

export function respondList(ctx: HandlerContext, items: KObject[], rv: string, cont?: string, remaining?: number): FastifyReply {
  addWarnings(ctx.reply, ctx.warnings);
  const i = ctx.store.info;
  if (ctx.out.kind === 'table') {
    const table = toTable(ctx.store.strategy.table, items, {
      includeObject: parseIncludeObject(ctx.query.get('includeObject')), resourceVersion: rv, continue: cont,
    });
    return sendObject(ctx.reply, 200, table);
  }
  const metadata: Record<string, string | number> = { resourceVersion: rv };
  if (cont) metadata['continue'] = cont;
  if (remaining !== undefined) metadata['remainingItemCount'] = remaining;
  if (ctx.out.kind === 'partial') {
    return sendObject(ctx.reply, 200, {
      kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata,
      items: items.map((o) => ({ metadata: o.metadata ?? {} })),
    });
  }
  // Items in a list carry no kind/apiVersion, as kube-apiserver encodes them.
  const bare = items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
  return sendObject(ctx.reply, 200, {
    kind: i.listKind, apiVersion: i.group ? `${i.group}/${i.version}` : i.version, metadata, items: bare,
  }, ctx.out);
}
