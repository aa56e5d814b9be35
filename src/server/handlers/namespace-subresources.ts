// Namespace subresources: /finalize (the namespace controller's exit) and /status. They change only
// their own part of the object, so they write through storage directly rather than through the main
// resource's strategy (which keeps spec.finalizers and status as they were).

import { errors } from '../../api/errors.js';
import type { Namespace } from '../../api/types.js';
import { NO_CHANGE } from '../../storage/store.js';
import { decodeBody } from '../decode.js';
import { respondObject, writeOptions, type HandlerContext } from './context.js';

async function writeSubresource(ctx: HandlerContext, change: (ns: Namespace, incoming: Namespace) => void): Promise<Namespace> {
  const opts = writeOptions(ctx, 'UpdateOptions');
  const body = Buffer.isBuffer(ctx.req.body) ? ctx.req.body : undefined;
  const incoming = decodeBody(body, ctx.req.headers['content-type'], ctx.store.info, 'Ignore').object as Namespace;
  ctx.req.audit?.requestObject(incoming);
  const key = ctx.store.key(undefined, ctx.info.name);
  await ctx.store.get(undefined, ctx.info.name);
  if (opts.dryRun) {
    const ns = (await ctx.store.get(undefined, ctx.info.name)) as Namespace;
    change(ns, incoming);
    return ns;
  }
  const res = await ctx.store.storage.guaranteedUpdate(key, (cur) => {
    const before = JSON.stringify(cur);
    change(cur as Namespace, incoming);
    return JSON.stringify(cur) === before ? NO_CHANGE : cur;
  });
  return res.object as Namespace;
}

export async function finalizeNamespaceHandler(ctx: HandlerContext): Promise<unknown> {
  const ns = await writeSubresource(ctx, (cur, incoming) => {
    const fin = incoming.spec?.finalizers ?? [];
    cur.spec = fin.length ? { ...(cur.spec ?? {}), finalizers: fin } : {};
  });
  if (ns.metadata?.deletionTimestamp && !ns.spec?.finalizers?.length && !ns.metadata.finalizers?.length) {
    await ctx.store.storage.delete(ctx.store.key(undefined, ctx.info.name)).catch(() => undefined);
  }
  return respondObject(ctx, 200, ns);
}

export async function namespaceStatusHandler(ctx: HandlerContext): Promise<unknown> {
  if (ctx.info.verb === 'get') return respondObject(ctx, 200, await ctx.store.get(undefined, ctx.info.name));
  if (ctx.info.verb !== 'update') throw errors.methodNotAllowed();
  const ns = await writeSubresource(ctx, (cur, incoming) => {
    cur.status = incoming.status ?? {};
  });
  return respondObject(ctx, 200, ns);
}
