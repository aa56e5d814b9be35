// Fuzzing the request-body decoders on the server's own path: the depth guard, then decodeBody
// (JSON, YAML, Kubernetes protobuf → kind checks → strict/unknown-field walk), then the strategy's
// normalize and validate as a create runs them. Every input is answered or refused with a 4xx
// StatusError; Go's JSON scanner agrees with JSON.parse on what is JSON; protobuf bodies round-trip.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { errors } from '../../src/api/errors.js';
import { goJsonSyntaxError, goUnmarshalMapError } from '../../src/api/go-json.js';
import { decodeProtobufObject, encodeProtobufObject, ProtobufDecodeError, ProtobufEncodeError } from '../../src/api/proto/index.js';
import { dropUnknownFields, findTypeErrors, findUnknownFields } from '../../src/api/schema/index.js';
import type { KObject } from '../../src/api/types.js';
import { namespaceStrategy } from '../../src/registry/namespaces.js';
import { rbacStrategies } from '../../src/registry/rbac.js';
import { secretStrategy } from '../../src/registry/secrets.js';
import { serviceAccountStrategy } from '../../src/registry/serviceaccounts.js';
import type { Strategy } from '../../src/registry/types.js';
import { guardBodyDepth } from '../../src/server/body-guard.js';
import { decodeBody, type FieldValidation } from '../../src/server/decode.js';
import type { HandlerContext } from '../../src/server/handlers/context.js';
import { reconcileNamespace } from '../../src/server/handlers/write.js';
import { encodings, objects, secretArb, values } from '../fuzz/arbitraries.js';
import { check, mutatedBytes, outcome, Reach, TOKENS } from '../fuzz/harness.js';
import { assertNotSuperLinear, quietly } from '../fuzz/timing.js';

const FILE = 'fuzz-decode';
const STRATEGIES: Strategy[] = [secretStrategy, namespaceStrategy, serviceAccountStrategy, ...rbacStrategies];
const CONTENT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/json;charset=utf-8', 'text/plain', ''];

/** Bodies on the wire: encoded objects, their byte mutations, and raw bytes under any content type. */
const kindOf = (v: unknown): string => (v && typeof v === 'object' && typeof (v as { kind?: unknown }).kind === 'string' ? (v as { kind: string }).kind : '');
/** Mostly the endpoint of the body's own kind (Secret when it names none), sometimes any other. */
const strategyFor = (body: Buffer): fc.Arbitrary<Strategy> => {
  let kind = '';
  try { kind = kindOf(JSON.parse(body.toString('utf8'))); } catch { /* not JSON: the Secret endpoint */ }
  const own = STRATEGIES.find((s) => s.info.kind === kind) ?? secretStrategy;
  return fc.oneof({ weight: 4, arbitrary: fc.constant(own) }, { weight: 1, arbitrary: fc.constantFrom(...STRATEGIES) });
};

const requests = fc.record({
  validation: fc.constantFrom<FieldValidation>('Strict', 'Warn', 'Ignore'),
  wire: fc.oneof(
    { weight: 3, arbitrary: values.chain(encodings) },
    { weight: 4, arbitrary: values.chain(encodings).chain(({ contentType, body }) => mutatedBytes(fc.constant(body), TOKENS).map((b) => ({ contentType, body: b }))) },
    { weight: 1, arbitrary: fc.record({ contentType: fc.constantFrom(...CONTENT_TYPES), body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) }) },
    { weight: 1, arbitrary: fc.record({ contentType: fc.constant('application/vnd.kubernetes.protobuf'), body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from('k8s\0', 'latin1'), b])) }) },
  ),
}).chain((r) => strategyFor(r.wire.body).map((strategy) => ({ ...r, strategy })));

/** What a create runs on a body: depth guard, decode, normalize, validate, the 422 built from it. */
function createPath(strategy: Strategy, body: Buffer, contentType: string, validation: FieldValidation): KObject | undefined {
  guardBodyDepth(contentType, body);
  const { object } = decodeBody(body, contentType, strategy.info, validation);
  strategy.normalize(object);
  // The URL's namespace, as the create handler sets it (reconcileNamespace reads only these two).
  reconcileNamespace({ store: { info: strategy.info }, namespace: 'ns' } as unknown as HandlerContext, object);
  const errs = strategy.validate(object);
  if (errs.length) throw errors.invalid(strategy.info.kind, strategy.info.group, String(object.metadata?.name ?? ''), errs);
  strategy.canonicalize?.(object);
  return object;
}

