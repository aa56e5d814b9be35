// The registry's Informer on a real SQLite store: with a `keep` predicate (as the token controllers
// use for the Secret types they manage) it holds and reports only matching objects; an object that
// starts matching is ADDED, one that stops matching is DELETED, others never appear.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AdmissionChain } from '../../src/admission/types.js';
import type { KObject } from '../../src/api/types.js';
import { Informer } from '../../src/registry/informer.js';
import { Registry } from '../../src/registry/index.js';
import { SqliteBackend } from '../../src/storage/sqlite/backend.js';
import { identityTransformer } from '../../src/storage/transformer.js';

const dir = mkdtempSync(join(tmpdir(), 'opaque-informer-'));
const backend = new SqliteBackend(join(dir, 'opaque.db'));
const registry = new Registry(backend, new AdmissionChain(), { prefix: '/registry', transformerFor: () => identityTransformer });
const opts = { dryRun: false, user: { username: 'test', groups: ['system:masters'] }, warnings: [] as string[] };

before(async () => {
  await registry.start();
});
after(async () => {
  registry.stop();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const secret = (name: string, keep: boolean): KObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', labels: { keep: String(keep) } }, type: 'Opaque' });
const relabel = (name: string, keep: boolean) =>
  registry.secrets.update('default', name, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { keep: String(keep) } } }), opts);

test('a filtered informer holds and reports only matching objects, and objects moving in and out', async () => {
  await registry.secrets.create('default', secret('a', true), opts);
  await registry.secrets.create('default', secret('b', false), opts);
  const seen: string[] = [];
  const inf = new Informer(registry.secrets, undefined, (o) => o.metadata?.labels?.['keep'] === 'true');
  inf.onChange((type, o) => seen.push(`${type} ${o.metadata!.name}`));
  await inf.start();
  try {
    assert.deepEqual(seen, ['ADDED a']);
    assert.deepEqual([...inf.list()].map((o) => o.metadata!.name), ['a']);

    await relabel('b', true);
    await relabel('a', false);
    await registry.secrets.create('default', secret('c', false), opts);
    await registry.secrets.delete('default', 'a', {}, opts);
    await registry.secrets.delete('default', 'c', {}, opts);
    await registry.secrets.delete('default', 'b', {}, opts);
    await inf.settled();
    assert.deepEqual(seen, ['ADDED a', 'ADDED b', 'DELETED a', 'DELETED b']);
    assert.deepEqual([...inf.list()], []);
  } finally {
    inf.stop();
  }
});
