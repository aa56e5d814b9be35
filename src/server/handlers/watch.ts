// WATCH: newline-delimited {"type","object"} events streamed from the watch cache, with headers
// flushed at once (client-node's watch resolves only then), initial ADDED events when no
// resourceVersion is given, bookmarks, per-event Table rows for kubectl get -w, selector transitions
// (an object leaving the selection is DELETED), and 410 as an ERROR event for a too old revision.

import { errors } from '../../api/errors.js';
import type { KObject } from '../../api/types.js';
import { buildFilter, parseRV, validateWatchParams, waitForRevision } from '../../registry/list.js';
import { StorageError } from '../../storage/backend.js';
import type { CacheEvent } from '../../storage/watch-cache.js';
import { openStream } from '../respond.js';
import { WatchStream, type WatchEvent } from '../watch-stream.js';
import { parseIncludeObject, toTable } from '../table.js';
import { listParams } from './read.js';
import type { HandlerContext } from './context.js';

const BOOKMARK_INTERVAL_MS = Number(process.env['OPAQUE_BOOKMARK_INTERVAL_MS'] ?? 60_000);
const DEFAULT_MIN_TIMEOUT_S = 1800;

export async function watchObjects(ctx: HandlerContext, shuttingDown: AbortSignal): Promise<void> {
  const q = ctx.query;
  const params = listParams(ctx);
  const filter = buildFilter(ctx.store, params);
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const sendInitialEvents = q.get('sendInitialEvents');
  const rvText = q.get('resourceVersion') ?? '';
  validateWatchParams(params, bookmarks);
  const timeoutText = q.get('timeoutSeconds');
  const timeoutS = timeoutText ? Number(timeoutText) : DEFAULT_MIN_TIMEOUT_S * (1 + Math.random());
  const initial = sendInitialEvents === 'true' || (sendInitialEvents === null && (rvText === '' || rvText === '0'));

  // The initial items live in a holder the stream empties: this function's frame stays suspended for
  // the whole watch, and a local bound to the list would keep every decoded object alive with it.
  const start = await startingPoint(ctx, params, initial, rvText);
  const fromRev = start.fromRev;

  const raw = openStream(ctx.reply, {
    'Content-Type': 'application/json',
    'Audit-Id': String(ctx.req.headers['audit-id'] ?? ctx.req.id),
  });
  ctx.req.audit?.responseStarted(200);

  const table = ctx.out.kind === 'table';
  const includeObject = parseIncludeObject(q.get('includeObject'));
  let headersSent = false;
  const info = ctx.store.info;
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  const render = !table ? undefined : (e: WatchEvent): WatchEvent => {
    if (e.type === 'BOOKMARK' || e.type === 'ERROR') return e;
    const obj = e.object as KObject;
    const t = toTable(ctx.store.strategy.table, [obj], { includeObject, resourceVersion: obj.metadata?.resourceVersion, noHeaders: headersSent });
    headersSent = true;
    return { type: e.type, object: t };
  };
  let closed = false;
  const stream = new WatchStream(raw, render);
  const write = (type: string, object: unknown): boolean => !closed && stream.send({ type, object });

  const nsPrefix = ctx.namespace && info.namespaced ? ctx.store.prefix(ctx.namespace) : undefined;
  const convert = (e: CacheEvent): { type: string; object: KObject } | undefined => {
    if (nsPrefix && !e.key.startsWith(nsPrefix)) return undefined;
    if (!filter) return { type: e.type, object: e.object };
    const cur = e.type !== 'DELETED' && filter(e.object);
    const old = e.prevObject ? filter(e.prevObject) : false;
    if (e.type === 'DELETED') return old ? { type: 'DELETED', object: e.object } : undefined;
    if (cur && old) return { type: 'MODIFIED', object: e.object };
    if (cur) return { type: 'ADDED', object: e.object };
    if (old) {
      const prev = structuredClone(e.prevObject!);
      prev.metadata = { ...prev.metadata, resourceVersion: String(e.rev) };
      return { type: 'DELETED', object: prev };
    }
    return undefined;
  };

  // The newest revision the client has been told about (by an event it received or a bookmark);
  // filtered-out events do not count, so a quiet selection still gets bookmarks.
  let toldRev = fromRev;
  const done = new Promise<void>((resolve) => {
    let unregister = () => {};
    const finish = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      clearInterval(bookmarkTimer);
      shuttingDown.removeEventListener('abort', finish);
      unregister();
      stream.end();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, timeoutS) * 1000);
    const bookmarkTimer = setInterval(async () => {
      if (!bookmarks || closed || !stream.idle) return;
      const rev = await ctx.store.cache.progressRevision();
      if (rev !== undefined && rev > toldRev) {
        toldRev = rev;
        write('BOOKMARK', { kind: info.kind, apiVersion, metadata: { resourceVersion: String(rev) } });
      }
    }, BOOKMARK_INTERVAL_MS);
    raw.on('close', finish);
    ctx.req.raw.on('close', finish);
    shuttingDown.addEventListener('abort', finish);

    const initialEvents: WatchEvent[] = start.items.map((object) => ({ type: 'ADDED', object }));
    start.items = [];
    if (sendInitialEvents === 'true') {
      initialEvents.push({
        type: 'BOOKMARK',
        object: { kind: info.kind, apiVersion, metadata: { resourceVersion: String(fromRev), annotations: { 'k8s.io/initial-events-end': 'true' } } },
      });
    }
    stream.sendInitial(initialEvents);
    try {
      unregister = ctx.store.cache.watch(fromRev, {
        send(e) {
          const ev = convert(e);
          if (!ev) return true;
          toldRev = e.rev;
          return write(ev.type, ev.object);
        },
        stop() {
          finish();
        },
      });
    } catch (err) {
      if (err instanceof StorageError && err.code === 'TooOld') {
        write('ERROR', errors.expired(err.message).toStatus());
      } else {
        write('ERROR', errors.internal((err as Error).message).toStatus());
      }
      finish();
    }
  });
  await done;
}

/** Where a watch starts: the listed items and their revision, or the client's resourceVersion. */
async function startingPoint(
  ctx: HandlerContext, params: ReturnType<typeof listParams>, initial: boolean, rvText: string,
): Promise<{ fromRev: number; items: KObject[] }> {
  if (initial) {
    if (rvText && rvText !== '0') await waitForRevision(ctx.store, parseRV(rvText));
    const page = await ctx.store.list(ctx.namespace, { labelSelector: params.labelSelector, fieldSelector: params.fieldSelector });
    return { fromRev: Number(page.resourceVersion), items: page.items };
  }
  const fromRev = parseRV(rvText);
  await waitForRevision(ctx.store, fromRev);
  return { fromRev, items: [] };
}
