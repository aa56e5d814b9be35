// Fuzzing the four patch types on the server's PATCH path: depth guard → applyPatchByContentType (or
// serverSideApply) → checkObject → normalize → validateUpdate → managedFields. Inputs are generated
// operations and patches aimed at the live object's real paths, their mutations, and raw bytes.
// Every one yields an object or a 4xx StatusError; merge patches are idempotent.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { errors } from '../../src/api/errors.js';
import { applyJsonPatch, applyMergePatch, applyPatchByContentType, applyStrategicMergePatch, PATCH_TYPES, serverSideApply, updateManagedFields } from '../../src/api/patch/index.js';
import type { KObject } from '../../src/api/types.js';
import { namespaceStrategy } from '../../src/registry/namespaces.js';
import { roleBindingStrategy, roleStrategy } from '../../src/registry/rbac.js';
import { secretStrategy } from '../../src/registry/secrets.js';
import { serviceAccountStrategy } from '../../src/registry/serviceaccounts.js';
import type { Strategy } from '../../src/registry/types.js';
import { guardBodyDepth } from '../../src/server/body-guard.js';
import { checkObject, type FieldValidation } from '../../src/server/decode.js';
import { check, mutatedBytes, mutatedValue, outcome, Reach, TOKENS } from '../fuzz/harness.js';
import { assertNotSuperLinear, quietly } from '../fuzz/timing.js';

const FILE = 'fuzz-patch';
const NOW = new Date('2026-01-01T00:00:00Z');
const meta = (name: string, ns?: string) => ({
  name, ...(ns ? { namespace: ns } : {}), uid: 'u-1', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z',
  labels: { app: 'a', 'example.com/tier': 'x' }, annotations: { note: 'n' }, finalizers: ['example.com/f'],
  managedFields: [{ manager: 'kubectl', operation: 'Update' as const, apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1' as const, fieldsV1: { 'f:data': { 'f:k': {} } } }],
});

/** A live object of each kind the server patches, with lists keyed by name so SMP has work to do. */
const LIVE: Array<{ strategy: Strategy; live: KObject }> = [
  { strategy: secretStrategy, live: { apiVersion: 'v1', kind: 'Secret', metadata: meta('target', 'ns'), type: 'Opaque', data: { k: 'dg==', 'b.c': '' } } },
  { strategy: serviceAccountStrategy, live: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('sa', 'ns'), secrets: [{ name: 's1' }, { name: 's2' }], imagePullSecrets: [{ name: 'p' }] } },
  { strategy: namespaceStrategy, live: { apiVersion: 'v1', kind: 'Namespace', metadata: meta('ns'), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } } },
  { strategy: roleStrategy, live: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('r', 'ns'), rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] } },
  { strategy: roleBindingStrategy, live: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('rb', 'ns'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }] } },
];

// --- generators -------------------------------------------------------------------------------