describe('fuzz: request body decoding', () => {
  test('decodeBody + normalize + validate: an object or a 4xx Status, never a crash', () => {
    const reach = new Reach();
    check(FILE, 'decode-body', requests, ({ strategy, validation, wire }) => {
      reach.note(undefined !== outcome(`${strategy.info.kind} ${wire.contentType} ${validation} body=${wire.body.subarray(0, 120).toString('hex')}`,
        () => createPath(strategy, wire.body, wire.contentType, validation)));
    }, 1200, (e) => {
      const { kind, validation, contentType, body } = e as { kind: string; validation: FieldValidation; contentType: string; body: Buffer };
      return { strategy: STRATEGIES.find((s) => s.info.kind === kind)!, validation, wire: { contentType, body } };
    });
    reach.assertAtLeast('create bodies', 0.05);
  });

  test('Go JSON scanner: reports no syntax error exactly when JSON.parse accepts', () => {
    const bytes = fc.oneof(
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
      mutatedBytes(fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))), TOKENS),
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
    );
    check(FILE, 'go-json', bytes, (b) => {
      let parses = true;
      try { JSON.parse(b.toString('utf8')); } catch { parses = false; }
      const syntax = outcome(`goJsonSyntaxError ${b.toString('hex')}`, () => goJsonSyntaxError(b));
      assert.equal(syntax === null, parses, `goJsonSyntaxError(${JSON.stringify(b.toString('latin1'))}) = ${JSON.stringify(syntax)}, JSON.parse ${parses ? 'accepts' : 'rejects'}`);
      const map = outcome('goUnmarshalMapError', () => goUnmarshalMapError(b));
      if (parses) {
        const v: unknown = JSON.parse(b.toString('utf8'));
        assert.equal(map === null, v === null || (typeof v === 'object' && !Array.isArray(v)), `goUnmarshalMapError(${b.toString('latin1')}) = ${map}`);
      } else {
        assert.equal(map, syntax);
      }
    }, 1500);
  });

  test('protobuf: any bytes after the magic decode or raise ProtobufDecodeError', () => {
    const envelopeish = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
      mutatedBytes(secretArb.map((s) => {
        try { return Buffer.from(encodeProtobufObject({ ...s, apiVersion: 'v1', kind: 'Secret' })).subarray(4); } catch { return Buffer.alloc(0); }
      }), TOKENS),
    );
    check(FILE, 'protobuf', envelopeish, (b) => {
      const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), b]);
      outcome(`decodeProtobufObject ${body.toString('hex')}`, () => decodeProtobufObject(body), [ProtobufDecodeError]);
    }, 1500);
  });

  test('protobuf: encode(decode(encode(x))) is encode(x) for every object that encodes', () => {
    check(FILE, 'protobuf-roundtrip', objects, (v) => {
      let first: Uint8Array;
      try { first = encodeProtobufObject(v as { apiVersion: string; kind: string }); } catch (e) {
        if (e instanceof ProtobufEncodeError) return;
        throw e;
      }
      const decoded = decodeProtobufObject(first).object as { apiVersion: string; kind: string };
      assert.deepEqual(Buffer.from(encodeProtobufObject(decoded)).toString('hex'), Buffer.from(first).toString('hex'));
    }, 500);
  });

  test('strict field walk: dropping unknown fields leaves none, and never crashes on any JSON', () => {
    const gvks = fc.constantFrom(...STRATEGIES.map((s) => ({ group: s.info.group, version: s.info.version, kind: s.info.kind })));
    check(FILE, 'strict', fc.tuple(gvks, values), ([gvk, v]) => {
      const copy = structuredClone(v);
      outcome('findTypeErrors', () => findTypeErrors(gvk, copy));
      outcome('dropUnknownFields', () => dropUnknownFields(gvk, copy));
      assert.deepEqual(findUnknownFields(gvk, copy), [], `unknown fields left after dropping them from ${JSON.stringify(v)}`);
    }, 800);
  });
});

describe('decoding time grows linearly with the body', () => {
  const secret = secretStrategy.info;
  const guarded = (ct: string) => (body: Buffer) => quietly(() => { guardBodyDepth(ct, body); decodeBody(body, ct, secret, 'Strict'); });

  test('JSON: many data keys', () => {
    const build = (n: number) => Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'YQ=='])) }));
    assertNotSuperLinear('decodeBody JSON keys', build, guarded('application/json'));
  });

  test('JSON: many unknown fields under Strict', () => {
    const build = (n: number) => Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`u${i}`, i])) } }));
    assertNotSuperLinear('decodeBody unknown fields', build, guarded('application/json'));
  });

  test('JSON: nesting up to the guard, many times over', () => {
    const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const build = (n: number) => Buffer.from(`{"metadata":{"name":"s"},"x":[${Array.from({ length: n / 64 }, () => deep(200)).join(',')}]}`);
    assertNotSuperLinear('decodeBody nested JSON', build, guarded('application/json'), { start: 1024 });
  });

  test('JSON: a syntax error at the end of a long body (the Go scanner runs over it)', () => {
    const build = (n: number) => Buffer.from(`{"metadata":{"name":"s"},"data":{${Array.from({ length: n }, (_, i) => `"k${i}":"YQ=="`).join(',')}},}`);
    assertNotSuperLinear('decodeBody JSON syntax error', build, guarded('application/json'));
  });

  test('YAML: many keys, flow nesting and anchors', () => {
    const build = (n: number) => Buffer.from(`apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n${Array.from({ length: n }, (_, i) => `  k${i}: &a${i} [[[v]]]\n  r${i}: *a${i}`).join('\n')}\n`);
    assertNotSuperLinear('decodeBody YAML', build, guarded('application/yaml'), { start: 64 });
  });

  test('YAML: alias expansion stays bounded (billion laughs)', () => {
    const build = (n: number) => {
      const lines = ['a0: &a0 [x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
      return Buffer.from(`metadata: {name: s}\nstringData:\n  x: y\n${lines.join('\n')}\n`);
    };
    assertNotSuperLinear('decodeBody YAML aliases', build, guarded('application/yaml'), { start: 16, maxBase: 4096 });
  });

  test('protobuf: many data entries', () => {
    const build = (n: number) => Buffer.from(encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'YQ=='])) }));
    assertNotSuperLinear('decodeBody protobuf', build, guarded('application/vnd.kubernetes.protobuf'));
  });

  // errors.invalid once removed duplicate field errors with Array.includes: quadratic (issue 11).
  test('Secret validation: many invalid data keys', () => {
    const build = (n: number) => Buffer.from(JSON.stringify({ metadata: { name: 's' }, data: Object.fromEntries(Array.from({ length: n }, (_, i) => [`bad key ${i}`, 'YQ=='])) }));
    assertNotSuperLinear('create path with invalid keys', build, (b) => quietly(() => createPath(secretStrategy, b, 'application/json', 'Strict')), { start: 64 });
  });
});
