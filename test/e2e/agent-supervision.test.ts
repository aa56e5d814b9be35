// Process supervision in `opaque run`: restartPolicy Always / OnFailure / Never with the crash
// back-off, exit codes (signal deaths as 128+n) passed on, and SIGTERM to the agent stopping every
// container gracefully: SIGTERM first, SIGKILL once terminationGracePeriodSeconds runs out.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { removeDir } from '../helpers/opaque.js';
import { podStatus, startAgent, suiteServer } from './agent-support.js';

const server = suiteServer();

const pod = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });

describe('restartPolicy', () => {
  it('Always restarts a crashing container with back-off and counts restarts', async () => {
    const a = startAgent(server(), pod('always', { containers: [{ name: 'c', command: ['sh', '-c', 'echo run; exit 2'] }] }), ['--backoff', '200ms']);
    await a.waitFor(/(\[c\] run\n[^]*){3}/);
    await a.waitFor(/back-off \d+(\.\d)?s restarting failed container=c/);
    const st = podStatus(a, 'default', 'always');
    assert.ok(st.containers[0].restarts >= 2, JSON.stringify(st));
    assert.equal(await a.stop(), 0);
    removeDir(a.dir);
  });

  it('OnFailure restarts until success, then the agent exits 0', async () => {
    const a = startAgent(server(), pod('onfailure', { restartPolicy: 'OnFailure', containers: [{ name: 'c', command: ['sh', '-c', 'if [ -e ran ]; then echo second; exit 0; fi; touch ran; echo first; exit 1'] }] }), ['--backoff', '100ms']);
    assert.equal(await a.exited, 0, a.err());
    assert.match(a.out(), /\[c\] first\n\[c\] second\n/);
    removeDir(a.dir);
  });

  it('Never passes the exit code on, and a signal death as 128+n', async () => {
    const a = startAgent(server(), pod('never', { restartPolicy: 'Never', containers: [{ name: 'c', command: ['sh', '-c', 'exit 5'] }] }));
    assert.equal(await a.exited, 5);
    const b = startAgent(server(), pod('killed', { restartPolicy: 'Never', containers: [{ name: 'c', command: ['sh', '-c', 'kill -KILL $$$$'] /* $$ is kube's escaped $ */ }] }));
    assert.equal(await b.exited, 137);
    assert.match(b.err(), /container "c" exited with code 137 \(SIGKILL\)/);
    removeDir(a.dir);
    removeDir(b.dir);
  });
});

describe('graceful stop', () => {
  it('SIGTERM to the agent: SIGTERM to each container, SIGKILL after the grace period', async () => {
    const a = startAgent(server(), pod('stop', {
      terminationGracePeriodSeconds: 2,
      containers: [
        { name: 'polite', command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done'] },
        { name: 'stubborn', command: ['sh', '-c', 'trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done'] },
      ],
    }));
    await a.waitFor(/\[polite\] ready/);
    await a.waitFor(/\[stubborn\] ready/);
    const t0 = Date.now();
    a.proc.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    const took = Date.now() - t0;
    assert.match(a.out(), /\[polite\] got TERM/);
    assert.match(a.out(), /\[stubborn\] ignoring TERM/);
    assert.match(a.err(), /container "stubborn" exited with code 137 \(SIGKILL\)/);
    assert.match(a.err(), /container "polite" exited with code 0/);
    assert.ok(took >= 1900 && took < 10_000, `stopped after ${took} ms`);
    removeDir(a.dir);
  });
});
