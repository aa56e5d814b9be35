// Fuzzing what a request's URL carries before any storage is touched: the path (RequestInfo), the
// list/watch parameters (limit, resourceVersion, resourceVersionMatch, sendInitialEvents,
// continue, fieldValidation, includeObject) and the media types of Accept and Content-Type. Each
// parses or is a 4xx; continue tokens round-trip and a forged one never escapes its prefix.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parsePatchType } from '../../src/api/patch/index.js';
import { parseRV, validateListParams, validateWatchParams } from '../../src/registry/list.js';
import { parseFieldValidation } from '../../src/server/decode.js';
import type { HandlerContext } from '../../src/server/handlers/context.js';
import { listParams } from '../../src/server/handlers/read.js';
import { bodyFormat, negotiateOutput } from '../../src/server/negotiation.js';
import { resolveRequestInfo } from '../../src/server/request-info.js';
import { parseIncludeObject } from '../../src/server/table.js';
import { decodeContinue, encodeContinue } from '../../src/storage/continue-token.js';
import { number, queryString } from '../fuzz/arbitraries.js';
import { check, mutatedValue, outcome, Reach } from '../fuzz/harness.js';
import { assertNotSuperLinear, quietly } from '../fuzz/timing.js';

const FILE = 'fuzz-query';
const PREFIX = '/registry/secrets/ns/';

const ctxOf = (query: URLSearchParams) => ({ query }) as unknown as HandlerContext;

describe('fuzz: list and watch parameters', () => {
  test('listParams → validateListParams / validateWatchParams: parameters or a 4xx', () => {
    check(FILE, 'list-params', queryString, (q) => {
      const p = outcome(`listParams(${q})`, () => listParams(ctxOf(q)));
      if (!p) return;
      if (p.limit !== undefined) assert.ok(Number.isInteger(p.limit) && p.limit >= 0, `limit ${p.limit} from ${q}`);
      outcome(`validateListParams(${q})`, () => validateListParams(p));
      outcome(`validateWatchParams(${q})`, () => validateWatchParams(p, q.get('allowWatchBookmarks') === 'true'));
      outcome('parseFieldValidation', () => parseFieldValidation(q.get('fieldValidation'), 'CreateOptions'));
      outcome('parseIncludeObject', () => parseIncludeObject(q.get('includeObject')));
    }, 2000, (e) => new URLSearchParams(e as string));
  });

  // kube parses limit with strconv.ParseInt(v, 10, 64) and answers 400 beyond int64.
  test('limit: a signed 64-bit integer or a 400', () => {
    check(FILE, 'limit', number, (limit) => {
      const p = outcome(`listParams(limit=${limit})`, () => listParams(ctxOf(new URLSearchParams({ limit }))));
      const fits = /^-?\d+$/.test(limit) && BigInt(limit) < 2n ** 63n && BigInt(limit) >= -(2n ** 63n);
      assert.equal(p !== undefined, fits || limit === '', `limit=${limit}: ${p ? 'accepted' : 'refused'}`);
    }, 500);
  });

  test('resourceVersion: an unsigned 64-bit integer or a 400', () => {
    check(FILE, 'resource-version', fc.oneof(number, fc.string({ maxLength: 25 }), fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String)), (rv) => {
      const n = outcome(`parseRV(${JSON.stringify(rv)})`, () => parseRV(rv));
      const fits = /^\d+$/.test(rv) && BigInt(rv) < 2n ** 64n;
      assert.equal(n !== undefined, fits, `parseRV(${JSON.stringify(rv)}) ${n === undefined ? 'refused' : `gave ${n}`}; kube's strconv.ParseUint(rv, 10, 64) ${fits ? 'accepts' : 'refuses'} it`);
    }, 2000);
  });
});

