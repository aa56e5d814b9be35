// PATCH in the four kube flavours. JSON, merge and strategic-merge patches transform the live object
// inside the store's optimistic update loop; server-side apply merges the applied configuration with
// field ownership (managedFields) and conflicts, creating the object when it does not exist.

import { errors } from '../../api/errors.js';
import { forbidden, required } from '../../api/field-errors.js';
import { applyPatchByContentType, serverSideApply, parsePatchType } from '../../api/patch/index.js';
import type { KObject } from '../../api/types.js';
import { checkObject, parseFieldValidation } from '../decode.js';
import { reconcileNamespace } from './write.js';
import { parse as parseYaml } from 'yaml';
import { authorizeCreate, isAlreadyExists, respondObject, writeOptions, type HandlerContext } from './context.js';

export async function patchObject(ctx: HandlerContext): Promise<unknown> {
  const contentType = ctx.req.headers['content-type'];
  const patchType = parsePatchType(contentType);
  const isApply = patchType === 'application/apply-patch+yaml';
  const opts = writeOptions(ctx, 'PatchOptions');
  const forceText = ctx.query.get('force');
  if (forceText !== null && !isApply) {
    throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [forbidden('force', 'may not be specified for non-apply patch')]);
  }
  if (isApply && !ctx.query.get('fieldManager')) {
    throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [required('fieldManager', 'is required for apply patch')]);
  }
  const validation = parseFieldValidation(ctx.query.get('fieldValidation'), 'PatchOptions');
  const body = Buffer.isBuffer(ctx.req.body) ? ctx.req.body : Buffer.alloc(0);
  const info = ctx.store.info;
  if (ctx.req.audit) ctx.req.audit.requestObject(patchForAudit(body, isApply));
  const finish = (obj: KObject): KObject => {
    const decoded = checkObject(obj, info, validation);
    ctx.warnings.push(...decoded.warnings);
    ctx.store.strategy.normalize(decoded.object);
    reconcileNamespace(ctx, decoded.object);
    return decoded.object;
  };

  if (!isApply) {
    const res = await ctx.store.update(ctx.namespace, ctx.info.name, (existing) => {
      const patched = applyPatchByContentType(patchType, existing, body, ctx.store.strategy.patchHints);
      return finish(patched);
    }, opts);
    return respondObject(ctx, 200, res.object);
  }

  const force = forceText === 'true';
  const manager = opts.fieldManager!;
  const existing = await ctx.store.tryGet(ctx.namespace, ctx.info.name);
  if (!existing) {
    // Apply creates what is missing: that takes `create`, not only the `patch` that let the request in.
    await authorizeCreate(ctx);
    const { object } = serverSideApply(null, body, manager, { force, info, name: ctx.info.name, namespace: ctx.namespace });
    try {
      const created = await ctx.store.create(ctx.namespace, finish(object), { ...opts, managedFieldsDone: true });
      return respondObject(ctx, 201, created);
    } catch (err) {
      // Created by someone else since the read: apply to theirs, as kube's update loop would.
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const res = await ctx.store.update(ctx.namespace, ctx.info.name, (live) => {
    const { object } = serverSideApply(live, body, manager, { force, info, name: ctx.info.name, namespace: ctx.namespace });
    return finish(object);
  }, { ...opts, managedFieldsDone: true });
  return respondObject(ctx, 200, res.object);
}

/** The patch as a JSON value for the audit log (apply patches are YAML); unparsable bodies as text. */
function patchForAudit(body: Buffer, yaml: boolean): unknown {
  const text = body.toString('utf8');
  try {
    return yaml ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch {
    return text;
  }
}
