// A fast-check driven loop of requests against a real `opaque server`: random methods on paths under
// every resource, query strings with every parameter kube knows, Accept headers, and bodies from the
// structured generators (JSON, YAML, protobuf, the four patch types), mutated or not. Every answer is
// a Kubernetes Status (its code the HTTP status) or an object, below 500; every request ends in
// bounded time; the server stays ready. Seeded from test/fuzz/seeds.json (FUZZ_SEED overrides);
// FUZZ_RUNS sets the number of requests.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { encodings, queryString, values } from '../fuzz/arbitraries.js';
import { corpus, mutatedBytes, params, TOKENS } from '../fuzz/harness.js';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { b64, create, createNamespace, secret } from './api-lib.js';

const NS = 'x';
/** Longest a request may take: a future resourceVersion is waited for 3 s before kube's 504. */
const REQUEST_MS = 8000;
const STREAM_MS = 500;

let o: Opaque;
before(async () => {
  o = await startOpaque();
  await createNamespace(o, NS);
  await create(o, NS, secret('target', { data: { k: b64('v') } }));
  await http(o, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'sa' } });
});
after(async () => {
  if (o) await cleanup(o);
});

const name = fc.constantFrom('target', 'sa', 'other', 'x', '', 'a..b', 'UPPER', '%00', '..', 'a'.repeat(260));
const collection = fc.constantFrom(
  `/api/v1/namespaces/${NS}/secrets`, `/api/v1/namespaces/${NS}/serviceaccounts`, '/api/v1/namespaces', '/api/v1/secrets',
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
  '/apis/rbac.authorization.k8s.io/v1/clusterroles', `/api/v1/watch/namespaces/${NS}/secrets`, '/api/v1/namespaces/nope/secrets',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', '/apis/authentication.k8s.io/v1/tokenreviews', '/api/v1/pods', '/apis/x/v1/y',
);
const path = fc.oneof(
  { weight: 3, arbitrary: collection },
  { weight: 4, arbitrary: fc.tuple(collection, name).map(([c, n]) => `${c}/${n}`) },
  { weight: 1, arbitrary: fc.tuple(collection, name, fc.constantFrom('status', 'token', 'finalize', 'x')).map(([c, n, s]) => `${c}/${n}/${s}`) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('api', 'apis', 'v1', 'namespaces', NS, 'secrets', '', '%2e%2e', 'watch'), { maxLength: 6 }).map((s) => `/${s.join('/')}`) },
);
const CONTENT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'text/plain', ''];
const ACCEPT = ['application/json', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/vnd.kubernetes.protobuf,application/json', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'text/html', '*/*', ''];

interface Req { method: string; path: string; query: string; contentType: string; accept: string; body?: Buffer }

const body = values.chain(encodings).chain(({ contentType, body: b }) => fc.record({
  contentType: fc.oneof(fc.constant(contentType), fc.constantFrom(...CONTENT_TYPES)),
  body: fc.oneof({ weight: 2, arbitrary: fc.constant(b) }, { weight: 2, arbitrary: mutatedBytes(fc.constant(b), TOKENS) }),
}));
const patchBody = fc.oneof(
  fc.constant({ contentType: 'application/json-patch+json', body: Buffer.from('[{"op":"add","path":"/metadata/labels/a","value":"b"},{"op":"add","path":"/data/__proto__","value":"YQ=="}]') }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ contentType: 'application/merge-patch+json', body: Buffer.from(JSON.stringify(v)) })),
);
const requests: fc.Arbitrary<Req> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  path, query: queryString.map((q) => q.toString()), accept: fc.constantFrom(...ACCEPT),
  payload: fc.option(fc.oneof(body, patchBody), { nil: undefined, freq: 4 }),
}).map(({ payload, ...r }) => ({ ...r, contentType: payload?.contentType ?? '', body: payload?.body }));

interface Answer { status: number; contentType: string; text: string; streamed: boolean }

/** One request with its own deadline; a watch that starts streaming is cut after STREAM_MS. */
function send(r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (r.accept) headers['accept'] = r.accept;
    if (r.body) {
      headers['content-type'] = r.contentType;
      headers['content-length'] = r.body.length;
    }
    const url = `${o.url}${r.path}${r.query ? `?${r.query}` : ''}`;
    const req = request(url, { method: r.method, headers, agent: o.agent() }, (res) => {
      const chunks: Buffer[] = [];
      let streamed = false;
      const cut = setTimeout(() => { streamed = true; res.destroy(); }, STREAM_MS);
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        clearTimeout(cut);
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), streamed });
      };
      res.on('end', done);
      res.on('close', done);
    });
    req.setTimeout(REQUEST_MS, () => req.destroy(new Error(`no answer within ${REQUEST_MS} ms`)));
    req.on('error', reject);
    if (r.body) req.write(r.body);
    req.end();
  });
}