describe('fuzz: continue tokens', () => {
  const token = fc.record({ v: fc.constantFrom<unknown>('meta.k8s.io/v1', 'v2', 1, null), rv: fc.oneof(fc.integer({ min: -3, max: 1e6 }), fc.constantFrom<unknown>(1.5, '7', null, 2 ** 60, 1e300)), start: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom<unknown>('../x', 'a/../b', '\u0000', 'x\u0000', 3, null)) }, { requiredKeys: [] });
  const valid = fc.record({ v: fc.constant('meta.k8s.io/v1'), rv: fc.integer({ min: -1, max: 2 ** 40 }), start: fc.string({ maxLength: 12 }).map((k) => `${k}\u0000`) });
  const tokens = fc.oneof(
    valid.map((t) => Buffer.from(JSON.stringify(t)).toString('base64')),
    token.map((t) => Buffer.from(JSON.stringify(t)).toString('base64')),
    mutatedValue(token).map((t) => Buffer.from(JSON.stringify(t) ?? '').toString('base64')),
    fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 40 }),
  );

  test('any token: a position inside the listed prefix, or a 400', () => {
    const reach = new Reach();
    check(FILE, 'continue-token', tokens, (t) => {
      const pos = outcome(`decodeContinue(${JSON.stringify(t)})`, () => decodeContinue(PREFIX, t));
      reach.note(pos !== undefined);
      if (!pos) return;
      assert.ok(pos.startAfter.startsWith(PREFIX), `token ${t} starts outside the prefix: ${pos.startAfter}`);
      assert.ok(!pos.startAfter.slice(PREFIX.length).split('/').includes('..'), `token ${t} climbs out: ${pos.startAfter}`);
      // Above 2^53 no revision was ever issued; such a token is refused, never waited for (a 504).
      assert.ok(Number.isSafeInteger(pos.rev) && pos.rev >= 0, `token ${t} gives revision ${pos.rev}`);
    }, 2000);
    reach.assertAtLeast('continue tokens', 0.05);
  });

  test('encodeContinue → decodeContinue gives back the key and revision', () => {
    check(FILE, 'continue-roundtrip', fc.tuple(fc.string({ maxLength: 20 }).filter((k) => !k.startsWith('..') && !k.includes('/..')), fc.integer({ min: 1, max: 2 ** 40 })), ([key, rev]) => {
      const pos = decodeContinue(PREFIX, encodeContinue(PREFIX, PREFIX + key, rev));
      assert.deepEqual(pos, { rev, startAfter: `${PREFIX}${key}` });
    }, 1000);
  });
});

describe('fuzz: paths and media types', () => {
  const segment = fc.oneof(fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'x', 'secrets', 'watch', 'status', 'finalize', 'token', 'rbac.authorization.k8s.io', '', '..', '%2F', 'a b'), fc.string({ maxLength: 6 }));
  const path = fc.array(segment, { maxLength: 7 }).map((s) => `/${s.join('/')}`);
  test('resolveRequestInfo: any method, path and query resolve to a RequestInfo', () => {
    check(FILE, 'request-info', fc.tuple(fc.constantFrom<string>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'BREW'), path, queryString), ([m, p, q]) => {
      const info = outcome(`resolveRequestInfo(${m} ${p}?${q})`, () => resolveRequestInfo(m, p, q));
      assert.ok(info, 'resolveRequestInfo never refuses');
    }, 2000, (e) => { const [m, p, q] = e as [string, string, string]; return [m, p, new URLSearchParams(q)] as [string, string, URLSearchParams]; });
  });

  const mediaType = fc.oneof(
    fc.tuple(fc.constantFrom('application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', '*/*', 'application/*', 'text/html', '', 'application/json-patch+json', 'application/apply-patch+yaml'),
      fc.array(fc.tuple(fc.constantFrom('as', 'g', 'v', 'charset', 'q', '__proto__', 'constructor', ''), fc.constantFrom('Table', 'meta.k8s.io', 'v1', 'v1beta1', 'PartialObjectMetadataList', '"x"', '')), { maxLength: 3 }))
      .map(([t, ps]) => [t, ...ps.map(([k, v]) => `${k}=${v}`)].join(';')),
    fc.string({ maxLength: 30 }),
  );
  test('Accept and Content-Type: an output, a body format, or a 406/415', () => {
    check(FILE, 'media-type', fc.array(mediaType, { maxLength: 4 }).map((xs) => xs.join(',')), (h) => {
      outcome(`negotiateOutput(${JSON.stringify(h)})`, () => negotiateOutput(h));
      outcome(`bodyFormat(${JSON.stringify(h)})`, () => bodyFormat(h));
      outcome(`parsePatchType(${JSON.stringify(h)})`, () => parsePatchType(h));
    }, 2000);
  });
});

describe('URL parsing time grows linearly', () => {
  test('continue token: a long start key', () => {
    assertNotSuperLinear('decodeContinue', (n) => encodeContinue(PREFIX, PREFIX + 'k/'.repeat(n), 5), (t) => quietly(() => decodeContinue(PREFIX, t)), { start: 1024 });
  });
  test('path: many segments', () => {
    assertNotSuperLinear('resolveRequestInfo', (n) => `/api/v1/namespaces/x/secrets/${'a/'.repeat(n)}`, (p) => quietly(() => resolveRequestInfo('GET', p, new URLSearchParams())), { start: 1024 });
  });
  test('path: a long run of slashes', () => {
    assertNotSuperLinear('resolveRequestInfo slashes', (n) => `/api/v1${'/'.repeat(n * 8)}x`, (p) => quietly(() => resolveRequestInfo('GET', p, new URLSearchParams())), { start: 1024 });
  });
  test('Accept: many entries', () => {
    assertNotSuperLinear('negotiateOutput', (n) => Array.from({ length: n }, () => 'text/html;q=0.9;as=x').join(','), (h) => quietly(() => negotiateOutput(h)));
  });
});
