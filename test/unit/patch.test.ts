import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../src/api/errors.js';
import {
  applyJsonPatch,
  applyMergePatch,
  applyPatchByContentType,
  applyStrategicMergePatch,
  namespacePatchHints,
  parsePatchType,
  PATCH_TYPES,
  secretPatchHints,
  serviceAccountPatchHints,
} from '../../src/api/patch/index.js';
import type { KObject } from '../../src/api/types.js';

const secret = (): KObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'default', uid: 'u-1', resourceVersion: '7', labels: { app: 'x', tier: 'db' } },
  data: { username: 'YWRtaW4=', password: 'UzNjcjN0', extra: 'eHl6' },
  type: 'Opaque',
});

/** The underlying json-patch error kube keeps out of the 422 response. */
function patchFailure(f: () => unknown): string | undefined {
  return statusOf(f).detail;
}

function statusOf(f: () => unknown): StatusError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('content types', () => {
  it('accepts the four patch types, ignoring parameters', () => {
    for (const t of PATCH_TYPES) assert.equal(parsePatchType(`${t}; charset=utf-8`), t);
  });

  it('rejects anything else with 415 listing the accepted types', () => {
    for (const t of [undefined, 'application/json', 'application/apply-patch+cbor', ' application/merge-patch+json']) {
      const e = statusOf(() => parsePatchType(t));
      assert.equal(e.code, 415);
      assert.equal(e.reason, 'UnsupportedMediaType');
      assert.equal(e.message, 'the body of the request was in an unknown format - accepted media types include: '
        + 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
    }
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies kubectl patch --type=json without touching the input', () => {
    const live = secret();
    const out = applyJsonPatch(live, [{ op: 'remove', path: '/data/extra' }]) as KObject;
    assert.deepEqual(out.data, { username: 'YWRtaW4=', password: 'UzNjcjN0' });
    assert.equal((live.data as Record<string, string>).extra, 'eHl6');
  });

  it('supports add/replace/move/copy/test and negative indices', () => {
    const doc = { a: [1, 2, 3], b: { c: 'd' } };
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/a/-', value: 4 },
      { op: 'replace', path: '/a/-1', value: 5 },
      { op: 'move', from: '/b/c', path: '/e' },
      { op: 'copy', from: '/a/0', path: '/a/0' },
      { op: 'test', path: '/e', value: 'd' },
      { op: 'add', path: '/b/x~1y', value: null },
    ]);
    assert.deepEqual(out, { a: [1, 1, 2, 3, 5], b: { 'x/y': null }, e: 'd' });
  });

  it('reports evanphx/json-patch messages as 422 in the generic server-response shape', () => {
    const cases: [unknown[], string][] = [
      [[{ op: 'remove', path: '/stringData/nope' }], 'remove operation does not apply: doc is missing path: "/stringData/nope": missing value'],
      [[{ op: 'remove', path: '/data/nope' }], "error in remove for path: '/data/nope': unable to remove nonexistent key: nope: missing value"],
      [[{ op: 'replace', path: '/data/nope', value: 'x' }], 'replace operation does not apply: doc is missing key: /data/nope: missing value'],
      [[{ op: 'add', path: '/metadata/finalizers/3', value: 'x' }], 'add operation does not apply: doc is missing path: "/metadata/finalizers/3": missing value'],
      [[{ op: 'test', path: '/type', value: 'kubernetes.io/tls' }], 'testing value /type failed: test failed'],
      [[{ op: 'frob', path: '/type' }], 'Unexpected kind: frob'],
    ];
    for (const [ops, message] of cases) {
      const e = statusOf(() => applyJsonPatch(secret(), ops));
      assert.equal(e.code, 422);
      assert.equal(e.reason, 'Invalid');
      assert.equal(e.message, 'the server rejected our request due to an error in our request');
      assert.deepEqual(e.details, {});
      assert.equal(patchFailure(() => applyJsonPatch(secret(), ops)), message);
    }
    const arr = statusOf(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }]));
    assert.equal(arr.code, 422);
    assert.equal(patchFailure(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }])), "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced");
  });

  it('rejects bodies that are not a list of operations with 400', () => {
    assert.equal(statusOf(() => applyJsonPatch(secret(), { op: 'remove' })).message,
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    assert.equal(statusOf(() => applyJsonPatch(secret(), ['x'])).message,
      'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
    const e = statusOf(() => applyPatchByContentType('application/json-patch+json', secret(), buf('[{"op":')));
    assert.equal(e.code, 400);
    assert.equal(e.message, 'unexpected end of JSON input');
  });

  it('refuses to pollute prototypes', () => {
    const e = statusOf(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }]));
    assert.equal(e.code, 422);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('merge patch (RFC 7386)', () => {
  it('applies kubectl label/annotate/patch --type=merge bodies', () => {
    let out = applyMergePatch(secret(), { metadata: { labels: { env: 'prod' } } }) as KObject;
    assert.deepEqual(out.metadata?.labels, { app: 'x', tier: 'db', env: 'prod' });
    out = applyMergePatch(out, { metadata: { labels: { app: null } } }) as KObject;
    assert.deepEqual(out.metadata?.labels, { tier: 'db', env: 'prod' });
    out = applyMergePatch(out, { data: { extra: 'eHl6eg==' }, metadata: { annotations: { a: 'b' } } }) as KObject;
    assert.equal((out.data as Record<string, string>).extra, 'eHl6eg==');
    assert.deepEqual(out.metadata?.annotations, { a: 'b' });
  });

  it('replaces lists and non-objects, prunes nulls from added values', () => {
    const out = applyMergePatch({ a: [1, 2], b: 'x', c: { d: 1 } }, { a: [3], b: { e: null, f: 1 }, c: { d: null }, g: { h: null } });
    assert.deepEqual(out, { a: [3], b: { f: 1 }, c: {}, g: {} });
    assert.deepEqual(applyMergePatch({ a: 1 }, ['x']), ['x']);
  });

  it('answers unparseable or non-object bodies with 400 Invalid JSON Patch', () => {
    for (const body of ['{', 'null', '"x"', '3']) {
      const e = statusOf(() => applyPatchByContentType('application/merge-patch+json', secret(), buf(body)));
      assert.equal(e.code, 400);
      assert.equal(e.message, 'Invalid JSON Patch');
    }
    const strict = statusOf(() => applyPatchByContentType('application/merge-patch+json', secret(), buf('{'), { fieldValidation: 'Strict' }));
    assert.equal(strict.message, 'error decoding patch: unexpected end of JSON input');
  });
});

describe('strategic merge patch', () => {
  it('behaves like a merge patch on Secret maps (kubectl patch, apply, edit)', () => {
    const out = applyPatchByContentType('application/strategic-merge-patch+json', secret(),
      buf({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, labels: { tier: null } }, stringData: { password: 'new' } }),
      secretPatchHints);
    assert.deepEqual(out.metadata?.labels, { app: 'x' });
    assert.deepEqual(out.stringData, { password: 'new' });
    assert.equal(out.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], '{}');
  });

  it('merges ownerReferences by uid and honours $patch: delete/replace in lists', () => {
    const live = { metadata: { ownerReferences: [{ uid: '1', name: 'a', kind: 'K' }, { uid: '2', name: 'b', kind: 'K' }] } };
    let out = applyStrategicMergePatch(live, { metadata: { ownerReferences: [{ uid: '2', name: 'bb' }, { uid: '3', name: 'c', kind: 'K' }] } }, secretPatchHints);
    // Live items keep their place; items only in the patch follow (apimachinery normalizeElementOrder).
    assert.deepEqual(out.metadata.ownerReferences, [
      { uid: '1', name: 'a', kind: 'K' }, { uid: '2', name: 'bb', kind: 'K' }, { uid: '3', name: 'c', kind: 'K' },
    ]);
    out = applyStrategicMergePatch(live, { metadata: { ownerReferences: [{ uid: '1', $patch: 'delete' }] } }, secretPatchHints);
    assert.deepEqual(out.metadata.ownerReferences, [{ uid: '2', name: 'b', kind: 'K' }]);
    out = applyStrategicMergePatch(live, { metadata: { ownerReferences: [{ $patch: 'replace' }, { uid: '9', name: 'z' }] } }, secretPatchHints);
    assert.deepEqual(out.metadata.ownerReferences, [{ uid: '9', name: 'z' }]);
  });

  it('merges finalizers as a set and deletes with $deleteFromPrimitiveList', () => {
    const live = { metadata: { finalizers: ['a', 'b'] } };
    let out = applyStrategicMergePatch(live, { metadata: { finalizers: ['b', 'c'] } }, secretPatchHints);
    assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'c']);
    out = applyStrategicMergePatch(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, secretPatchHints);
    assert.deepEqual(out.metadata.finalizers, ['b']);
    out = applyStrategicMergePatch(live, { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } }, secretPatchHints);
    assert.deepEqual(out.metadata.finalizers, ['b', 'a']);
  });

  it('replaces lists without a merge strategy (Namespace spec.finalizers, imagePullSecrets)', () => {
    const ns = applyStrategicMergePatch({ spec: { finalizers: ['kubernetes', 'x'] } }, { spec: { finalizers: ['y'] } }, namespacePatchHints);
    assert.deepEqual(ns.spec.finalizers, ['y']);
    const sa = applyStrategicMergePatch(
      { secrets: [{ name: 'a' }], imagePullSecrets: [{ name: 'p' }] },
      { secrets: [{ name: 'b' }], imagePullSecrets: [{ name: 'q' }] }, serviceAccountPatchHints);
    assert.deepEqual(sa, { secrets: [{ name: 'b' }, { name: 'a' }], imagePullSecrets: [{ name: 'q' }] });
  });

  it('handles $patch, $retainKeys and directives inside new values', () => {
    const live = { data: { a: '1', b: '2' }, metadata: { labels: { x: '1', y: '2' } } };
    assert.deepEqual(applyStrategicMergePatch(live, { data: { $patch: 'replace', c: '3' } }, secretPatchHints).data, { c: '3' });
    assert.deepEqual(applyStrategicMergePatch(live, { data: { $patch: 'delete' } }, secretPatchHints).data, {});
    assert.deepEqual(applyStrategicMergePatch(live, { metadata: { labels: { $retainKeys: ['x', 'z'], z: '3' } } }, secretPatchHints).metadata.labels,
      { x: '1', z: '3' });
    assert.deepEqual(applyStrategicMergePatch({}, { stringData: { a: 'b', gone: null } }, secretPatchHints), { stringData: { a: 'b' } });
    const e = statusOf(() => applyStrategicMergePatch(live, { data: { $patch: 'frob' } }, secretPatchHints));
    assert.equal(e.code, 400);
    assert.equal(e.message, 'unknown patch type: frob in map: map[$patch:frob]');
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { metadata: { labels: { $retainKeys: ['x'], q: '1' } } }, secretPatchHints)).message,
      'invalid patch format of retainKeys');
  });

  it('answers bodies that are not a JSON object with 400', () => {
    assert.equal(statusOf(() => applyPatchByContentType('application/strategic-merge-patch+json', secret(), buf('[1]'))).message,
      'json: cannot unmarshal array into Go value of type map[string]interface {}');
    assert.equal(statusOf(() => applyPatchByContentType('application/strategic-merge-patch+json', secret(), buf('x'))).message,
      "invalid character 'x' looking for beginning of value");
  });
});
