// Operator endpoints for encryption at rest (the server owns the database, so tools ask it):
//   GET  /opaque/v1/encryption/status     providers in force, and how many stored objects each key holds
//   POST /opaque/v1/encryption/reencrypt  rewrites every value not under the current write key, online,
//                                         streaming NDJSON progress lines and a final count.
// Re-encryption uses the store's optimistic update of an unchanged object: a value read through a
// key other than the current write key is "stale" and is rewritten; concurrent client writes win the
// compare-and-swap and are already under the current key. Running it again after a crash resumes:
// values already rewritten are no longer stale and are skipped without decryption.

import type { FastifyReply } from 'fastify';
import { storedKeyID } from '../../encryption/kms/encrypted-object.js';
import { KmsV2Provider } from '../../encryption/kms/provider.js';
import { type ResourceTransformer, parseStoredPrefix } from '../../encryption/transformer.js';
import type { LiveEncryption } from '../../encryption/live.js';
import type { Registry } from '../../registry/index.js';
import { type KV, StorageError } from '../../storage/backend.js';
import { NO_CHANGE } from '../../storage/store.js';
import { openStream } from '../respond.js';

const PAGE = 500;
/** Rewrites in flight when no --rate is given. */
const IN_FLIGHT = 32;

/**
 * What a stored value is labelled with: `k8s:enc:<provider>:v1:<key>` or `identity`; kms v2 values
 * add the key id they were written under (`k8s:enc:kms:v2:<name> key_id=<id>`), since a new key id
 * makes them stale under the same prefix.
 */
function label(value: Uint8Array): string {
  const p = parseStoredPrefix(value);
  if (p.provider === 'identity') return 'identity';
  const base = p.prefix.replace(/:$/, '') || p.provider;
  if (p.provider !== 'kms' || p.version !== 'v2' || p.keyName === undefined) return base;
  const keyID = storedKeyID(value.subarray(p.prefix.length));
  return keyID === undefined ? base : `${base} key_id=${keyID}`;
}

function writeLabel(t: ResourceTransformer): string {
  if (t.writeTarget.provider === 'identity') return 'identity';
  const base = t.writeTarget.prefix.replace(/:$/, '');
  const first = t.providers[0];
  return first instanceof KmsV2Provider && first.currentKeyID ? `${base} key_id=${first.currentKeyID}` : base;
}

export async function encryptionStatus(registry: Registry, live: LiveEncryption): Promise<Record<string, unknown>> {
  const resources: Record<string, unknown>[] = [];
  for (const store of registry.all()) {
    const t = live.transformers.transformerFor(store.info.group, store.info.resource);
    const counts: Record<string, number> = {};
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const page = await registry.backend.range(store.prefix(), { startAfter: after, limit: PAGE });
      for (const kv of page.kvs) {
        const l = label(kv.value);
        counts[l] = (counts[l] ?? 0) + 1;
        total++;
      }
      if (!page.more) break;
      after = page.kvs.at(-1)!.key;
    }
    const gr = store.info.group ? `${store.info.resource}.${store.info.group}` : store.info.resource;
    const write = writeLabel(t);
    resources.push({
      resource: gr,
      rule: t.rule ?? null,
      writeKey: write,
      providers: t.providers.map((p) => ({ type: p.kind, keys: p.keyNames })),
      stored: total,
      byKey: counts,
      stale: total - (counts[write] ?? 0),
    });
  }
  return {
    configFile: live.file,
    lastReload: live.state.lastSuccessAt ?? null,
    lastReloadError: live.state.lastError ?? null,
    resources,
  };
}

/** rate: objects checked per second at most (0 = as fast as storage allows), to spare a busy server. */
export interface ReencryptResult {
  completed: boolean;
  scanned: number;
  rewritten: number;
  failed: number;
}

export async function reencrypt(registry: Registry, live: LiveEncryption, reply: FastifyReply, signal: AbortSignal, rate = 0): Promise<ReencryptResult> {
  const started = Date.now();
  const raw = openStream(reply, { 'Content-Type': 'application/json' });
  const send = (o: Record<string, unknown>) => raw.write(JSON.stringify(o) + '\n');
  const stores = registry.all();
  let total = 0;
  for (const s of stores) total += await registry.backend.count(s.prefix());
  let scanned = 0;
  let rewritten = 0;
  let failed = 0;
  // The operator's client going away (Ctrl-C) stops the job; running it again resumes.
  let gone = false;
  raw.on('close', () => (gone = true));
  raw.socket?.once('close', () => (gone = true));
  send({ phase: 'start', total });
  for (const store of stores) {
    let after: string | undefined;
    for (;;) {
      if (signal.aborted || gone) {
        send({ phase: 'aborted', total, scanned, rewritten, failed });
        raw.end();
        return { completed: false, scanned, rewritten, failed };
      }
      const page = await registry.backend.range(store.prefix(), { startAfter: after, limit: PAGE });
      const t = live.transformers.transformerFor(store.info.group, store.info.resource);
      const rewrite = async (kv: KV): Promise<void> => {
        const p = parseStoredPrefix(kv.value);
        const current = p.provider === 'identity' ? t.writeTarget.provider === 'identity' : p.prefix === t.writeTarget.prefix;
        // KMS values can be stale under the same prefix (a new key id): let the store decide.
        if (current && p.provider !== 'kms') return;
        try {
          const res = await store.storage.guaranteedUpdate(kv.key, () => NO_CHANGE);
          if (res.object.metadata?.resourceVersion !== String(kv.modRev)) rewritten++;
        } catch (err) {
          // Deleted meanwhile: nothing to rewrite. Unreadable (a missing key): report and go on.
          if (!(err instanceof StorageError && err.code === 'NotFound')) {
            failed++;
            send({ phase: 'error', key: kv.key, error: (err as Error).message });
          }
        }
      };
      if (rate > 0) {
        for (const kv of page.kvs) {
          scanned++;
          const due = started + (scanned / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          if (gone || signal.aborted) break;
          await rewrite(kv);
        }
      } else {
        // Several rewrites in flight: the storage commits those that meet in one transaction (one
        // fsync for many), each still its own compare-and-swap.
        let next = 0;
        const worker = async () => {
          while (next < page.kvs.length) await rewrite(page.kvs[next++]!);
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
        scanned += page.kvs.length;
      }
      send({ phase: 'progress', resource: store.info.resource, total, scanned, rewritten, failed });
      // Storage calls can all complete as microtasks: yield once a page so the progress line goes out,
      // a client that left is noticed, and other requests are served while the rewrite runs.
      await new Promise((r) => setImmediate(r));
      if (!page.more) break;
      after = page.kvs.at(-1)!.key;
    }
  }
  send({ phase: 'done', total, scanned, rewritten, failed });
  raw.end();
  return { completed: true, scanned, rewritten, failed };
}
