// The kubelet's failure rules in `opaque run`: a missing non-optional Secret or key keeps that
// container waiting with CreateContainerConfigError (others start) until the Secret appears; a
// secret volume that cannot be mounted holds every container in ContainerCreating; manifests whose
// item paths, mount paths or subPaths would escape are refused; symlinks planted in the agent's
// root do not redirect what it writes.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, removeDir, run, ROOT, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { podStatus, putSecret, startAgent, writeManifest, stopAgents } from './agent-support.js';

let o: Opaque;
before(async () => {
  o = await startOpaque();
  await putSecret(o, 'db', { user: 'admin' });
});
after(async () => {
  await stopAgents();
  await cleanup(o);
});

const pod = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', ...spec } });

describe('missing secrets and keys', () => {
  it('a missing secret keeps only its container waiting, until the secret is created', async () => {
    const a = startAgent(o, pod('late', {
      containers: [
        { name: 'needs', command: ['sh', '-c', 'echo GOT=$V'], env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'later', key: 'v' } } }] },
        { name: 'fine', command: ['sh', '-c', 'echo FINE=$U; sleep 30'], env: [{ name: 'U', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } }] },
      ],
    }));
    await a.waitFor(/container "needs" waiting: CreateContainerConfigError: secret "later" not found/);
    await a.waitFor(/^\[fine\] FINE=admin$/m);
    assert.doesNotMatch(a.out(), /\[needs\]/);
    const st = podStatus(a, 'default', 'late');
    assert.deepEqual([st.containers[0].state, st.containers[0].reason, st.containers[0].message], ['waiting', 'CreateContainerConfigError', 'secret "later" not found']);
    await putSecret(o, 'later', { v: 'arrived' });
    await a.waitFor(/^\[needs\] GOT=arrived$/m);
    assert.equal(await a.stop(), 0);
    removeDir(a.dir);
  });

  it('a missing key names the key and the secret', async () => {
    const a = startAgent(o, pod('nokey', { containers: [{ name: 'c', command: ['true'], env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }] }));
    await a.waitFor(/container "c" waiting: CreateContainerConfigError: couldn't find key password in Secret default\/db/);
    await a.stop();
    removeDir(a.dir);
  });

  it('a workingDir that does not exist keeps the container waiting with CreateContainerError', async () => {
    const a = startAgent(o, pod('nowd', { containers: [{ name: 'c', command: ['true'], workingDir: '/nonexistent/opaque-wd' }] }));
    await a.waitFor(/container "c" waiting: CreateContainerError: workingDir \/nonexistent\/opaque-wd does not exist/);
    await a.stop();
    removeDir(a.dir);
  });

  it('an unmountable volume holds every container in ContainerCreating', async () => {
    const a = startAgent(o, pod('nomount', {
      containers: [{ name: 'c', command: ['sh', '-c', 'echo STARTED'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }, { name: 'd', command: ['sh', '-c', 'echo STARTED'] }],
      volumes: [{ name: 'v', secret: { secretName: 'db', items: [{ key: 'password', path: 'pw' }] } }],
    }));
    await a.waitFor(/container "d" waiting: ContainerCreating: MountVolume.SetUp failed for volume "v" : references non-existent secret key: password/);
    const b = startAgent(o, pod('nosecret', { containers: [{ name: 'c', command: ['true'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }], volumes: [{ name: 'v', secret: { secretName: 'ghost' } }] }));
    await b.waitFor(/container "c" waiting: ContainerCreating: MountVolume.SetUp failed for volume "v" : secret "ghost" not found/);
    // Item paths that collide ("u" a file, "u/x" under it): a mount failure, and the agent lives on.
    const c = startAgent(o, pod('collide', { containers: [{ name: 'c', command: ['true'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }], volumes: [{ name: 'v', secret: { secretName: 'db', items: [{ key: 'user', path: 'u' }, { key: 'user', path: 'u/x' }] } }] }));
    await c.waitFor(/container "c" waiting: ContainerCreating: MountVolume.SetUp failed for volume "v" : E(NOTDIR|EXIST)/);
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(a.out() + b.out(), /STARTED/);
    for (const x of [a, b, c]) {
      assert.equal(await x.stop(), 0);
      removeDir(x.dir);
    }
  });
});

describe('paths that would escape', () => {
  const refused: [string, object, RegExp][] = [
    ['absolute item path', { volumes: [{ name: 'v', secret: { secretName: 'db', items: [{ key: 'user', path: '/etc/passwd' }] } }] }, /spec\.volumes\[0\]\.secret\.items\[0\]\.path: Invalid value: "\/etc\/passwd": must be a relative path/],
    ['item path with ..', { volumes: [{ name: 'v', secret: { secretName: 'db', items: [{ key: 'user', path: 'x/../../../escape' }] } }] }, /must not contain '\.\.'/],
    ['item path into the writer\'s ..data', { volumes: [{ name: 'v', secret: { secretName: 'db', items: [{ key: 'user', path: '..data/user' }] } }] }, /must not start with '\.\.'/],
    ['mount path with ..', { containers: [{ name: 'c', command: ['true'], volumeMounts: [{ name: 'v', mountPath: '/../../outside' }] }], volumes: [{ name: 'v', secret: { secretName: 'db' } }] }, /volumeMounts\[0\]\.mountPath: Invalid value: "\/\.\.\/\.\.\/outside": must not contain '\.\.'/],
    ['subPath with ..', { containers: [{ name: 'c', command: ['true'], volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '../../../etc/passwd' }] }], volumes: [{ name: 'v', secret: { secretName: 'db' } }] }, /subPath: Invalid value: "\.\.\/\.\.\/\.\.\/etc\/passwd": must not contain '\.\.'/],
  ];
  for (const [what, spec, re] of refused) {
    it(`refuses ${what}`, async () => {
      const dir = tempDir('agent-bad');
      const file = writeManifest(dir, pod('bad', { containers: [{ name: 'c', command: ['true'] }], ...spec }));
      const r = await run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'run', '-f', file, '--kubeconfig', o.kubeconfig, '--state-dir', join(dir, 's')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, re);
      assert.ok(!existsSync(join(dir, 's')), 'nothing was written');
      removeDir(dir);
    });
  }

  it('does not write through symlinks planted in its root', async () => {
    const dir = tempDir('agent-plant');
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'mine');
    const root = join(dir, 'root');
    mkdirSync(root);
    symlinkSync(victim, join(root, 'containers'));
    symlinkSync(victim, join(root, 'volumes'));
    const a = startAgent(o, pod('plant', {
      containers: [{ name: 'c', command: ['sh', '-c', 'cat $OPAQUE_ROOT/etc/db/user'], volumeMounts: [{ name: 'v', mountPath: '/etc/db' }] }],
      volumes: [{ name: 'v', secret: { secretName: 'db' } }],
    }), ['--root', root]);
    assert.equal(await a.exited, 0, a.err());
    assert.match(a.out(), /^\[c\] admin$/m);
    assert.deepEqual(readdirSync(victim), ['keep']);
    removeDir(a.dir);
    removeDir(dir);
  });
});
