// securityContext in `opaque run`: runAsUser / runAsGroup / fsGroup start the container's process as
// that user (a root agent only), and the secret volume is read-only for it, as the kubelet's
// read-only mount makes it: the process reads its files (fsGroup gives it the group), but cannot
// change or add any. A non-root agent asked for another user reports CreateContainerError.

import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cleanup, removeDir, startOpaque, type Opaque } from '../helpers/opaque.js';
import { putSecret, startAgent, stopAgents } from './agent-support.js';

let o: Opaque;
const NOBODY = 65534;
const isRoot = process.getuid!() === 0;

const script = [
  'echo UID=$(id -u) GID=$(id -g)',
  'cat $OPAQUE_ROOT/etc/ro/password >/dev/null 2>&1 && echo READ=$(cat $OPAQUE_ROOT/etc/ro/password) || echo READ-REFUSED',
  '(echo changed > $OPAQUE_ROOT/etc/ro/password) 2>/dev/null && echo WROTE || echo WRITE-REFUSED',
  '(touch $OPAQUE_ROOT/etc/ro/added) 2>/dev/null && echo ADDED || echo ADD-REFUSED',
  'trap "exit 0" TERM; while :; do sleep 0.1; done',
].join('; ');

const pod = (name: string, securityContext: object, defaultMode: number) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: {
    securityContext,
    containers: [{ name: 'c', command: ['sh', '-c', script], volumeMounts: [{ name: 'ro', mountPath: '/etc/ro', readOnly: true }] }],
    volumes: [{ name: 'ro', secret: { secretName: 'ro-secret', defaultMode } }],
  },
});

before(async () => {
  o = await startOpaque();
  await putSecret(o, 'ro-secret', { password: 'pw-123' });
});
after(async () => {
  await stopAgents();
  await cleanup(o);
});

describe('securityContext', () => {
  it(isRoot ? 'runAsUser + fsGroup: the process reads its 0440 files through the group and can neither change nor add files'
    : 'a non-root agent refuses another user with CreateContainerError', async () => {
    const a = startAgent(o, pod('as-nobody', { runAsUser: NOBODY, fsGroup: 4242 }, 0o440));
    chmodSync(a.dir, 0o711); // the test's temp dir: the other user must be able to reach the state dir
    if (!isRoot) {
      await a.waitFor(/container "c" waiting: CreateContainerError: cannot run container "c" as uid 65534 gid 4242: the agent runs as uid \d+, and only a root agent can start a process as another user/);
    } else {
      await a.waitFor(/^\[c\] ADD-REFUSED$/m);
      const out = a.out();
      assert.match(out, /^\[c\] UID=65534 GID=4242$/m);
      assert.match(out, /^\[c\] READ=pw-123$/m);
      assert.match(out, /^\[c\] WRITE-REFUSED$/m);
    }
    await a.stop();
    removeDir(a.dir);
  });

  it('without fsGroup, a 0400 file stays the agent\'s own: another user cannot read it', { skip: !isRoot && 'covered by the CreateContainerError case above' }, async () => {
    const a = startAgent(o, pod('no-group', { runAsUser: NOBODY }, 0o400));
    chmodSync(a.dir, 0o711);
    await a.waitFor(/^\[c\] ADD-REFUSED$/m);
    assert.match(a.out(), /^\[c\] READ-REFUSED$/m);
    assert.match(a.out(), /^\[c\] WRITE-REFUSED$/m);
    await a.stop();
    removeDir(a.dir);
  });

  it('ids outside 0..2147483647 are refused before anything runs, with kube\'s wording', async () => {
    const a = startAgent(o, pod('bad-id', { runAsUser: -1 }, 0o644));
    assert.notEqual(await a.exited, 0);
    assert.match(a.err(), /spec\.securityContext\.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive/);
    removeDir(a.dir);
  });
});
