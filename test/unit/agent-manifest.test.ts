// What the agent accepts from a manifest file: Pods and workload templates, and API validation's
// refusals (with kube's field paths) for paths that could escape the volume or the agent's root.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podFromObject } from '../../src/agent/manifest.js';
import { reactionsFor } from '../../src/agent/reaction.js';
import { minimalRole } from '../../src/agent/role.js';
import { parseAllDocuments } from 'yaml';

const container = { name: 'app', command: ['true'] };
const pod = (spec: object, annotations = {}) => ({ kind: 'Pod', metadata: { name: 'p', annotations }, spec: { containers: [container], ...spec } });

describe('manifest', () => {
  it('takes the pod template of workloads', () => {
    for (const kind of ['Deployment', 'StatefulSet', 'Job', 'DaemonSet']) {
      const p = podFromObject({ kind, metadata: { name: 'w', namespace: 'ns' }, spec: { template: { metadata: { annotations: { a: 'b' } }, spec: { containers: [container] } } } });
      assert.deepEqual([p.name, p.namespace, p.annotations['a']], ['w', 'ns', 'b']);
    }
    assert.throws(() => podFromObject({ kind: 'Service', metadata: { name: 'x' } }), /not runnable/);
  });

  it('rejects item paths and mount paths that escape, with kube field paths', () => {
    const bad: [object, RegExp][] = [
      [{ volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: '/etc/passwd' }] } }] }, /spec\.volumes\[0\]\.secret\.items\[0\]\.path: Invalid value: "\/etc\/passwd": must be a relative path/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: 'a/../../x' }] } }] }, /items\[0\]\.path: Invalid value: "a\/..\/..\/x": must not contain '..'/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: '..data' }] } }] }, /must not start with '..'/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's', defaultMode: 0o1777 } }] }, /defaultMode: Invalid value: 1023: must be a number between 0 and 0777/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's' } }], containers: [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/../../etc' }] }] }, /mountPath: Invalid value: "\/..\/..\/etc": must not contain '..'/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's' } }], containers: [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/a', subPath: '../x' }] }] }, /subPath: Invalid value: "..\/x": must not contain '..'/],
      [{ volumes: [{ name: 'v', secret: { secretName: 's' } }], containers: [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/a/b' }] }] }, /does not nest mounts/],
      [{ containers: [{ name: 'app' }] }, /command: Required value/],
      [{ restartPolicy: 'Sometimes' }, /spec\.restartPolicy: Unsupported value/],
    ];
    for (const [spec, re] of bad) assert.throws(() => podFromObject(pod(spec)), re, JSON.stringify(spec));
  });

  it('reads the on-secret-change annotation, per container over pod-wide', () => {
    const p = podFromObject({ kind: 'Pod', metadata: { name: 'p', annotations: { 'opaque.dev/on-secret-change': 'restart', 'opaque.dev/on-secret-change.b': 'signal:SIGHUP' } }, spec: { containers: [container, { name: 'b', command: ['x'] }] } });
    const r = reactionsFor(p);
    assert.deepEqual(r.get('app'), { kind: 'restart' });
    assert.deepEqual(r.get('b'), { kind: 'signal', signal: 'SIGHUP' });
    assert.throws(() => reactionsFor(podFromObject(pod({}, { 'opaque.dev/on-secret-change': 'signal:SIGNOPE' }))), /must be "restart", "signal:<SIGNAME>"/);
  });
});

describe('minimal role', () => {
  it('names every referenced secret once (volumes, env, envFrom) and binds a ServiceAccount in its namespace', () => {
    const p = podFromObject({
      kind: 'Pod', metadata: { name: 'p', namespace: 'apps' },
      spec: {
        containers: [{ name: 'a', command: ['x'], envFrom: [{ secretRef: { name: 'from' } }], env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 'ref', key: 'k' } } }, { name: 'F', valueFrom: { secretKeyRef: { name: 'vol', key: 'k' } } }] }],
        volumes: [{ name: 'v', secret: { secretName: 'vol' } }],
      },
    });
    const [role, binding] = parseAllDocuments(minimalRole(p, { kind: 'ServiceAccount', name: 'runner' })).map((d) => d.toJS());
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['from', 'ref', 'vol'], verbs: ['get', 'watch'] }]);
    assert.equal(role.metadata.namespace, 'apps');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'runner', namespace: 'apps' }]);
  });
});
