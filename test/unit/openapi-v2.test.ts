// The /openapi/v2 document built from the v3 ones: Swagger 2.0 shapes kubectl's v2 readers rely on
// (definitions with their GVK, references that resolve, PATCH operations with fieldValidation, body
// parameters), and its gnostic protobuf encoding read back at the wire level (field numbers of
// openapi.v2.Document). Real kubectl 1.27/1.28 reading it is in test/e2e/kubectl-versions.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { encodeOpenAPIV2, openapiV2 } from '../../src/api/openapi-v2/index.js';
import { openapiV3GroupVersions } from '../../src/api/schema/index.js';

type J = any; // plain JSON documents, indexed freely

const v2 = () => openapiV2(openapiV3GroupVersions()).doc as J;

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === '$ref' ? out.push(x as string) : refs(x, out));
  return out;
}

describe('openapi v2 document', () => {
  it('is Swagger 2.0 whose every reference names a definition', () => {
    const d = v2();
    assert.equal(d.swagger, '2.0');
    const all = refs(d);
    assert.ok(all.length > 50);
    for (const r of all) {
      assert.match(r, /^#\/definitions\//);
      assert.ok(d.definitions[r.slice('#/definitions/'.length)], `${r} is not defined`);
    }
    assert.doesNotMatch(JSON.stringify(d), /components|requestBody|"content"/);
  });

  it('carries each kind with its GVK, references without v3 wrappers, and the extensions', () => {
    const d = v2();
    const secret = d.definitions['io.k8s.api.core.v1.Secret'];
    assert.deepEqual(secret['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Secret', version: 'v1' }]);
    assert.deepEqual(secret.properties.metadata.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(secret.properties.metadata.allOf, undefined);
    assert.equal(secret.properties.data.additionalProperties.format, 'byte');
    const ssar = d.definitions['io.k8s.api.authorization.v1.SelfSubjectAccessReview'];
    assert.deepEqual(ssar['x-kubernetes-group-version-kind'], [{ group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', version: 'v1' }]);
  });

  it('turns operations into v2 form: typed parameters, a body parameter, consumes and produces', () => {
    const d = v2();
    const patch = d.paths['/api/v1/namespaces/{namespace}/secrets/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Secret', version: 'v1' });
    assert.deepEqual(patch.parameters.find((p: J) => p.name === 'fieldValidation'), {
      name: 'fieldValidation', in: 'query', type: 'string', description: patch.parameters.find((p: J) => p.name === 'fieldValidation').description,
    });
    const body = patch.parameters.find((p: J) => p.in === 'body');
    assert.deepEqual(body, { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
    assert.ok(patch.produces.includes('application/json'));
    assert.deepEqual(patch.responses['200'].schema, { $ref: '#/definitions/io.k8s.api.core.v1.Secret' });
    const create = d.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'].post;
    assert.equal(create.parameters.find((p: J) => p.in === 'body').schema.$ref, '#/definitions/io.k8s.api.authorization.v1.SelfSubjectAccessReview');
    assert.equal(d.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'].patch, undefined);
    const ns = d.paths['/api/v1/namespaces/{namespace}/secrets'].parameters.find((p: J) => p.name === 'namespace');
    assert.deepEqual({ in: ns.in, required: ns.required, type: ns.type }, { in: 'path', required: true, type: 'string' });
  });
});

describe('openapi v2 protobuf', () => {
  it('encodes openapi.v2.Document with gnostic field numbers', () => {
    const bytes = encodeOpenAPIV2(v2());
    // Read the top level by field number alone: 1 swagger, 2 info, 8 paths, 9 definitions.
    const r = protobuf.Reader.create(bytes);
    const seen = new Map<number, Uint8Array>();
    while (r.pos < r.len) {
      const tag = r.uint32();
      assert.equal(tag & 7, 2, 'every top-level field is length-delimited');
      seen.set(tag >>> 3, r.bytes());
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [1, 2, 8, 9]);
    assert.equal(Buffer.from(seen.get(1)!).toString(), '2.0');
    // Definitions: repeated NamedSchema (1) = {name (1), value (2)}; the first name is a definition.
    const defs = protobuf.Reader.create(seen.get(9)!);
    assert.equal(defs.uint32(), (1 << 3) | 2);
    const named = protobuf.Reader.create(defs.bytes());
    assert.equal(named.uint32(), (1 << 3) | 2);
    assert.ok(v2().definitions[named.string()]);
  });
});
