// POST (create), PUT (replace), DELETE and DELETE on a collection.

import { errors } from '../../api/errors.js';
import { notSupported, type FieldError } from '../../api/field-errors.js';
import type { KObject } from '../../api/types.js';
import { deleteNamespace } from '../../registry/namespaces.js';
import type { DeleteParams } from '../../registry/generic-store.js';
import { decodeBody, parseFieldValidation, parseText } from '../decode.js';
import { addWarnings, sendObject } from '../respond.js';
import { listParams } from './read.js';
import { authorizeCreate, isAlreadyExists, respondList, respondObject, writeOptions, type HandlerContext } from './context.js';

function body(ctx: HandlerContext): Buffer | undefined {
  const b = ctx.req.body;
  return Buffer.isBuffer(b) ? b : undefined;
}

/** kube's EnsureObjectNamespaceMatchesRequestNamespace. */
export function reconcileNamespace(ctx: HandlerContext, obj: KObject): void {
  const requestNs = ctx.store.info.namespaced ? (ctx.namespace ?? '') : '';
  const m = obj.metadata!;
  const objNs = m.namespace ?? '';
  if (objNs === requestNs) return;
  if (objNs === '') {
    if (requestNs) m.namespace = requestNs;
    return;
  }
  if (requestNs === '') return;
  throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/** The request body as the object to write: decoded, field-validated, defaulted, namespace set. */
function objectFromBody(ctx: HandlerContext, optionsKind: 'CreateOptions' | 'UpdateOptions'): KObject {
  const validation = parseFieldValidation(ctx.query.get('fieldValidation'), optionsKind);
  const decoded = decodeBody(body(ctx), ctx.req.headers['content-type'], ctx.store.info, validation);
  ctx.warnings.push(...decoded.warnings);
  ctx.store.strategy.normalize(decoded.object);
  // As kube logs it: decoded, converted (stringData folded into data) and defaulted.
  ctx.req.audit?.requestObject(decoded.object);
  reconcileNamespace(ctx, decoded.object);
  return decoded.object;
}

export async function createObject(ctx: HandlerContext): Promise<unknown> {
  const opts = writeOptions(ctx, 'CreateOptions');
  const created = await ctx.store.create(ctx.namespace, objectFromBody(ctx, 'CreateOptions'), opts);
  return respondObject(ctx, 201, created);
}

export async function replaceObject(ctx: HandlerContext): Promise<unknown> {
  const opts = writeOptions(ctx, 'UpdateOptions');
  const obj = objectFromBody(ctx, 'UpdateOptions');
  if (obj.metadata?.name && obj.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  if (ctx.store.strategy.allowCreateOnUpdate && !(await ctx.store.tryGet(ctx.namespace, ctx.info.name))) {
    // PUT creates a missing Role or binding, as kube's store does; that needs `create` as well.
    await authorizeCreate(ctx);
    const fresh = structuredClone(obj);
    delete fresh.metadata!.resourceVersion;
    if (!fresh.metadata!.name) fresh.metadata!.name = ctx.info.name;
    try {
      return respondObject(ctx, 201, await ctx.store.create(ctx.namespace, fresh, opts));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const res = await ctx.store.update(ctx.namespace, ctx.info.name, () => structuredClone(obj), opts);
  return respondObject(ctx, 200, res.object);
}

const PROPAGATION = ['Foreground', 'Background', 'Orphan', 'nil'];

/** DeleteOptions from the body (kubectl sends one) and the query string. */
export function deleteParams(ctx: HandlerContext): { params: DeleteParams; dryRun: string[] } {
  const b = body(ctx);
  let opts: Record<string, unknown> = {};
  if (b && b.length) {
    const fmt = (ctx.req.headers['content-type'] ?? '').includes('yaml') ? 'yaml' : 'json';
    const v = parseText(b, fmt, { kind: 'DeleteOptions' });
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw errors.badRequest('the object provided is unrecognized (must be of type DeleteOptions)');
    opts = v as Record<string, unknown>;
    ctx.req.audit?.requestObject(opts);
    if (opts['kind'] && opts['kind'] !== 'DeleteOptions') {
      throw errors.badRequest(`the object provided is unrecognized (must be of type DeleteOptions): kind "${String(opts['kind'])}"`);
    }
  }
  const q = ctx.query;
  const dryRun = q.getAll('dryRun').length ? q.getAll('dryRun') : Array.isArray(opts['dryRun']) ? (opts['dryRun'] as string[]) : [];
  const propagationPolicy = q.get('propagationPolicy') ?? (opts['propagationPolicy'] as string | undefined);
  const errs: FieldError[] = [];
  if (propagationPolicy !== undefined && propagationPolicy !== null && !PROPAGATION.slice(0, 3).includes(propagationPolicy)) {
    errs.push(notSupported('propagationPolicy', propagationPolicy, PROPAGATION));
  }
  if (opts['orphanDependents'] !== undefined && opts['orphanDependents'] !== null && propagationPolicy) {
    errs.push({ type: 'FieldValueInvalid', field: 'propagationPolicy', value: propagationPolicy, detail: 'orphanDependents and deletionPropagation cannot be both set' });
  }
  const graceText = q.get('gracePeriodSeconds');
  const grace = graceText !== null ? Number(graceText) : (opts['gracePeriodSeconds'] as number | undefined);
  if (grace !== undefined && grace !== null && (!Number.isInteger(grace) || grace < 0)) {
    errs.push({ type: 'FieldValueInvalid', field: 'gracePeriodSeconds', value: graceText ?? grace, detail: 'must be a non-negative integer' });
  }
  if (errs.length) throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', errs);
  const pre = (opts['preconditions'] ?? {}) as { uid?: string; resourceVersion?: string };
  return {
    params: { preconditions: { uid: pre.uid ?? undefined, resourceVersion: pre.resourceVersion ?? undefined }, propagationPolicy: propagationPolicy ?? undefined, gracePeriodSeconds: grace ?? undefined },
    dryRun,
  };
}

export async function deleteObject(ctx: HandlerContext): Promise<unknown> {
  const { params, dryRun } = deleteParams(ctx);
  const opts = writeOptions(ctx, 'DeleteOptions', dryRun);
  const i = ctx.store.info;
  const outcome = i.resource === 'namespaces' && i.group === ''
    ? await deleteNamespace(ctx.store, ctx.info.name, params, opts)
    : await ctx.store.delete(ctx.namespace, ctx.info.name, params, opts);
  if (!outcome.deleted) return respondObject(ctx, 200, outcome.object);
  addWarnings(ctx.reply, ctx.warnings);
  const details: Record<string, string> = { name: ctx.info.name };
  if (i.group) details['group'] = i.group;
  details['kind'] = i.resource;
  if (outcome.object.metadata?.uid) details['uid'] = outcome.object.metadata.uid;
  return sendObject(ctx.reply, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details } as never, ctx.out);
}

export async function deleteCollection(ctx: HandlerContext): Promise<unknown> {
  const { params, dryRun } = deleteParams(ctx);
  const opts = writeOptions(ctx, 'DeleteOptions', dryRun);
  const page = await ctx.store.list(ctx.namespace, { ...listParams(ctx), limit: undefined, continue: undefined });
  const deleted: KObject[] = [];
  for (const obj of page.items) {
    try {
      const out = await ctx.store.delete(obj.metadata?.namespace, obj.metadata!.name!, params, opts);
      deleted.push(out.object);
    } catch (err) {
      // Already gone (a concurrent delete) is fine for a collection delete, as in kube.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  return respondList(ctx, deleted, page.resourceVersion);
}

