// @kubernetes/client-node 1.x against a real opaque server: namespace lifecycle (create, read,
// delete → Terminating → gone with its secrets) and the generic KubernetesObjectApi from manifests.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanup, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, clients, eventually, expectApiError, k8s, rvNum, uniq, type Clients } from './client-node-support.js';

let o: Opaque;
let c: Clients;

before(async () => {
  o = await startOpaque();
  c = clients(o);
});

after(async () => {
  if (o) await cleanup(o);
});

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return true;
    throw e;
  }
}

describe('client-node: namespaces', () => {
  it('createNamespace / readNamespace: Active, metadata.name label, kubernetes finalizer', async () => {
    const name = uniq('ns');
    const created = await c.core.createNamespace({ body: { metadata: { name, labels: { team: 'a' } } } });
    assert.equal(created.kind, 'Namespace');
    assert.equal(created.apiVersion, 'v1');
    assert.equal(created.metadata!.name, name);
    assert.equal(created.metadata!.namespace, undefined, 'namespaces are cluster-scoped');
    assert.deepEqual(created.metadata!.labels, { 'kubernetes.io/metadata.name': name, team: 'a' });
    assert.deepEqual(created.spec?.finalizers, ['kubernetes']);
    assert.equal(created.status?.phase, 'Active');
    assert.match(created.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata!.creationTimestamp instanceof Date);
    assert.ok(rvNum(created.metadata!.resourceVersion) > 0n);

    const read = await c.core.readNamespace({ name });
    assert.equal(read.status?.phase, 'Active');
    assert.equal(read.metadata!.labels?.['kubernetes.io/metadata.name'], name);
    assert.deepEqual(read.spec?.finalizers, ['kubernetes']);
    assert.equal(read.metadata!.uid, created.metadata!.uid);

    const list = await c.core.listNamespace({ labelSelector: `kubernetes.io/metadata.name=${name}` });
    assert.equal(list.kind, 'NamespaceList');
    assert.deepEqual(list.items.map((n) => n.metadata!.name), [name]);
    const byField = await c.core.listNamespace({ fieldSelector: `metadata.name=${name}` });
    assert.deepEqual(byField.items.map((n) => n.metadata!.name), [name]);
    const builtins = (await c.core.listNamespace({})).items.map((n) => n.metadata!.name);
    for (const b of ['default', 'kube-system', 'kube-public']) assert.ok(builtins.includes(b), b);
  });

  it('the metadata.name label cannot be changed away from the name', async () => {
    const name = uniq('nslbl');
    await c.core.createNamespace({ body: { metadata: { name } } });
    const patched = await c.core.patchNamespace(
      { name, body: { metadata: { labels: { 'kubernetes.io/metadata.name': 'other', extra: 'x' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.metadata!.labels?.['kubernetes.io/metadata.name'], name);
    assert.equal(patched.metadata!.labels?.['extra'], 'x');
  });

  it('namespace errors: duplicate 409, missing 404, bad name 422, protected 403', async () => {
    const name = uniq('nserr');
    await c.core.createNamespace({ body: { metadata: { name } } });
    const dup = await expectApiError(c.core.createNamespace({ body: { metadata: { name } } }), 409, 'AlreadyExists');
    assert.equal(dup.message, `namespaces "${name}" already exists`);
    assert.deepEqual(dup.details, { name, kind: 'namespaces' });
    const missing = await expectApiError(c.core.readNamespace({ name: 'no-such-namespace' }), 404, 'NotFound');
    assert.equal(missing.message, 'namespaces "no-such-namespace" not found');
    assert.deepEqual(missing.details, { name: 'no-such-namespace', kind: 'namespaces' });
    const bad = await expectApiError(c.core.createNamespace({ body: { metadata: { name: 'Not.A.Label' } } }), 422, 'Invalid');
    assert.equal(bad.details?.kind, 'Namespace');
    assert.deepEqual(bad.details?.causes?.map((x) => [x.reason, x.field]), [['FieldValueInvalid', 'metadata.name']]);
    const prot = await expectApiError(c.core.deleteNamespace({ name: 'default' }), 403, 'Forbidden');
    assert.equal(prot.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it('deleteNamespace: Terminating while content remains, then gone together with its secrets', async () => {
    const name = uniq('nsdel');
    await c.core.createNamespace({ body: { metadata: { name } } });
    await c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 'plain' }, stringData: { a: 'b' } } });
    await c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 'plain2' } } });
    // A finalizer on one secret keeps the namespace Terminating until we release it.
    await c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });

    const res = (await c.core.deleteNamespace({ name })) as unknown as { kind?: string; status?: { phase?: string } };
    // kube answers 200 with the Namespace (client-node types the body as V1Status)
    assert.equal(res.kind, 'Namespace');
    assert.equal(res.status?.phase, 'Terminating');

    const terminating = await c.core.readNamespace({ name });
    assert.equal(terminating.status?.phase, 'Terminating');
    assert.ok(terminating.metadata!.deletionTimestamp instanceof Date);
    assert.deepEqual(terminating.spec?.finalizers, ['kubernetes']);

    // Creating content in a terminating namespace is forbidden.
    const forbidden = await expectApiError(c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 'late' } } }), 403, 'Forbidden');
    assert.equal(forbidden.message, `secrets "late" is forbidden: unable to create new content in namespace ${name} because it is being terminated`);
    assert.deepEqual(forbidden.details?.causes, [
      { reason: 'NamespaceTerminating', message: `namespace ${name} is being terminated`, field: 'metadata.namespace' },
    ]);

    // The controller deletes the plain secrets; the held one is only marked.
    await eventually(async () => (await c.core.listNamespacedSecret({ namespace: name })).items.length === 1, 'plain secrets to be deleted');
    const held = await c.core.readNamespacedSecret({ name: 'held', namespace: name });
    assert.ok(held.metadata!.deletionTimestamp instanceof Date);
    const stillThere = await c.core.readNamespace({ name });
    assert.equal(stillThere.status?.phase, 'Terminating');

    // A second delete while content remains is a 409.
    const again = await expectApiError(c.core.deleteNamespace({ name }), 409, 'Conflict');
    assert.equal(
      again.message,
      `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
    );

    // Updates to existing content are still allowed: release the finalizer.
    await c.core.patchNamespacedSecret(
      { name: 'held', namespace: name, body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(() => gone(() => c.core.readNamespace({ name })), `namespace ${name} to disappear`, 30_000);
    await expectApiError(c.core.readNamespacedSecret({ name: 'held', namespace: name }), 404, 'NotFound');
    const leftovers = await c.core.listSecretForAllNamespaces({ fieldSelector: `metadata.namespace=${name}` });
    assert.deepEqual(leftovers.items, []);
    // Listing in a namespace that no longer exists is an empty list, as in kube.
    assert.deepEqual((await c.core.listNamespacedSecret({ namespace: name })).items, []);
  });

  it('a Terminating namespace blocked by a finalizer reports it in status.conditions', async () => {
    const name = uniq('nscond');
    await c.core.createNamespace({ body: { metadata: { name } } });
    await c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await c.core.deleteNamespace({ name });
    try {
      const ns = await eventually(async () => {
        const cur = await c.core.readNamespace({ name });
        return (cur.status?.conditions ?? []).some((x) => x.type === 'NamespaceFinalizersRemaining') ? cur : undefined;
      }, 'namespace deletion conditions', 5_000);
      const cond = (type: string) => ns.status!.conditions!.find((x) => x.type === type);
      assert.deepEqual(
        { status: cond('NamespaceFinalizersRemaining')?.status, reason: cond('NamespaceFinalizersRemaining')?.reason, message: cond('NamespaceFinalizersRemaining')?.message },
        { status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' },
      );
      assert.equal(cond('NamespaceContentRemaining')?.status, 'True');
      assert.equal(cond('NamespaceContentRemaining')?.reason, 'SomeResourcesRemain');
      assert.ok(cond('NamespaceFinalizersRemaining')?.lastTransitionTime instanceof Date);
    } finally {
      await c.core.patchNamespacedSecret(
        { name: 'held', namespace: name, body: { metadata: { finalizers: null } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }
    await eventually(() => gone(() => c.core.readNamespace({ name })), `namespace ${name} to disappear`, 30_000);
  });

  it('deleteNamespace on an empty namespace removes it promptly; the name can be reused', async () => {
    const name = uniq('nsquick');
    const first = await c.core.createNamespace({ body: { metadata: { name } } });
    await c.core.createNamespacedSecret({ namespace: name, body: { metadata: { name: 's' } } });
    await c.core.deleteNamespace({ name });
    await eventually(() => gone(() => c.core.readNamespace({ name })), `namespace ${name} to disappear`, 30_000);
    const again = await c.core.createNamespace({ body: { metadata: { name } } });
    assert.notEqual(again.metadata!.uid, first.metadata!.uid);
    assert.equal(again.status?.phase, 'Active');
    assert.deepEqual((await c.core.listNamespacedSecret({ namespace: name })).items, [], 'old secrets do not come back');
  });
});

describe('client-node: KubernetesObjectApi from manifests', () => {
  it('create / read / patch / replace / list / delete a Secret and a Namespace', async () => {
    const ns = uniq('koa');
    const nsObj = await c.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    assert.equal(nsObj.kind, 'Namespace');
    assert.equal((nsObj as k8s.V1Namespace).status?.phase, 'Active');

    const manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'from-manifest', namespace: ns, labels: { src: 'manifest' } },
      stringData: { user: 'u' },
    };
    const created = (await c.objects.create(manifest)) as k8s.V1Secret;
    assert.equal(created.kind, 'Secret');
    assert.equal(created.type, 'Opaque');
    assert.deepEqual(created.data, { user: b64('u') });
    assert.equal(created.stringData, undefined);
    assert.equal(created.metadata!.namespace, ns);

    const read = (await c.objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-manifest', namespace: ns } })) as k8s.V1Secret;
    assert.equal(read.metadata!.uid, created.metadata!.uid);
    assert.deepEqual(read.data, { user: b64('u') });
    assert.ok(read.metadata!.creationTimestamp instanceof Date);

    // KubernetesObjectApi.patch defaults to strategic merge patch
    const smp = (await c.objects.patch({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'from-manifest', namespace: ns, labels: { patched: 'smp' } },
      data: { extra: b64('e') },
    })) as k8s.V1Secret;
    assert.deepEqual(smp.metadata!.labels, { patched: 'smp', src: 'manifest' });
    assert.deepEqual(smp.data, { extra: b64('e'), user: b64('u') });

    const merged = (await c.objects.patch(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-manifest', namespace: ns, labels: { patched: null as unknown as string } } },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    )) as k8s.V1Secret;
    assert.deepEqual(merged.metadata!.labels, { src: 'manifest' });

    // Server-side apply through the generic client (fieldManager + force)
    const applied = (await c.objects.patch(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: ns }, data: { k: b64('v1') } },
      undefined,
      undefined,
      'koa-manager',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1Secret;
    assert.deepEqual(applied.data, { k: b64('v1') });
    const entry = applied.metadata!.managedFields?.find((f) => f.manager === 'koa-manager');
    assert.equal(entry?.operation, 'Apply');

    const latest = (await c.objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-manifest', namespace: ns } })) as k8s.V1Secret;
    const replaced = (await c.objects.replace({ ...latest, data: { replaced: b64('r') } })) as k8s.V1Secret;
    assert.deepEqual(replaced.data, { replaced: b64('r') });
    assert.ok(rvNum(replaced.metadata!.resourceVersion) > rvNum(latest.metadata!.resourceVersion));
    // replacing from an out-of-date copy conflicts
    const conflict = await expectApiError(c.objects.replace({ ...latest, data: { again: b64('x') } }), 409, 'Conflict');
    assert.equal(conflict.details?.kind, 'secrets');

    const list = await c.objects.list('v1', 'Secret', ns);
    assert.deepEqual(list.items.map((s) => s.metadata!.name).sort(), ['applied', 'from-manifest']);
    const selected = await c.objects.list('v1', 'Secret', ns, undefined, undefined, undefined, undefined, 'src=manifest');
    assert.deepEqual(selected.items.map((s) => s.metadata!.name), ['from-manifest']);

    const del = (await c.objects.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-manifest', namespace: ns } })) as k8s.V1Status;
    assert.equal(del.status, 'Success');
    assert.equal(del.details?.kind, 'secrets');
    await expectApiError(c.objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-manifest', namespace: ns } }), 404, 'NotFound');

    await c.objects.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await eventually(() => gone(() => c.objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })), `namespace ${ns} to disappear`, 30_000);
  });

  it('a manifest without a namespace uses the kubeconfig default namespace', async () => {
    const name = uniq('koadef');
    const created = await c.objects.create<k8s.V1Secret>({ apiVersion: 'v1', kind: 'Secret', metadata: { name } });
    assert.equal(created.metadata!.namespace, 'default');
    const read = await c.core.readNamespacedSecret({ name, namespace: 'default' });
    assert.equal(read.metadata!.uid, created.metadata!.uid);
    await c.objects.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name } });
    await expectApiError(c.core.readNamespacedSecret({ name, namespace: 'default' }), 404, 'NotFound');
  });

  it('an unknown kind is rejected by discovery before any request', async () => {
    await assert.rejects(
      c.objects.create({ apiVersion: 'v1', kind: 'NoSuchKind', metadata: { name: 'x', namespace: 'default' } }),
      /Unrecognized API version and kind: v1 NoSuchKind/,
    );
  });
});
