// A short create/get/apply/patch/delete smoke run with the other kubectl minors bundled next to the
// dispatcher (run directly, so the dispatcher's version switch is bypassed). Skipped when absent.
// 1.31 and older send JSON bodies for `create secret`; 1.32+ send protobuf; 1.28 and older read
// /openapi/v2 for apply, edit and explain.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectlMinor, run } from '../helpers/opaque.js';
import { b64, editorScript, ok, startSuite, tableRows, type Suite } from './kubectl-common.js';

describe('kubectl minor versions smoke', { timeout: 120_000 }, () => {
  let s: Suite;
  before(async () => {
    s = await startSuite('versions');
  });
  after(async () => {
    await s?.stop();
  });

  for (const minor of ['1.33', '1.31', '1.28', '1.27']) {
    it(`kubectl ${minor}: create, get, apply (client and server side), patch and delete`, async (t) => {
      const bin = kubectlMinor(minor);
      if (!bin) {
        t.skip(`kubectl.${minor} is not installed next to the dispatcher`);
        return;
      }
      const ver = await run(bin, ['version', '--client', '-o', 'json']);
      assert.equal(ver.code, 0, ver.stderr);
      assert.equal(JSON.parse(ver.stdout).clientVersion.minor, minor.split('.')[1]);

      const ns = `v${minor.replace('.', '')}`;
      const k = (args: string[], env?: NodeJS.ProcessEnv) => s.k([...args, '-n', ns], { bin, env });
      ok(await s.k(['create', 'namespace', ns], { bin }));

      const c = await k(['create', 'secret', 'generic', 'db', '--from-literal=username=admin', '--from-literal=password=S3cr3t']);
      ok(c);
      assert.equal(c.stdout, 'secret/db created\n');
      const dup = await k(['create', 'secret', 'generic', 'db', '--from-literal=a=b']);
      assert.equal(dup.code, 1);
      assert.equal(dup.stderr, 'error: failed to create secret secrets "db" already exists\n');

      const g = await k(['get', 'secrets']);
      ok(g);
      const rows = tableRows(g.stdout);
      assert.deepEqual(rows[0], ['NAME', 'TYPE', 'DATA', 'AGE']);
      assert.deepEqual(rows[1]!.slice(0, 3), ['db', 'Opaque', '2']);
      const jp = await k(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
      assert.equal(jp.stdout, b64('S3cr3t'));

      const f = s.file(`app-${ns}.yaml`, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  user: alice\n');
      const a1 = await k(['apply', '-f', f]);
      ok(a1);
      assert.equal(a1.stdout, 'secret/app created\n');
      const a2 = await k(['apply', '-f', f]);
      ok(a2);
      assert.equal(a2.stdout, 'secret/app configured\n');
      const ssaFile = s.file(`ssa-${ns}.yaml`, `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\ndata:\n  a: ${b64('one')}\n`);
      const ssa = await k(['apply', '--server-side', '-f', ssaFile]);
      ok(ssa);
      assert.equal(ssa.stdout, 'secret/ssa serverside-applied\n');

      const p1 = await k(['patch', 'secret', 'db', '-p', '{"stringData":{"password":"new"}}']);
      ok(p1);
      assert.equal(p1.stdout, 'secret/db patched\n');
      const p2 = await k(['patch', 'secret', 'db', '-p', '{"stringData":{"password":"new"}}']);
      ok(p2);
      assert.equal(p2.stdout, 'secret/db patched (no change)\n');
      const obj = JSON.parse((await k(['get', 'secret', 'db', '-o', 'json'])).stdout);
      assert.deepEqual(obj.data, { password: b64('new'), username: b64('admin') });

      // edit and explain read the OpenAPI document (v2 before 1.29, v3 after).
      const editor = editorScript(s, `editor-${ns}.cjs`, s.file(`editor-${ns}.log`, ''), "text = text.replace('app: bench-edit', 'app: edited');");
      ok(await k(['label', 'secret', 'db', 'app=bench-edit']));
      const e = await k(['edit', 'secret', 'db'], { EDITOR: editor });
      ok(e);
      assert.equal(e.stdout, 'secret/db edited\n');
      assert.equal((await k(['get', 'secret', 'db', '-o', 'jsonpath={.metadata.labels.app}'])).stdout, 'edited');
      const ex = await s.k(['explain', 'secret.type'], { bin });
      ok(ex);
      assert.match(ex.stdout, /KIND:\s+Secret\n(.|\n)*FIELD:\s+type/);
      // A create-only kind from a file, with kubectl's default validation: kubectl finds no PATCH
      // endpoint for it, so it checks the file against the /openapi/v2 schema itself.
      const review = s.file(`ssar-${ns}.yaml`, 'apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n  resourceAttributes:\n    verb: get\n    resource: secrets\n');
      const r = await s.k(['create', '-f', review, '-o', 'jsonpath={.status.allowed}'], { bin });
      ok(r);
      assert.equal(r.stdout, 'true');
      const bad = s.file(`ssar-bad-${ns}.yaml`, 'apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n  bogus: 1\n  resourceAttributes:\n    verb: get\n');
      const rb = await s.k(['create', '-f', bad], { bin });
      assert.equal(rb.code, 1);
      assert.match(rb.stderr, /unknown field "bogus" in io\.k8s\.api\.authorization\.v1\.SelfSubjectAccessReviewSpec/);

      const d = await k(['delete', 'secret', 'db']);
      ok(d);
      assert.equal(d.stdout, 'secret "db" deleted\n');
      const gone = await k(['get', 'secret', 'db']);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, 'Error from server (NotFound): secrets "db" not found\n');
    });
  }
});
