// `opaque run` refuses a state directory another user could have prepared (issue 11): run as root
// from a shared directory, an agent that reused a pods/<ns>_<pod>/root made by user nobody would
// hand nobody the delivered password, and one that followed a symlink planted there would chmod and
// write into whatever it points at. The agent exits non-zero naming the path and the reason, and
// writes nothing there; a state dir that is its own still works.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeDir, ROOT, run, tempDir } from '../helpers/opaque.js';
import { putSecret, suiteServer, writeManifest } from './agent-support.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const server = suiteServer();

const pod = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'c', command: ['sh', '-c', 'cat "$OPAQUE_ROOT/etc/app/password"'], volumeMounts: [{ name: 'v', mountPath: '/etc/app' }] }],
    volumes: [{ name: 'v', secret: { secretName: 'app' } }],
  },
};

async function agent(dir: string, stateDir: string) {
  const file = writeManifest(dir, pod);
  return run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'run', '-f', file, '--kubeconfig', server().kubeconfig, '--state-dir', stateDir], { timeoutMs: 30_000 });
}

/** A state dir whose pods/default_p/ exists as the agent would have made it. */
function podDir(dir: string): string {
  const p = join(dir, 'state', 'pods', 'default_p');
  mkdirSync(p, { recursive: true, mode: 0o700 });
  return p;
}

describe('the agent state dir', () => {
  it('works when it is the agent\'s own', async () => {
    await putSecret(server(), 'app', { password: 'hunter2' });
    const dir = tempDir('agent-sd');
    const r = await agent(dir, join(dir, 'state'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[c\] hunter2$/m);
    removeDir(dir);
  });

  it('refuses a pod root another user pre-created, and delivers nothing into it', { skip: !isRoot && 'needs root to chown' }, async () => {
    const dir = tempDir('agent-sd');
    const root = join(podDir(dir), 'root');
    mkdirSync(root, { mode: 0o755 });
    chownSync(root, NOBODY, NOBODY);
    const r = await agent(dir, join(dir, 'state'));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`refusing to use ${root}: it is owned by uid 65534, not by the agent's user (uid 0) or root`), r.stderr);
    assert.deepEqual(readdirSync(root), []);
    assert.equal(lstatSync(root).mode & 0o7777, 0o755);
    assert.doesNotMatch(r.stdout, /hunter2/);
    removeDir(dir);
  });

  it('refuses a symlink planted at the pod root, and neither chmods nor writes where it points', async () => {
    const dir = tempDir('agent-sd');
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    chmodSync(victim, 0o755);
    writeFileSync(join(victim, 'keep'), 'mine');
    const root = join(podDir(dir), 'root');
    symlinkSync(victim, root);
    const r = await agent(dir, join(dir, 'state'));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`refusing to use ${root}: it is a symbolic link`), r.stderr);
    assert.deepEqual(readdirSync(victim), ['keep']);
    assert.equal(lstatSync(victim).mode & 0o7777, 0o755);
    removeDir(dir);
  });

  it('refuses a state dir others may write to', async () => {
    const dir = tempDir('agent-sd');
    const state = join(dir, 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const r = await agent(dir, state);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`refusing to use ${state}: others may write to it (mode 0777)`), r.stderr);
    assert.deepEqual(readdirSync(state), []);
    removeDir(dir);
  });
});
