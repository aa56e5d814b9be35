// GET of one object and LIST of a collection.

import { errors } from '../../api/errors.js';
import { parseRV, waitForRevision, type ListParams } from '../../registry/list.js';
import { respondList, respondObject, type HandlerContext } from './context.js';

export async function getObject(ctx: HandlerContext): Promise<unknown> {
  // resourceVersion on GET means "not older than": wait briefly for a newer revision, else 504.
  const rv = ctx.query.get('resourceVersion');
  if (rv && rv !== '0') await waitForRevision(ctx.store, parseRV(rv));
  const obj = await ctx.store.get(ctx.namespace, ctx.info.name);
  return respondObject(ctx, 200, obj);
}

export function listParams(ctx: HandlerContext): ListParams {
  const q = ctx.query;
  const limitText = q.get('limit');
  let limit: number | undefined;
  if (limitText !== null && limitText !== '') {
    // strconv.ParseInt(v, 10, 64): digits, within int64.
    if (!/^-?\d+$/.test(limitText) || BigInt(limitText) >= 2n ** 63n || BigInt(limitText) < -(2n ** 63n)) {
      throw errors.badRequest(`limit: Invalid value: "${limitText}": must be an integer`);
    }
    limit = Number(limitText);
    if (limit < 0) limit = undefined;
  }
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit,
    continue: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    sendInitialEvents: q.has('sendInitialEvents') ? q.get('sendInitialEvents') === 'true' : undefined,
  };
}

export async function listObjects(ctx: HandlerContext): Promise<unknown> {
  const params = listParams(ctx);
  const page = await ctx.store.list(ctx.namespace, params);
  return respondList(ctx, page.items, page.resourceVersion, page.continue, page.remainingItemCount);
}