const segment = fc.oneof(
  fc.constantFrom('metadata', 'labels', 'annotations', 'data', 'k', 'secrets', 'rules', 'subjects', 'verbs', 'name', 'finalizers', 'spec', 'type', 'managedFields', '0', '1', '-', '-1', '+0', '99', '~0', '~1', '', 'app', 'example.com~1tier', '__proto__', 'constructor'),
  fc.string({ maxLength: 6 }),
);
const pointer = fc.oneof(fc.constant(''), fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`), fc.string({ maxLength: 10 }));
const leaf = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(null, 'dg==', { a: 'b' }, [{ name: 'x' }], ['get']));
const op = fc.record({
  op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), fc.string({ maxLength: 5 }), fc.constant(7)),
  path: fc.oneof({ weight: 6, arbitrary: pointer }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 1, []) }),
  from: pointer, value: leaf,
}, { requiredKeys: ['op'] });
const jsonPatch = fc.oneof({ weight: 5, arbitrary: fc.array(op, { maxLength: 6 }) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

const directiveKey = fc.constantFrom('$patch', '$retainKeys', '$setElementOrder/secrets', '$setElementOrder/rules', '$deleteFromPrimitiveList/finalizers', '$deleteFromPrimitiveList/verbs', '$setElementOrder/data');
const directiveValue = fc.oneof(fc.constantFrom<unknown>('replace', 'delete', 'merge', 'retainKeys', 'bogus', null, ['name'], [{ name: 's1' }], ['kubernetes'], 3));
/** An object patch: ordinary fields from the kinds' schemas mixed with SMP directives. */
const objectPatch: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('obj'), fc.array(tie('node'), { maxLength: 3 })),
  obj: fc.dictionary(fc.oneof(segment, directiveKey), fc.oneof(tie('node'), directiveValue), { maxKeys: 4 }),
})).obj;
const mergePatch = fc.oneof({ weight: 5, arbitrary: objectPatch }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

const applyConfig = (live: KObject) => mutatedValue(fc.constant({ apiVersion: live.apiVersion, kind: live.kind, metadata: { name: live.metadata?.name, labels: { app: 'b' } } }))
  .chain((cfg) => fc.oneof(fc.constant(cfg), objectPatch.map((p) => (p && typeof p === 'object' && !Array.isArray(p) ? { ...(cfg as object), ...p } : cfg))));

interface Req { index: number; type: string; body: Buffer; validation: FieldValidation; force: boolean; exists: boolean }

const request: fc.Arbitrary<Req> = fc.integer({ min: 0, max: LIVE.length - 1 }).chain((index) => {
  const { live } = LIVE[index]!;
  const bodies = fc.oneof(
    jsonPatch.map((v) => ({ type: PATCH_TYPES[0] as string, v })),
    mergePatch.map((v) => ({ type: PATCH_TYPES[1] as string, v })),
    mergePatch.map((v) => ({ type: PATCH_TYPES[2] as string, v })),
    applyConfig(live).map((v) => ({ type: PATCH_TYPES[3] as string, v })),
  ).chain(({ type, v }) => {
    const text = type === PATCH_TYPES[3] ? fc.constantFrom(toYaml(v), JSON.stringify(v)) : fc.constant(JSON.stringify(v) ?? 'null');
    const clean = text.map((t) => Buffer.from(t));
    return fc.record({ type: fc.constant(type), body: fc.oneof({ weight: 3, arbitrary: clean }, { weight: 2, arbitrary: mutatedBytes(clean, TOKENS) }) });
  });
  return fc.record({
    index: fc.constant(index), validation: fc.constantFrom<FieldValidation>('Strict', 'Warn', 'Ignore'), force: fc.boolean(), exists: fc.boolean(),
    wire: fc.oneof({ weight: 8, arbitrary: bodies }, { weight: 1, arbitrary: fc.record({ type: fc.constantFrom(...PATCH_TYPES, 'application/json', 'application/merge-patch+json; charset=utf-8'), body: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) }) }),
  }).map(({ wire, ...r }) => ({ ...r, ...wire }));
});

/** What handlers/patch.ts and the generic store run for one PATCH. */
function patchPath(r: Req): KObject {
  const { strategy, live } = LIVE[r.index]!;
  const current = structuredClone(live);
  guardBodyDepth(r.type, r.body);
  const finish = (obj: KObject, old: KObject | null): KObject => {
    const { object } = checkObject(obj, strategy.info, r.validation);
    strategy.normalize(object);
    const errs = old ? strategy.validateUpdate(object, old) : strategy.validate(object);
    if (errs.length) throw errors.invalid(strategy.info.kind, strategy.info.group, String(object.metadata?.name ?? ''), errs);
    return object;
  };
  if (r.type.startsWith('application/apply-patch+yaml')) {
    const old = r.exists ? current : null;
    const { object } = serverSideApply(old, r.body, 'fuzzer', { force: r.force, info: strategy.info, name: String(live.metadata?.name), namespace: live.metadata?.namespace, fieldValidation: r.validation });
    return finish(object, old);
  }
  const patched = finish(applyPatchByContentType(r.type, current, r.body, strategy.patchHints), current);
  const mf = updateManagedFields(current, patched, 'fuzzer', 'Update', NOW, { hints: strategy.patchHints });
  if (mf) patched.metadata = { ...patched.metadata, managedFields: mf };
  return patched;
}

describe('fuzz: patches', () => {
  test('PATCH of every type: an object or a 4xx Status, never a crash', () => {
    const reach = new Reach();
    check(FILE, 'patch-request', request, (r) => {
      reach.note(undefined !== outcome(`${LIVE[r.index]!.live.kind} ${r.type} ${r.validation} body=${JSON.stringify(r.body.toString('latin1').slice(0, 300))}`, () => patchPath(r)));
    }, 1500);
    reach.assertAtLeast('patches', 0.05);
  });

  test('JSON patch: generated operations on any document', () => {
    check(FILE, 'json-patch', fc.tuple(fc.jsonValue({ maxDepth: 4 }), jsonPatch), ([doc, ops]) => {
      const before = JSON.stringify(doc);
      outcome(`applyJsonPatch ${before} ${JSON.stringify(ops)}`, () => applyJsonPatch(doc, ops));
      assert.equal(JSON.stringify(doc), before, 'the input document must not be modified');
    }, 1500);
  });

  test('merge patch: total and idempotent (applying it twice changes nothing more)', () => {
    // Up to nulls inside objects: evanphx copies a non-object patch value onto an object verbatim,
    // nulls and all, and prunes them when the same value lands on a non-object the second time.
    const pruned = (v: unknown): unknown => Array.isArray(v) ? v.map(pruned)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, pruned(x)])) : v;
    check(FILE, 'merge-patch', fc.tuple(fc.jsonValue({ maxDepth: 4 }), mergePatch), ([doc, p]) => {
      const once = outcome('applyMergePatch', () => applyMergePatch(doc, p));
      assert.deepEqual(pruned(applyMergePatch(once, p)), pruned(once), `merge patch ${JSON.stringify(p)} on ${JSON.stringify(doc)} is not idempotent`);
    }, 1500);
  });

  test('strategic merge patch: directives and keyed lists on every kind', () => {
    check(FILE, 'strategic-merge', fc.tuple(fc.integer({ min: 0, max: LIVE.length - 1 }), mergePatch, fc.boolean()), ([i, p, mutateLive]) => {
      const { strategy, live } = LIVE[i]!;
      const doc = mutateLive ? (structuredClone(p) as KObject) : structuredClone(live);
      outcome(`applyStrategicMergePatch ${strategy.info.kind} ${JSON.stringify(p)}`, () => applyStrategicMergePatch(doc, p, strategy.patchHints));
    }, 1500);
  });
});

describe('keys every JS object has are ordinary keys, as in Go', () => {
  const { strategy, live } = LIVE[0]!;
  const bodies: Record<string, string> = {
    [PATCH_TYPES[0]]: '[{"op":"add","path":"/data/__proto__","value":"YQ=="}]',
    [PATCH_TYPES[1]]: '{"data":{"__proto__":"YQ=="}}',
    [PATCH_TYPES[2]]: '{"data":{"__proto__":"YQ=="}}',
    [PATCH_TYPES[3]]: 'apiVersion: v1\nkind: Secret\nmetadata: {name: target}\ndata: {__proto__: YQ==}\n',
  };
  for (const type of PATCH_TYPES) {
    test(`${type}: a "__proto__" data key is stored as a key, the prototype untouched`, () => {
      const r = patchPath({ index: 0, type, body: Buffer.from(bodies[type]!), validation: 'Strict', force: false, exists: true });
      const data = r['data'] as Record<string, unknown>;
      assert.ok(Object.prototype.hasOwnProperty.call(data, '__proto__'), `${type} dropped the key: ${JSON.stringify(data)}`);
      assert.equal(data['__proto__'], 'YQ==');
      assert.equal(Object.getPrototypeOf(data), Object.prototype);
      assert.deepEqual(Object.keys(data).sort(), ['__proto__', 'b.c', 'k'].sort());
      assert.equal(strategy.info.kind, live.kind);
    });
  }
});

describe('patch time grows linearly with the patch', () => {
  const secret = LIVE[0]!;
  test('JSON patch: many operations', () => {
    const build = (n: number) => Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({ op: 'add', path: `/data/k${i}`, value: 'YQ==' }))));
    assertNotSuperLinear('json patch ops', build, (b) => quietly(() => applyPatchByContentType(PATCH_TYPES[0], secret.live, b, secretPatchHintsOf())), { start: 128, maxBase: 8192 });
  });

  test('merge patch: many keys', () => {
    const build = (n: number) => Buffer.from(JSON.stringify({ data: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i % 3 ? 'YQ==' : null])) }));
    assertNotSuperLinear('merge patch keys', build, (b) => quietly(() => applyPatchByContentType(PATCH_TYPES[1], secret.live, b, secretPatchHintsOf())));
  });

  // This one was quadratic: every patch item was looked up by scanning the live list (65k items,
  // a 1 MB body, took four minutes of CPU).
  test('strategic merge patch: long keyed lists against a long live list', () => {
    const sa = LIVE[1]!;
    const names = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ name: `s${from + i}` }));
    const build = (n: number) => ({
      live: { ...sa.live, secrets: names(n, 0) },
      body: Buffer.from(JSON.stringify({ secrets: [...names(n, n >> 1), ...names(n >> 2, 0).map((x) => ({ ...x, $patch: 'delete' }))] })),
    });
    assertNotSuperLinear('SMP keyed list', build, ({ live, body }) => quietly(() => applyPatchByContentType(PATCH_TYPES[2], live, body, sa.strategy.patchHints)), { start: 64, maxBase: 8192 });
  });

  test('strategic merge patch: $setElementOrder and primitive-list deletes', () => {
    const sa = LIVE[1]!;
    const build = (n: number) => ({
      live: { ...sa.live, metadata: { ...sa.live.metadata, finalizers: Array.from({ length: n }, (_, i) => `f${i}`) }, secrets: Array.from({ length: n }, (_, i) => ({ name: `s${i}` })) },
      body: Buffer.from(JSON.stringify({
        metadata: { '$deleteFromPrimitiveList/finalizers': Array.from({ length: n >> 1 }, (_, i) => `f${2 * i}`), finalizers: Array.from({ length: n }, (_, i) => `g${i}`) },
        secrets: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, x: 1 })),
        '$setElementOrder/secrets': Array.from({ length: n }, (_, i) => ({ name: `s${i}` })),
      })),
    });
    assertNotSuperLinear('SMP ordering', build, ({ live, body }) => quietly(() => applyPatchByContentType(PATCH_TYPES[2], live, body, sa.strategy.patchHints)), { start: 64, maxBase: 8192 });
  });

  test('server-side apply: many fields owned', () => {
    const build = (n: number) => Buffer.from(toYaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'target', labels: Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v'])) }, data: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'YQ=='])) }));
    assertNotSuperLinear('apply', build, (b) => quietly(() => serverSideApply(secret.live, b, 'm', { info: secret.strategy.info, name: 'target' })), { start: 32, maxBase: 4096 });
  });

  test('apply: duplicate-key scan under Strict', () => {
    const build = (n: number) => Buffer.from(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: target\ndata:\n${Array.from({ length: n }, (_, i) => `  k${i % (n >> 1)}: YQ==`).join('\n')}\n`);
    assertNotSuperLinear('apply strict dups', build, (b) => quietly(() => serverSideApply(secret.live, b, 'm', { info: secret.strategy.info, name: 'target', fieldValidation: 'Strict' })), { start: 32, maxBase: 4096 });
  });
});

function secretPatchHintsOf() {
  return LIVE[0]!.strategy.patchHints;
}
