// Bad request bodies against a real `opaque server`: every one is answered with a Kubernetes Status
// (never a 5xx unless kube-apiserver gives one), nothing is stored, and the process keeps serving.
// Expected texts are kube-apiserver's (handlers/rest.go transformDecodeError, the JSON/protobuf
// serializers, handlers/create.go and patch.go option validation).

import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { encodeProtobufObject } from '../../src/api/proto/index.js';
import { cleanup, http, startOpaque, type HttpResult, type Opaque } from '../helpers/opaque.js';
import {
  assertAlive, assertClientErrorStatus, assertStatus, b64, create, createNamespace, secret, secretsPath, snapshot, summarizeData,
} from './api-lib.js';

const NS = 'bad-input';
const COLLECTION = secretsPath(NS);
const TARGET = secretsPath(NS, 'target');
const JSON_CT = { 'content-type': 'application/json' };
const YAML_CT = { 'content-type': 'application/yaml' };
const PROTO_CT = { 'content-type': 'application/vnd.kubernetes.protobuf' };
const MERGE_CT = { 'content-type': 'application/merge-patch+json' };
const UNRECOGNIZED = 'the object provided is unrecognized (must be of type Secret): ';
const CANNOT_HANDLE = 'Secret in version "v1" cannot be handled as a Secret: ';
const FIND_KIND = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

let o: Opaque;

before(async () => {
  o = await startOpaque();
  await createNamespace(o, NS);
  await create(o, NS, secret('target', { data: { k: b64('v') } }));
});

after(async () => {
  if (o) await cleanup(o);
});

interface Req {
  method: string;
  path: string;
  body?: string | Buffer | object;
  headers?: Record<string, string>;
}

/** Sends a request that must be refused: checks the answer, that nothing changed, and that the server lives. */
async function refused(req: Req, check: (r: HttpResult) => void): Promise<HttpResult> {
  const before = await snapshot(o);
  const r = await http(o, req.method, req.path, req.body, req.headers ?? {});
  check(r);
  assert.deepEqual(await snapshot(o), before, `nothing may be stored by ${req.method} ${req.path}`);
  await assertAlive(o, `after ${req.method} ${req.path}`);
  return r;
}

/**
 * Uploads a body the server will refuse early. A server may answer 413 and close before the upload
 * ends, so the client can see EPIPE/ECONNRESET instead of the answer; retry a few times and keep the
 * first answer that arrives.
 */