/** kube's one 5xx for a client's input: a resourceVersion from the future, after waiting for it. */
const tooLargeRV = (doc: any) => doc?.code === 504 && doc?.details?.causes?.[0]?.reason === 'ResourceVersionTooLarge';

function judge(r: Req, a: Answer): void {
  const what = `${r.method} ${r.path}?${r.query} accept=${r.accept} ct=${r.contentType} body=${JSON.stringify(r.body?.toString('latin1').slice(0, 200) ?? null)} → ${a.status} ${a.text.slice(0, 300)}`;
  if (r.method === 'OPTIONS' && a.text === '') return;
  if (a.streamed || /watch=(true|1)|\/watch\//.test(`${r.path}?${r.query}`)) {
    // A watch: NDJSON events, or a Status before the stream started.
    if (a.status >= 500) {
      let st: unknown;
      try { st = JSON.parse(a.text); } catch { /* judged below */ }
      assert.ok(tooLargeRV(st), `${what}: a 5xx`);
      return;
    }
    for (const line of a.text.split('\n').filter(Boolean).slice(0, -1)) {
      const ev = JSON.parse(line) as { type?: string; object?: { kind?: string; code?: number } };
      assert.ok(ev.type || ev.object || (ev as { kind?: string }).kind === 'Status', `${what}: not a watch event: ${line.slice(0, 200)}`);
      if (ev.type === 'ERROR') assert.ok((ev.object?.code ?? 0) < 500 || tooLargeRV(ev.object), `${what}: ${line}`);
    }
    return;
  }
  let doc: any;
  try {
    doc = a.contentType.includes('yaml') ? parseYaml(a.text) : JSON.parse(a.text);
  } catch {
    assert.fail(`${what}: the answer is neither JSON nor YAML`);
  }
  if (a.status >= 500) assert.ok(tooLargeRV(doc), `${what}: a 5xx`);
  assert.ok(doc && typeof doc === 'object' && typeof doc.kind === 'string', `${what}: not a Kubernetes object`);
  if (doc.kind === 'Status' && doc.status === 'Failure') assert.equal(doc.code, a.status, `${what}: Status.code is not the HTTP status`);
  if (a.status >= 400) assert.equal(doc.kind, 'Status', `${what}: an error that is not a Status`);
}

describe('fuzz: the API over HTTPS', () => {
  const budgetS = Number(process.env['FUZZ_SECONDS'] ?? 0) || 60;
  test('random requests: a Status or an object below 500, each in bounded time, the server ready throughout', { timeout: (budgetS + 60) * 1000 }, async () => {
    const p = params('api-fuzz', 300);
    let n = 0;
    const examples = corpus('api-request').map((e) => [e as Req] as [Req]);
    await fc.assert(fc.asyncProperty(requests, async (r) => {
      judge(r, await send(r));
      if (++n % 50 === 0) {
        const ready = await http(o, 'GET', '/readyz');
        assert.equal(ready.status, 200, `readyz after ${n} requests: ${ready.text}`);
      }
    }), { ...p, examples, timeout: REQUEST_MS + 2000, interruptAfterTimeLimit: budgetS * 1000, markInterruptAsFailure: false } as fc.Parameters<[Req]>);
    assert.equal(o.proc.exitCode, null, `the server exited: ${o.stderr().slice(-2000)}`);
    const ready = await http(o, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.ok(n >= Math.min(p.numRuns ?? 0, 100), `only ${n} requests ran`);
  });
});
