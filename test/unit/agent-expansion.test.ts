// $(VAR) expansion against the cases of Kubernetes' expansion_test.go, and the kubelet's env
// ordering rules (envFrom prefix, later sources win, env beats envFrom, optional refs).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveEnv, expandCommand } from '../../src/agent/env.js';
import { ContainerConfigError } from '../../src/agent/errors.js';
import { expand, mappingFor } from '../../src/agent/expansion.js';
import type { SecretLookup, SecretView } from '../../src/agent/secret-lookup.js';

describe('expansion', () => {
  const m = mappingFor(new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['VAR_C', 'C'], ['VAR_REF', '$(VAR_A)'], ['VAR_EMPTY', '']]));
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$(VAR_REF)', '$(VAR_A)'], // no recursion
    ['$(VAR_EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['$', '$'],
    ['foo$', 'foo$'],
    ['$()', '$()'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$($(VAR_A))', '$($(VAR_A))'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(expand(input, m), want));
});

function lookup(secrets: Record<string, Record<string, string>>): SecretLookup {
  return {
    get(name): SecretView {
      const s = secrets[name];
      if (!s) return { found: false, notFound: true, message: `secret "${name}" not found` };
      return { found: true, resourceVersion: '1', data: new Map(Object.entries(s).map(([k, v]) => [k, Buffer.from(v)])) };
    },
  };
}

describe('environment', () => {
  const L = lookup({ a: { X: 'from-a', Y: 'ya' }, b: { X: 'from-b', pw: 'p' } });
  const base = new Map([['OPAQUE_ROOT', '/r'], ['PATH', '/bin']]);

  it('envFrom in order with prefix, env beats envFrom, expansion sees earlier vars', () => {
    const { env, secrets } = resolveEnv({
      name: 'c', command: ['x'],
      envFrom: [{ secretRef: { name: 'a' } }, { secretRef: { name: 'b' } }, { prefix: 'P_', secretRef: { name: 'a' } }],
      env: [{ name: 'Y', value: 'literal' }, { name: 'Z', value: '$(X)/$(Y)/$(LATER)/$(OPAQUE_ROOT)' }, { name: 'LATER', value: 'l' }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'b', key: 'pw' } } }],
    }, 'ns', L, base);
    assert.equal(env.get('X'), 'from-b');
    assert.equal(env.get('P_X'), 'from-a');
    assert.equal(env.get('Y'), 'literal');
    assert.equal(env.get('Z'), 'from-b/literal/$(LATER)//r');
    assert.equal(env.get('PW'), 'p');
    assert.equal(env.get('PATH'), '/bin');
    assert.deepEqual([...secrets].sort(), ['a', 'b']);
  });

  it('optional secrets and keys are skipped; required ones fail with the kubelet message', () => {
    const { env } = resolveEnv({
      name: 'c', envFrom: [{ secretRef: { name: 'nope', optional: true } }],
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'a', key: 'missing', optional: true } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }],
    }, 'ns', L, new Map());
    assert.equal(env.size, 0);
    assert.throws(() => resolveEnv({ name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'a', key: 'missing' } } }] }, 'ns', L, new Map()),
      (e: Error) => e instanceof ContainerConfigError && e.reason === 'CreateContainerConfigError' && e.message === "couldn't find key missing in Secret ns/a");
    assert.throws(() => resolveEnv({ name: 'c', envFrom: [{ secretRef: { name: 'nope' } }] }, 'ns', L, new Map()), /secret "nope" not found/);
  });

  it('command and args are expanded against the final environment', () => {
    const argv = expandCommand({ name: 'c', command: ['echo', '$(A)'], args: ['$$(A)', '$(B)'] }, new Map([['A', '1']]));
    assert.deepEqual(argv, ['echo', '1', '$(A)', '$(B)']);
  });
});