async function sendLarge(method: string, path: string, body: string, chunked: boolean): Promise<HttpResult> {
  const errors: string[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    const res = await new Promise<HttpResult | Error>((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (!chunked) headers['content-length'] = Buffer.byteLength(body);
      let answered = false;
      const req = request(`${o.url}${path}`, { method, agent: new Agent({ ...(o.agent().options as object), keepAlive: false }), headers }, (r) => {
        answered = true;
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c) => (text += c));
        r.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: r.statusCode ?? 0, headers: r.headers, text, json });
        });
        r.on('error', (e) => resolve(e));
      });
      req.on('error', (e) => setTimeout(() => !answered && resolve(e), 500));
      const step = 256 * 1024;
      let sent = 0;
      const pump = () => {
        while (sent < body.length) {
          const part = body.slice(sent, sent + step);
          sent += part.length;
          if (!req.write(part)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    if (!(res instanceof Error)) return res;
    errors.push(res.message);
  }
  assert.fail(`no answer to an oversized ${method} ${path} (chunked=${chunked}): ${errors.join(', ')}`);
}

const pb = (obj: Record<string, unknown>) => Buffer.from(encodeProtobufObject(obj as { apiVersion: string; kind: string }));

describe('malformed bodies', () => {
  test('malformed JSON is a 400 BadRequest', async () => {
    for (const body of ['{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"', '{"a" 1}', '{"metadata":{"name":"x"}}}', '{', '}', 'nul', '{"metadata":{"name":"x",}}']) {
      await refused({ method: 'POST', path: COLLECTION, body, headers: JSON_CT }, (r) => {
        const s = assertStatus(r, 400, 'BadRequest');
        assert.ok(s.message.startsWith(UNRECOGNIZED), s.message);
        assert.match(s.message, /json parse error: /);
      });
    }
  });

  test('malformed YAML (Content-Type application/yaml) is a 400 BadRequest', async () => {
    for (const body of ['apiVersion: v1\nkind: Secret\nmetadata: [a, {', 'metadata:\n\tname: tabs', 'a: b\n c: d\n- e', 'metadata: {name: "x}']) {
      await refused({ method: 'POST', path: COLLECTION, body, headers: YAML_CT }, (r) => {
        const s = assertStatus(r, 400, 'BadRequest');
        assert.ok(s.message.startsWith(UNRECOGNIZED), s.message);
        assert.match(s.message, /yaml/i);
      });
    }
  });

  test('a valid protobuf body is accepted (control), garbage and truncated protobuf are a 400', async () => {
    const good = pb({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pb-ok' }, data: { k: b64('v') } });
    const ok = await http(o, 'POST', COLLECTION, good, PROTO_CT);
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.metadata.name, 'pb-ok');
    assert.equal((await http(o, 'DELETE', secretsPath(NS, 'pb-ok'))).status, 200);

    const bodies: Array<[string, Buffer]> = [
      ['no magic', Buffer.from('hello')],
      ['magic then garbage', Buffer.concat([Buffer.from('k8s\0'), Buffer.from('garbage!!!!\x07\xff\xfe')])],
      ['magic only', Buffer.from('k8s\0')],
      ['JSON sent as protobuf', Buffer.from(JSON.stringify(secret('pb-json')))],
      ['truncated by 1', good.subarray(0, good.length - 1)],
      ['truncated by 5', good.subarray(0, good.length - 5)],
      ['truncated to half', good.subarray(0, Math.floor(good.length / 2))],
    ];
    // Structural damage that keeps the length: an invalid wire type on the envelope's raw field, an
    // overlong typeMeta length, and an overlong ObjectMeta length inside the Secret message.
    const wire = Buffer.from(good);
    assert.equal(wire[18], 0x12, 'envelope layout: raw (field 2) follows typeMeta');
    wire[18] = 0x17;
    bodies.push(['invalid wire type', wire]);
    const len = Buffer.from(good);
    len[5] = 0x7f;
    bodies.push(['overlong typeMeta', len]);
    const inner = Buffer.from(good);
    assert.equal(inner[20], 0x0a, 'Secret layout: metadata (field 1) first');
    inner[21] = 0x7e;
    bodies.push(['overlong ObjectMeta', inner]);
    for (const [what, body] of bodies) {
      await refused({ method: 'POST', path: COLLECTION, body, headers: PROTO_CT }, (r) => {
        const s = assertStatus(r, 400, 'BadRequest');
        assert.ok(s.message.startsWith(UNRECOGNIZED) || s.message.startsWith(CANNOT_HANDLE), `${what}: ${s.message}`);
      });
    }
  });

  test('invalid base64 in data is a 400 naming the input byte', async () => {
    const cases: Array<[string, number]> = [['not base64!', 3], ['YQ', 0], ['YQ-_', 2], ['YWJj*', 4]];
    for (const [value, byte] of cases) {
      await refused({ method: 'POST', path: COLLECTION, body: secret('b64', { data: { k: value } }) }, (r) => {
        assertStatus(r, 400, 'BadRequest', `${CANNOT_HANDLE}illegal base64 data at input byte ${byte}`);
      });
    }
    // The same through PUT and a merge patch.
    await refused({ method: 'PUT', path: TARGET, body: secret('target', { data: { k: 'not base64!' } }) }, (r) => {
      assertStatus(r, 400, 'BadRequest', /illegal base64 data at input byte/);
    });
    await refused({ method: 'PATCH', path: TARGET, body: { data: { k: 'not base64!' } }, headers: MERGE_CT }, (r) => {
      const s = assertClientErrorStatus(r);
      assert.match(s.message, /illegal base64 data at input byte/);
    });
  });

  test('a body over 3 MiB is a 413 RequestEntityTooLarge (with and without Content-Length)', async () => {
    const big = JSON.stringify(secret('big', { data: { k: Buffer.alloc(3 * 1024 * 1024).toString('base64') } }));
    for (const [method, path] of [['POST', COLLECTION], ['PUT', TARGET]] as const) {
      for (const chunked of [false, true]) {
        const before = await snapshot(o);
        const r = await sendLarge(method, path, big, chunked);
        assertStatus(r, 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
        assert.deepEqual(await snapshot(o), before, 'nothing may be stored');
        await assertAlive(o);
      }
    }
  });

  test('a JSON array, number, string or null body is a 400 BadRequest', async () => {
    for (const body of ['[1,2]', '[]', '42', '"secret"', 'true']) {
      for (const method of ['POST', 'PUT']) {
        await refused({ method, path: method === 'POST' ? COLLECTION : TARGET, body, headers: JSON_CT }, (r) => {
          const s = assertStatus(r, 400, 'BadRequest');
          assert.ok(s.message.startsWith(`${UNRECOGNIZED}couldn't get version/kind; json parse error: json: cannot unmarshal `), s.message);
        });
      }
    }
  });

  test('an empty body is a 400 BadRequest', async () => {
    for (const method of ['POST', 'PUT']) {
      await refused({ method, path: method === 'POST' ? COLLECTION : TARGET, body: '', headers: JSON_CT }, (r) => {
        const s = assertStatus(r, 400, 'BadRequest');
        assert.ok(s.message.startsWith(`${UNRECOGNIZED}couldn't get version/kind; json parse error: unexpected end of JSON input`), s.message);
      });
    }
  });

  test('decode errors carry kube-apiserver\'s exact text, including the body summary', async () => {
    // transformDecodeError appends summarizeData(body): the first 30 bytes as text for a body that
    // starts with "{", else hex; "<empty>" for no body.
    const cases: Array<[string, Buffer, Record<string, string>, string]> = [
      ['truncated JSON', Buffer.from('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"'), JSON_CT, "couldn't get version/kind; json parse error: unexpected end of JSON input"],
      ['trailing brace', Buffer.from('{"metadata":{"name":"x"}}}'), JSON_CT, "couldn't get version/kind; json parse error: invalid character '}' after top-level value"],
      ['array', Buffer.from('[1,2]'), JSON_CT, `couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type ${FIND_KIND}`],
      ['number', Buffer.from('42'), JSON_CT, `couldn't get version/kind; json parse error: json: cannot unmarshal number into Go value of type ${FIND_KIND}`],
      ['empty', Buffer.alloc(0), JSON_CT, "couldn't get version/kind; json parse error: unexpected end of JSON input"],
      ['protobuf without magic', Buffer.from('hello'), PROTO_CT, 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]'],
    ];
    const failures: string[] = [];
    for (const [what, body, headers, detail] of cases) {
      const r = await http(o, 'POST', COLLECTION, body, headers);
      assertStatus(r, 400, 'BadRequest');
      const want = `${UNRECOGNIZED}${detail} (${summarizeData(body)})`;
      if (r.json.message !== want) failures.push(`${what}:\n    got  ${JSON.stringify(r.json.message)}\n    want ${JSON.stringify(want)}`);
    }
    // YAML bodies do not start with "{": the summary is hex.
    const yamlBody = Buffer.from('apiVersion: v1\nkind: Secret\nmetadata: [a, {');
    const y = await http(o, 'POST', COLLECTION, yamlBody, YAML_CT);
    assertStatus(y, 400, 'BadRequest');
    if (!y.json.message.endsWith(` (${summarizeData(yamlBody)})`)) failures.push(`yaml: no hex summary in ${JSON.stringify(y.json.message)}`);
    assert.deepEqual(failures, [], `decode error texts differ from kube-apiserver:\n  ${failures.join('\n  ')}`);
  });
});

describe('field validation', () => {
  test('an unknown field with fieldValidation=Strict is a 400 naming it', async () => {
    await refused({ method: 'POST', path: secretsPath(NS, undefined, 'fieldValidation=Strict'), body: secret('strict', { spec: { replicas: 1 } }) }, (r) => {
      assertStatus(r, 400, 'BadRequest', `${CANNOT_HANDLE}strict decoding error: unknown field "spec"`);
    });
    await refused({ method: 'PUT', path: secretsPath(NS, 'target', 'fieldValidation=Strict'), body: secret('target', { spec: {} }) }, (r) => {
      assertStatus(r, 400, 'BadRequest', `${CANNOT_HANDLE}strict decoding error: unknown field "spec"`);
    });
  });

  test('fieldValidation=Warn creates with a Warning header and drops the unknown field', async () => {
    const r = await http(o, 'POST', secretsPath(NS, undefined, 'fieldValidation=Warn'), secret('warned', { spec: { replicas: 1 }, data: { k: b64('v') } }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['warning'], '299 - "unknown field \\"spec\\""');
    try {
      // Unknown fields never reach the stored object: the typed decoder drops them.
      assert.equal(r.json.spec, undefined, 'the created object must not contain the unknown field');
      const g = await http(o, 'GET', secretsPath(NS, 'warned'));
      assert.equal(g.status, 200);
      assert.equal(g.json.spec, undefined, 'the stored object must not contain the unknown field');
      assert.deepEqual(g.json.data, { k: b64('v') });
    } finally {
      await http(o, 'DELETE', secretsPath(NS, 'warned'));
    }
  });

  test('an unknown field with a non-ASCII name: 201 with a Warning, never a 500 after storing', async () => {
    for (const key of ['日本', 'é', 'a\u0000b']) {
      const name = `nonascii-${Buffer.from(key).toString('hex')}`;
      const r = await http(o, 'POST', COLLECTION, JSON.stringify({ ...secret(name), [key]: 1 }));
      try {
        assert.equal(r.status, 201, `unknown field ${JSON.stringify(key)}: ${r.text.slice(0, 300)}`);
        assert.equal(r.json.kind, 'Secret');
        assert.match(String(r.headers['warning']), /^299 - "unknown field /);
      } finally {
        await http(o, 'DELETE', secretsPath(NS, name));
      }
    }
  });

  test('fieldValidation=Ignore creates without a warning and drops the unknown field', async () => {
    const r = await http(o, 'POST', secretsPath(NS, undefined, 'fieldValidation=Ignore'), secret('ignored', { spec: { replicas: 1 } }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['warning'], undefined);
    try {
      assert.equal(r.json.spec, undefined, 'the created object must not contain the unknown field');
      assert.equal((await http(o, 'GET', secretsPath(NS, 'ignored'))).json.spec, undefined);
    } finally {
      await http(o, 'DELETE', secretsPath(NS, 'ignored'));
    }
  });

  test('an unsupported fieldValidation value is a 422 on CreateOptions', async () => {
    await refused({ method: 'POST', path: secretsPath(NS, undefined, 'fieldValidation=Bogus'), body: secret('fv') }, (r) => {
      const s = assertStatus(r, 422, 'Invalid');
      assert.equal(s.details.kind, 'CreateOptions');
      assert.equal(s.details.group, 'meta.k8s.io');
      assert.equal(s.details.causes[0].field, 'fieldValidation');
      assert.equal(s.details.causes[0].reason, 'FieldValueNotSupported');
      assert.match(s.message, /fieldValidation: Unsupported value: "Bogus"/);
    });
  });
});

describe('content types', () => {
  test('POST and PUT with text/plain are a 415 listing the body types', async () => {
    for (const [method, path] of [['POST', COLLECTION], ['PUT', TARGET]] as const) {
      await refused({ method, path, body: JSON.stringify(secret('target')), headers: { 'content-type': 'text/plain' } }, (r) => {
        const s = assertStatus(r, 415, 'UnsupportedMediaType');
        assert.ok(s.message.startsWith('the body of the request was in an unknown format - accepted media types include: '), s.message);
        for (const t of ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']) assert.ok(s.message.includes(t), s.message);
      });
    }
  });

  test('PATCH with text/plain or application/json is a 415 listing the four patch types', async () => {
    for (const ct of ['text/plain', 'application/json', 'application/x-www-form-urlencoded']) {
      await refused({ method: 'PATCH', path: TARGET, body: '{"data":{"k":"eA=="}}', headers: { 'content-type': ct } }, (r) => {
        const s = assertStatus(r, 415, 'UnsupportedMediaType');
        for (const t of ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']) {
          assert.ok(s.message.includes(t), `${ct}: ${s.message}`);
        }
      });
    }
  });
});

describe('object identity', () => {
  test('a body of another kind is a 400', async () => {
    await refused({ method: 'POST', path: COLLECTION, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } } }, (r) => {
      const s = assertStatus(r, 400, 'BadRequest');
      assert.match(s.message, /ConfigMap/);
    });
    await refused({ method: 'PUT', path: TARGET, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'target' } } }, (r) => {
      const s = assertStatus(r, 400, 'BadRequest');
      assert.match(s.message, /Namespace/);
    });
  });

  test('a body namespace other than the URL namespace is a 400 (POST and PUT)', async () => {
    const msg = 'the namespace of the provided object does not match the namespace sent on the request';
    await refused({ method: 'POST', path: COLLECTION, body: secret('elsewhere', { metadata: { namespace: 'default' } }) }, (r) => assertStatus(r, 400, 'BadRequest', msg));
    await refused({ method: 'PUT', path: TARGET, body: secret('target', { metadata: { namespace: 'default' } }) }, (r) => assertStatus(r, 400, 'BadRequest', msg));
  });

  test('a PUT whose body names another object is a 400', async () => {
    await refused({ method: 'PUT', path: TARGET, body: secret('other') }, (r) => {
      assertStatus(r, 400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (target)');
    });
  });

  test('resourceVersion set on create is kube\'s plain 500 (no reason, no details)', async () => {
    await refused({ method: 'POST', path: COLLECTION, body: secret('with-rv', { metadata: { resourceVersion: '5' } }) }, (r) => {
      const s = assertStatus(r, 500, '', 'resourceVersion should not be set on objects to be created');
      assert.equal(s.details, undefined);
    });
  });
});

describe('options', () => {
  test('dryRun=bogus is a 422 on the verb\'s options kind', async () => {
    const cases: Array<[string, string, string, unknown, Record<string, string>]> = [
      ['POST', COLLECTION, 'CreateOptions', secret('dry'), JSON_CT],
      ['PUT', TARGET, 'UpdateOptions', secret('target'), JSON_CT],
      ['PATCH', TARGET, 'PatchOptions', { data: { k: b64('x') } }, MERGE_CT],
      ['DELETE', TARGET, 'DeleteOptions', undefined, {}],
    ];
    for (const [method, path, kind, body, headers] of cases) {
      await refused({ method, path: `${path}?dryRun=bogus`, body: body as object | undefined, headers }, (r) => {
        const s = assertStatus(r, 422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["bogus"]: supported values: "All"`);
        assert.equal(s.details.kind, kind);
        assert.equal(s.details.group, 'meta.k8s.io');
        assert.deepEqual(s.details.causes, [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: ["bogus"]: supported values: "All"', field: 'dryRun' }]);
        assert.equal(s.details.name, undefined, 'StatusDetails.name is omitempty');
      });
    }
  });
});

describe('deep nesting', () => {
  // Go's decoders refuse nesting beyond 10000 levels and YAML alias explosions with a 400; nothing
  // about such a body may cost more than the request. Each case gets a judgement of its own: a case
  // that kills the server is recorded and the server restarted for the next one.
  test('deeply nested or exploding bodies are 4xx and never take the server down', async () => {
    const deepArr = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObj = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [p, c] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g']]) bomb.push(`${p}: &${p} [${Array(9).fill(`*${c}`).join(',')}]`);
    const cases: Array<{ what: string; reqs: Req[] }> = [
      { what: 'POST: 100000-deep array at the top', reqs: [{ method: 'POST', path: COLLECTION, body: deepArr(100000), headers: JSON_CT }] },
      { what: 'POST: 50000-deep unknown field (Warn)', reqs: [{ method: 'POST', path: COLLECTION, body: `{"metadata":{"name":"deep1"},"zzz":${deepObj(50000)}}`, headers: JSON_CT }] },
      { what: 'POST: 50000-deep labels', reqs: [{ method: 'POST', path: COLLECTION, body: `{"metadata":{"name":"deep2","labels":${deepObj(50000)}}}`, headers: JSON_CT }] },
      { what: 'POST yaml: 20000-deep flow sequence', reqs: [{ method: 'POST', path: COLLECTION, body: `a: ${deepArr(20000)}`, headers: YAML_CT }] },
      { what: 'POST yaml: alias explosion', reqs: [{ method: 'POST', path: COLLECTION, body: `${bomb.join('\n')}\nmetadata: {name: bomb}\n`, headers: YAML_CT }] },
      { what: 'PATCH merge: 100000-deep value', reqs: [{ method: 'PATCH', path: TARGET, body: `{"data":{"k":${deepArr(100000)}}}`, headers: MERGE_CT }] },
      { what: 'PATCH json-patch: 100000-deep value', reqs: [{ method: 'PATCH', path: TARGET, body: `[{"op":"add","path":"/x","value":${deepArr(100000)}}]`, headers: { 'content-type': 'application/json-patch+json' } }] },
      { what: 'PATCH strategic: 50000-deep labels', reqs: [{ method: 'PATCH', path: TARGET, body: `{"metadata":{"labels":${deepObj(50000)}}}`, headers: { 'content-type': 'application/strategic-merge-patch+json' } }] },
      {
        what: 'PATCH apply: two 1000-deep bodies in a row',
        reqs: [1, 2].map(() => ({
          method: 'PATCH', path: secretsPath(NS, 'target', 'fieldManager=fuzz'),
          body: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"target","labels":${deepObj(1000)}}}`,
          headers: { 'content-type': 'application/apply-patch+yaml' },
        })),
      },
      { what: 'DELETE: 50000-deep options body', reqs: [{ method: 'DELETE', path: TARGET, body: deepObj(50000), headers: JSON_CT }] },
    ];
    const failures: string[] = [];
    // One fresh server per case, so every case is judged on its own and reproduces alone.
    for (const c of cases) {
      const s = await startOpaque();
      try {
        await createNamespace(s, NS);
        await create(s, NS, secret('target', { data: { k: b64('v') } }));
        const before = await snapshot(s);
        for (const [i, req] of c.reqs.entries()) {
          let r: HttpResult;
          try {
            r = await http(s, req.method, req.path, req.body, req.headers ?? {});
          } catch (err) {
            failures.push(`${c.what} (request ${i + 1}): ${(err as Error).message}`);
            break;
          }
          if (r.status < 400 || r.status >= 500 || r.json?.kind !== 'Status') failures.push(`${c.what} (request ${i + 1}): HTTP ${r.status} ${r.text.slice(0, 160)}`);
        }
        await new Promise((res) => setTimeout(res, 300));
        if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
          const fatal = s.stderr().split('\n').find((l) => /FATAL/.test(l)) ?? '';
          failures.push(`${c.what}: the server died (${s.proc.signalCode ?? s.proc.exitCode}) ${fatal}`);
          continue;
        }
        if (JSON.stringify(await snapshot(s)) !== JSON.stringify(before)) failures.push(`${c.what}: the request changed what is stored`);
      } finally {
        await cleanup(s);
      }
    }
    assert.deepEqual(failures, [], `\n  ${failures.join('\n  ')}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: a few hundred random and mutated bodies. A deterministic PRNG makes failures reproduce
// (OPAQUE_FUZZ_SEED / OPAQUE_FUZZ_ITERATIONS override).

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz', () => {
  test('random and mutated bodies to POST/PUT/PATCH: always a Status, never a 5xx, server alive', async () => {
    const seed = Number(process.env['OPAQUE_FUZZ_SEED'] ?? 20261122);
    const iterations = Number(process.env['OPAQUE_FUZZ_ITERATIONS'] ?? 500);
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const FNS = 'bad-input-fuzz';
    await createNamespace(o, FNS);
    await create(o, FNS, secret('fz-target', { data: { k: b64('v') } }));

    const base = (name: string) => ({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name, labels: { app: 'fuzz', tier: 'x' }, annotations: { 'example.com/a': 'b' } },
      type: 'Opaque', data: { k: b64('value'), '.dot': b64('') }, stringData: { s: 'plain' },
    });
    const TOKENS = ['{', '}', '[', ']', '"', ',', ':', 'null', 'true', '-1', '1e999', '\\u0000', '\\ud800', 'é', '\0', '\xff', '\\', '//', '#', '&a', '*a', '!!binary', '---', '\n  ', '\t', '<<: *a', '%YAML 1.2'];
    const VALUES: unknown[] = [null, 0, -1, 1.5, 1e308, '', 'x', 'ä'.repeat(3), '\u0000', 'a'.repeat(300), [], {}, true, [1, [2, [3]]], { a: { b: { c: null } } }, '-_-_', 'YQ=='];

    const mutateBytes = (buf: Buffer): Buffer => {
      const b = Buffer.from(buf);
      switch (int(6)) {
        case 0: { // flip bytes
          for (let i = 0, n = 1 + int(4); i < n && b.length; i++) b[int(b.length)] = int(256);
          return b;
        }
        case 1: { // insert a token
          const at = int(b.length + 1);
          return Buffer.concat([b.subarray(0, at), Buffer.from(pick(TOKENS), 'latin1'), b.subarray(at)]);
        }
        case 2: { // delete a range
          const at = int(b.length);
          return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(20))]);
        }
        case 3: { // duplicate a range
          const at = int(b.length);
          const part = b.subarray(at, at + 1 + int(30));
          return Buffer.concat([b.subarray(0, at), part, part, b.subarray(at)]);
        }
        case 4: // swap two halves
          return Buffer.concat([b.subarray(b.length >> 1), b.subarray(0, b.length >> 1)]);
        default: { // overwrite a range with random bytes
          const at = int(b.length);
          for (let i = at; i < Math.min(b.length, at + 1 + int(16)); i++) b[i] = int(256);
          return b;
        }
      }
    };
    const mutateValue = (v: unknown): unknown => {
      const copy = structuredClone(v) as Record<string, unknown>;
      const paths: Array<[Record<string, unknown>, string]> = [];
      const walk = (node: unknown) => {
        if (!node || typeof node !== 'object') return;
        for (const k of Object.keys(node)) {
          paths.push([node as Record<string, unknown>, k]);
          walk((node as Record<string, unknown>)[k]);
        }
      };
      walk(copy);
      for (let i = 0, n = 1 + int(3); i < n && paths.length; i++) {
        const [parent, key] = pick(paths);
        switch (int(3)) {
          case 0: parent[key] = pick(VALUES); break;
          case 1: delete parent[key]; break;
          default: parent[`${key}${pick(['', '_', '$', '.', '/', 'X'])}${int(9)}`] = pick(VALUES);
        }
      }
      return copy;
    };
    const randomBytes = () => Buffer.from(Array.from({ length: int(200) }, () => int(256)));

    type Case = { what: string; method: string; path: string; body: Buffer; headers: Record<string, string>; mustFail: boolean };
    const gen = (i: number): Case => {
      const name = `fz-${i}`;
      const kind = int(9);
      const style = int(10); // 0-1: random bytes, 2: truncation, 3-6: byte mutation, 7-9: structural mutation
      const bytesOf = (v: unknown, enc: 'json' | 'yaml' | 'proto'): Buffer => {
        if (enc === 'yaml') return Buffer.from(toYaml(v));
        if (enc === 'proto') {
          try {
            return pb(v as Record<string, unknown>);
          } catch {
            return pb(base(name));
          }
        }
        return Buffer.from(JSON.stringify(v));
      };
      const shape = (v: unknown, enc: 'json' | 'yaml' | 'proto'): { body: Buffer; mustFail: boolean; how: string } => {
        const clean = bytesOf(v, enc);
        if (style <= 1) return { body: randomBytes(), mustFail: enc !== 'yaml', how: 'random bytes' };
        if (style === 2) {
          const cut = int(clean.length);
          // The protobuf envelope ends with two optional empty fields (1a 00 22 00): cutting only
          // those leaves a valid message, which Go's decoder accepts as well.
          const mustFail = enc === 'json' || (enc === 'proto' && cut < clean.length - 4);
          return { body: clean.subarray(0, cut), mustFail, how: 'truncated' };
        }
        if (style <= 6) return { body: mutateBytes(clean), mustFail: false, how: 'byte mutation' };
        return { body: bytesOf(mutateValue(v), enc), mustFail: false, how: 'structural mutation' };
      };
      const target = secretsPath(FNS, 'fz-target');
      switch (kind) {
        case 0: case 1: {
          const s = shape(base(name), 'json');
          return { what: `POST json ${s.how}`, method: 'POST', path: secretsPath(FNS), body: s.body, headers: JSON_CT, mustFail: s.mustFail };
        }
        case 2: {
          const s = shape(base(name), 'yaml');
          return { what: `POST yaml ${s.how}`, method: 'POST', path: secretsPath(FNS, undefined, pick(['', 'fieldValidation=Strict'])), body: s.body, headers: YAML_CT, mustFail: s.mustFail };
        }
        case 3: {
          const s = shape(base(name), 'proto');
          return { what: `POST protobuf ${s.how}`, method: 'POST', path: secretsPath(FNS), body: s.body, headers: PROTO_CT, mustFail: s.mustFail };
        }
        case 4: {
          const s = shape(base('fz-target'), 'json');
          return { what: `PUT json ${s.how}`, method: 'PUT', path: target, body: s.body, headers: JSON_CT, mustFail: s.mustFail };
        }
        case 5: {
          const s = shape({ metadata: { labels: { app: 'patched' } }, data: { k: b64('p') } }, 'json');
          return { what: `PATCH merge ${s.how}`, method: 'PATCH', path: target, body: s.body, headers: MERGE_CT, mustFail: s.mustFail };
        }
        case 6: {
          const s = shape({ metadata: { annotations: { 'example.com/z': null } }, stringData: { s: 'x' } }, 'json');
          return { what: `PATCH strategic ${s.how}`, method: 'PATCH', path: target, body: s.body, headers: { 'content-type': 'application/strategic-merge-patch+json' }, mustFail: s.mustFail };
        }
        case 7: {
          const s = shape([{ op: 'replace', path: '/data/k', value: b64('j') }, { op: 'add', path: '/metadata/labels/j', value: 'p' }, { op: 'test', path: '/type', value: 'Opaque' }], 'json');
          return { what: `PATCH json-patch ${s.how}`, method: 'PATCH', path: target, body: s.body, headers: { 'content-type': 'application/json-patch+json' }, mustFail: s.mustFail };
        }
        default: {
          const s = shape(base('fz-target'), 'json');
          return { what: `PATCH apply ${s.how}`, method: 'PATCH', path: secretsPath(FNS, 'fz-target', 'fieldManager=fuzz&force=true'), body: s.body, headers: { 'content-type': 'application/apply-patch+yaml' }, mustFail: false };
        }
      }
    };

    const problems: string[] = [];
    const stats: Record<string, number> = {};
    const cases = Array.from({ length: iterations }, (_, i) => gen(i));
    for (let i = 0; i < cases.length; i += 6) {
      await Promise.all(cases.slice(i, i + 6).map(async (c, j) => {
        const n = i + j;
        const label = `#${n} ${c.what} (${c.method} ${c.path}, seed ${seed}) body=${c.body.subarray(0, 80).toString('hex')}`;
        let r: HttpResult;
        try {
          r = await http(o, c.method, c.path, c.body, c.headers);
        } catch (err) {
          problems.push(`${label}: ${(err as Error).message}`);
          return;
        }
        stats[String(r.status)] = (stats[String(r.status)] ?? 0) + 1;
        // kube answers a create that carries metadata.resourceVersion with exactly this plain 500.
        const rvOnCreate = r.status === 500 && c.method === 'POST' && r.json?.message === 'resourceVersion should not be set on objects to be created' && r.json?.reason === undefined;
        if (rvOnCreate) return;
        if (r.status >= 500) problems.push(`${label}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
        else if (r.status >= 400) {
          const s = r.json;
          if (!s || s.kind !== 'Status' || s.apiVersion !== 'v1' || s.status !== 'Failure' || s.code !== r.status || !s.reason || typeof s.message !== 'string') {
            problems.push(`${label}: not a proper Status: HTTP ${r.status} ${r.text.slice(0, 300)}`);
          }
        } else if (c.mustFail) problems.push(`${label}: accepted an undecodable body: HTTP ${r.status}`);
        else if (!r.json || r.json.kind !== 'Secret') problems.push(`${label}: HTTP ${r.status} without a Secret: ${r.text.slice(0, 200)}`);
      }));
      if (o.proc.exitCode !== null || o.proc.signalCode !== null) break;
    }
    await assertAlive(o, `after fuzzing (seed ${seed})`);
    // What was stored is still readable, consistently.
    const list = await http(o, 'GET', secretsPath(FNS));
    assert.equal(list.status, 200);
    for (const it of list.json.items) {
      const g = await http(o, 'GET', secretsPath(FNS, it.metadata.name));
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.metadata.resourceVersion, it.metadata.resourceVersion);
    }
    const serverErrors = o.stderr().split('\n').filter((l) => /"level":(50|60)/.test(l)).map((l) => l.slice(0, 1500));
    assert.equal(problems.length, 0, `${problems.length} fuzz findings (statuses seen: ${JSON.stringify(stats)}), the first ones:\n  ${problems.slice(0, 12).join('\n  ')}\nserver log:\n  ${serverErrors.join('\n  ')}`);
    const logged = o.stderr().split('\n').filter((l) => /"level":(50|60)/.test(l));
    assert.deepEqual(logged.map((l) => l.slice(0, 300)), [], 'no request may fail inside the server (errors logged)');
    assert.ok(Object.keys(stats).some((k) => k.startsWith('4')), `4xx answers expected: ${JSON.stringify(stats)}`);
  });
});
