// kubectl delete, --dry-run=server, immutable Secrets, type immutability and namespaces against a
// real Opaque server: printed results and the stored state afterwards.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { b64, editorScript, ok, startSuite, tableRows, waitFor, type Suite } from './kubectl-common.js';

describe('kubectl delete, dry-run, immutability and namespaces', { timeout: 180_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('lifecycle');
  });
  after(async () => {
    await s?.stop();
  });

  const create = async (name: string, literals: string[], ns = 'default', extra: string[] = []) => {
    ok(await s.k(['create', 'secret', 'generic', name, '-n', ns, ...literals.map((l) => `--from-literal=${l}`), ...extra]), `create ${name}`);
    return s.getJson('secret', name, ns);
  };
  const status = async (path: string) => (await s.http('GET', path)).status;

  describe('delete', () => {
    it('delete secret prints secret "<name>" deleted and the secret is gone', async () => {
      await create('del1', ['a=1']);
      const r = await s.k(['delete', 'secret', 'del1']);
      ok(r);
      assert.equal(r.stdout, 'secret "del1" deleted\n');
      assert.equal(r.stderr, '');
      assert.equal(await status('/api/v1/namespaces/default/secrets/del1'), 404);
      const g = await s.k(['get', 'secret', 'del1']);
      assert.equal(g.code, 1);
      assert.equal(g.stderr, 'Error from server (NotFound): secrets "del1" not found\n');
    });

    it('delete secret nosuch fails with NotFound', async () => {
      const r = await s.k(['delete', 'secret', 'nosuch']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'Error from server (NotFound): secrets "nosuch" not found\n');
    });

    it('delete secrets --all deletes every secret in the namespace and nothing elsewhere', async () => {
      ok(await s.k(['create', 'namespace', 'del-all']));
      for (const n of ['a1', 'a2', 'a3']) await create(n, ['x=y'], 'del-all');
      const keep = await create('keep-me', ['x=y']);
      const r = await s.k(['delete', 'secrets', '--all', '-n', 'del-all']);
      ok(r);
      assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['secret "a1" deleted', 'secret "a2" deleted', 'secret "a3" deleted']);
      const list = await s.http('GET', '/api/v1/namespaces/del-all/secrets');
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.items, []);
      const g = await s.k(['get', 'secrets', '-n', 'del-all']);
      ok(g);
      assert.equal(g.stderr, 'No resources found in del-all namespace.\n');
      assert.equal((await s.getJson('secret', 'keep-me')).metadata.uid, keep.metadata.uid);
    });

    it('delete secrets --all in an empty namespace prints No resources found', async () => {
      ok(await s.k(['create', 'namespace', 'del-empty']));
      const r = await s.k(['delete', 'secrets', '--all', '-n', 'del-empty']);
      ok(r);
      assert.equal(r.stdout, 'No resources found\n');
      assert.equal(r.stderr, '');
    });
  });

  describe('--dry-run=server', () => {
    it('create --dry-run=server prints (server dry run) and stores nothing', async () => {
      const r = await s.k(['create', 'secret', 'generic', 'dry', '--from-literal=a=b', '--dry-run=server']);
      ok(r);
      assert.equal(r.stdout, 'secret/dry created (server dry run)\n');
      assert.equal(await status('/api/v1/namespaces/default/secrets/dry'), 404);
      const list = await s.k(['get', 'secrets', '--field-selector', 'metadata.name=dry', '-o', 'name']);
      assert.equal(list.stdout, '');
    });

    it('create --dry-run=server -o json returns the would-be object without a resourceVersion', async () => {
      const r = await s.k(['create', 'secret', 'generic', 'dry-json', '--from-literal=a=b', '--dry-run=server', '-o', 'json']);
      ok(r);
      const obj = JSON.parse(r.stdout);
      assert.equal(obj.metadata.name, 'dry-json');
      assert.equal(obj.metadata.namespace, 'default');
      assert.deepEqual(obj.data, { a: b64('b') });
      assert.equal(obj.type, 'Opaque');
      assert.equal(obj.metadata.resourceVersion, undefined);
      assert.equal(await status('/api/v1/namespaces/default/secrets/dry-json'), 404);
    });

    it('create --dry-run=server of an existing name still reports AlreadyExists', async () => {
      await create('dry-exists', ['a=1']);
      const r = await s.k(['create', 'secret', 'generic', 'dry-exists', '--from-literal=a=2', '--dry-run=server']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'error: failed to create secret secrets "dry-exists" already exists\n');
    });

    it('delete --dry-run=server prints (server dry run) and the secret is still there', async () => {
      const before = await create('dry-del', ['a=1']);
      const r = await s.k(['delete', 'secret', 'dry-del', '--dry-run=server']);
      ok(r);
      assert.equal(r.stdout, 'secret "dry-del" deleted (server dry run)\n');
      const obj = await s.getJson('secret', 'dry-del');
      assert.equal(obj.metadata.uid, before.metadata.uid);
      assert.equal(obj.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(obj.metadata.deletionTimestamp, undefined);
    });
  });

  describe('immutable secrets', () => {
    const makeImmutable = async (name: string) => {
      await create(name, ['a=1']);
      const r = await s.k(['patch', 'secret', name, '-p', '{"immutable":true}']);
      ok(r);
      assert.equal(r.stdout, `secret/${name} patched\n`);
      const obj = await s.getJson('secret', name);
      assert.equal(obj.immutable, true);
      return obj;
    };

    it("patch -p '{\"immutable\":true}' marks a secret immutable", async () => {
      const obj = await makeImmutable('im-set');
      assert.deepEqual(obj.data, { a: b64('1') });
      const y = await s.k(['get', 'secret', 'im-set', '-o', 'yaml']);
      assert.match(y.stdout, /\nimmutable: true\n/);
    });

    it('kubectl edit of its data is refused: the editor is re-opened with the reason and kubectl exits non-zero', async () => {
      const before = await makeImmutable('im-edit');
      const log = `${s.dir}/im-edit.log`;
      const editor = editorScript(s, 'im-edit.cjs', log, `text = text.replace(/^  a: .*$/m, '  a: ${b64('2')}');`);
      const r = await s.k(['edit', 'secret', 'im-edit'], { env: { EDITOR: editor } });
      assert.notEqual(r.code, 0);
      const buffers = readFileSync(log, 'utf8');
      assert.ok(buffers.includes('field is immutable when `immutable` is set'), `editor buffers:\n${buffers}`);
      assert.match(buffers, /^# secrets "im-edit" was not valid:\n# \* data: Forbidden: field is immutable when `immutable` is set\n/m);
      assert.match(r.stderr, /error: secrets "im-edit" is invalid/);
      assert.match(r.stderr, /Edit cancelled, no valid changes were saved\./);
      const obj = await s.getJson('secret', 'im-edit');
      assert.deepEqual(obj.data, { a: b64('1') });
      assert.equal(obj.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('patching its data fails with `data: Forbidden: field is immutable when `immutable` is set`', async () => {
      const before = await makeImmutable('im-patch');
      const r = await s.k(['patch', 'secret', 'im-patch', '-p', JSON.stringify({ data: { a: b64('2') } })]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'The Secret "im-patch" is invalid: data: Forbidden: field is immutable when `immutable` is set\n');
      const m = await s.k(['patch', 'secret', 'im-patch', '--type=merge', '-p', JSON.stringify({ data: { b: b64('new') } })]);
      assert.equal(m.code, 1);
      assert.equal(m.stderr, 'The Secret "im-patch" is invalid: data: Forbidden: field is immutable when `immutable` is set\n');
      const obj = await s.getJson('secret', 'im-patch');
      assert.deepEqual(obj.data, { a: b64('1') });
      assert.equal(obj.metadata.resourceVersion, before.metadata.resourceVersion);
    });

    it('re-sending identical values through stringData is not a change', async () => {
      await makeImmutable('im-same');
      const r = await s.k(['patch', 'secret', 'im-same', '-p', '{"stringData":{"a":"1"}}']);
      ok(r);
      assert.equal(r.stdout, 'secret/im-same patched (no change)\n');
    });

    it('immutable cannot be switched back to false', async () => {
      await makeImmutable('im-flag');
      const r = await s.k(['patch', 'secret', 'im-flag', '-p', '{"immutable":false}']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'The Secret "im-flag" is invalid: immutable: Forbidden: field is immutable when `immutable` is set\n');
      assert.equal((await s.getJson('secret', 'im-flag')).immutable, true);
    });

    it('its labels and annotations can still change', async () => {
      await makeImmutable('im-meta');
      const l = await s.k(['label', 'secret', 'im-meta', 'stage=prod']);
      ok(l);
      assert.equal(l.stdout, 'secret/im-meta labeled\n');
      ok(await s.k(['annotate', 'secret', 'im-meta', 'owner=team-a']));
      const obj = await s.getJson('secret', 'im-meta');
      assert.deepEqual(obj.metadata.labels, { stage: 'prod' });
      assert.equal(obj.metadata.annotations.owner, 'team-a');
      assert.deepEqual(obj.data, { a: b64('1') });
    });

    it('it can be deleted', async () => {
      await makeImmutable('im-del');
      const r = await s.k(['delete', 'secret', 'im-del']);
      ok(r);
      assert.equal(r.stdout, 'secret "im-del" deleted\n');
      assert.equal(await status('/api/v1/namespaces/default/secrets/im-del'), 404);
    });
  });

  describe('type immutability', () => {
    it("patch --type=merge -p '{\"type\":\"kubernetes.io/tls\"}' is refused with `type: … field is immutable`", async () => {
      // The keys a TLS secret needs are present, so the type change is the only error.
      await create('ty', ['tls.crt=c', 'tls.key=k']);
      const r = await s.k(['patch', 'secret', 'ty', '--type=merge', '-p', '{"type":"kubernetes.io/tls"}']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'The Secret "ty" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable\n');
      assert.equal((await s.getJson('secret', 'ty')).type, 'Opaque');
    });

    it('a type change that also breaks the new type rules lists the type error first, as ValidateSecretUpdate does', async () => {
      // kube-apiserver: ValidateSecretUpdate appends the type immutability error before ValidateSecret(new)'s
      // per-type errors, and kubectl prints the causes in the order received.
      await create('ty2', ['a=1']);
      const r = await s.k(['patch', 'secret', 'ty2', '--type=merge', '-p', '{"type":"kubernetes.io/tls"}']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, [
        'The Secret "ty2" is invalid: ',
        '* type: Invalid value: "kubernetes.io/tls": field is immutable',
        '* data[tls.crt]: Required value',
        '* data[tls.key]: Required value',
        '',
      ].join('\n'));
      assert.equal((await s.getJson('secret', 'ty2')).type, 'Opaque');
    });
  });

  describe('namespaces', () => {
    it('get ns lists default, kube-system, kube-public and kube-node-lease as Active', async () => {
      const r = await s.k(['get', 'ns']);
      ok(r);
      const rows = tableRows(r.stdout);
      assert.deepEqual(rows[0], ['NAME', 'STATUS', 'AGE']);
      const byName = Object.fromEntries(rows.slice(1).map((row) => [row[0], row[1]]));
      for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.equal(byName[n], 'Active', `${n} in ${r.stdout}`);
    });

    it('create namespace sets phase Active and the kubernetes.io/metadata.name label', async () => {
      const r = await s.k(['create', 'namespace', 'ns-new']);
      ok(r);
      assert.equal(r.stdout, 'namespace/ns-new created\n');
      const ns = await s.getJson('namespace', 'ns-new');
      assert.equal(ns.kind, 'Namespace');
      assert.equal(ns.status.phase, 'Active');
      assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
      assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'ns-new');
    });

    it('delete ns removes the namespace and every secret in it', async () => {
      ok(await s.k(['create', 'namespace', 'team']));
      await create('s1', ['a=1'], 'team');
      await create('s2', ['b=2'], 'team');
      const survivor = await create('s1', ['a=1']);
      const r = await s.k(['delete', 'ns', 'team']);
      ok(r);
      assert.equal(r.stdout, 'namespace "team" deleted\n');
      await waitFor(async () => (await status('/api/v1/namespaces/team')) === 404, 'namespace team to disappear', 10_000);
      const g = await s.k(['get', 'ns', 'team']);
      assert.equal(g.code, 1);
      assert.equal(g.stderr, 'Error from server (NotFound): namespaces "team" not found\n');
      await waitFor(async () => (await s.http('GET', '/api/v1/namespaces/team/secrets')).json?.items?.length === 0, 'the secrets of team to disappear', 10_000);
      const all = await s.http('GET', '/api/v1/secrets');
      assert.ok(!all.json.items.some((i: any) => i.metadata.namespace === 'team'), 'no secret of team remains');
      assert.equal((await s.getJson('secret', 's1')).metadata.uid, survivor.metadata.uid, 'same-named secret elsewhere untouched');
    });

    it('delete ns default is Forbidden: this namespace may not be deleted', async () => {
      const r = await s.k(['delete', 'ns', 'default']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
      const ns = await s.getJson('namespace', 'default');
      assert.equal(ns.status.phase, 'Active');
      assert.equal(ns.metadata.deletionTimestamp, undefined);
    });

    it('kube-system and kube-public may not be deleted either', async () => {
      for (const n of ['kube-system', 'kube-public']) {
        const r = await s.k(['delete', 'ns', n]);
        assert.equal(r.code, 1);
        assert.equal(r.stderr, `Error from server (Forbidden): namespaces "${n}" is forbidden: this namespace may not be deleted\n`);
      }
    });

    it('delete ns nosuch fails with NotFound', async () => {
      const r = await s.k(['delete', 'ns', 'nosuch']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (NotFound): namespaces "nosuch" not found\n');
    });
  });
});
