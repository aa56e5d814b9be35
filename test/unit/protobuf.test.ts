import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import {
  PROTOBUF_MAGIC,
  ProtobufDecodeError,
  ProtobufEncodeError,
  decodeProtobufObject,
  encodeProtobufObject,
  isProtobufKindRegistered,
} from '../../src/api/proto/index.js';

type Obj = { apiVersion: string; kind: string; [key: string]: unknown };

const FIXTURES = new URL('./fixtures/protobuf/', import.meta.url);

function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`${name}.hex`, FIXTURES), 'utf8').trim(), 'hex');
}

/** Hex with `"text"` string literals, as kubectl-wire.md §3.5 writes its example. */
function specHex(notation: string): Buffer {
  const hex = notation
    .replace(/"([^"]*)"/g, (_, s: string) => Buffer.from(s, 'utf8').toString('hex'))
    .replace(/[{}\s]/g, '');
  return Buffer.from(hex, 'hex');
}

/** Decoding must either succeed with JSON-safe output or throw ProtobufDecodeError. */
function decodeOrDecodeError(body: Uint8Array): 'ok' | 'error' {
  let object: Record<string, unknown>;
  try {
    object = decodeProtobufObject(body).object;
  } catch (err) {
    if (err instanceof ProtobufDecodeError) return 'error';
    assert.fail(`threw ${String(err)} instead of ProtobufDecodeError for ${Buffer.from(body).toString('hex')}`);
  }
  assert.equal(typeof object['apiVersion'], 'string');
  assert.equal(typeof object['kind'], 'string');
  // No Buffers, Longs or undefineds leak out: the object survives a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(object)), object);
  return 'ok';
}

function roundTrip(obj: Obj): Record<string, unknown> {
  const body = encodeProtobufObject(obj);
  const decoded = decodeProtobufObject(body);
  assert.equal(decoded.apiVersion, obj.apiVersion);
  assert.equal(decoded.kind, obj.kind);
  return decoded.object;
}

/** A deterministic PRNG (mulberry32) so that fuzz failures reproduce. */
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

// ---------------------------------------------------------------------------------------------

describe('protobuf: the kubectl-wire.md §3.5 example', () => {
  const example = specHex(`6b387300 0a0c{0a02"v1" 1206"Secret"} 123d{ 0a12{0a02"db" 1200 1a00 2200 2a00 3200 3800 4200}
    1212{0a08"password" 1206"S3cr3t"} 1211{0a08"username" 1205"admin"} 1a00 } 1a00 2200`);

  it('decodes to the JSON Secret', () => {
    const decoded = decodeProtobufObject(example);
    assert.equal(decoded.apiVersion, 'v1');
    assert.equal(decoded.kind, 'Secret');
    assert.deepEqual(decoded.object, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      data: { password: 'UzNjcjN0', username: 'YWRtaW4=' },
    });
  });

  it('is byte for byte what kubectl 1.32 sent, and what the encoder writes back', () => {
    assert.deepEqual(example, fixture('create-secret-generic'));
    const decoded = decodeProtobufObject(example);
    assert.deepEqual(Buffer.from(encodeProtobufObject(decoded.object as Obj)), example);
  });
});

// Bodies captured from the real kubectl v1.32.5 (kubectl.1.32 next to the gcloud dispatcher),
// pointed at a recording HTTP server. `-n default` unless stated.
const CAPTURED: Array<{ file: string; command: string; path: string; expected: Obj }> = [
  {
    file: 'create-secret-generic',
    command: 'create secret generic db --from-literal=username=admin --from-literal=password=S3cr3t',
    path: 'POST /api/v1/namespaces/default/secrets',
    expected: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      data: { password: 'UzNjcjN0', username: 'YWRtaW4=' },
    },
  },
  {
    file: 'create-secret-generic-empty-value',
    command: 'create secret generic empty --from-literal=e= --from-literal=k=v',
    path: 'POST /api/v1/namespaces/default/secrets',
    expected: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty' }, data: { e: '', k: 'dg==' } },
  },
  {
    file: 'create-secret-docker-registry',
    command: 'create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p',
    path: 'POST /api/v1/namespaces/default/secrets',
    expected: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'reg' },
      data: {
        '.dockerconfigjson': Buffer.from('{"auths":{"r.example":{"username":"u","password":"p","auth":"dTpw"}}}').toString('base64'),
      },
      type: 'kubernetes.io/dockerconfigjson',
    },
  },
  {
    file: 'create-serviceaccount',
    command: 'create serviceaccount sa',
    path: 'POST /api/v1/namespaces/default/serviceaccounts',
    expected: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
  },
  {
    file: 'create-namespace',
    command: 'create namespace ns1',
    path: 'POST /api/v1/namespaces',
    expected: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } },
  },
  {
    file: 'create-role',
    command: 'create role r --verb=get --verb=list --resource=secrets --resource-name=db',
    path: 'POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
    expected: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] }],
    },
  },
  {
    file: 'create-rolebinding',
    command: 'create rolebinding rb --role=r --serviceaccount=default:sa --user=bob',
    path: 'POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
    expected: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb' },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
        { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
      ],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
    },
  },
  {
    file: 'create-clusterrole',
    command: 'create clusterrole cr --verb=get --non-resource-url=/healthz',
    path: 'POST /apis/rbac.authorization.k8s.io/v1/clusterroles',
    expected: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cr' },
      rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    },
  },
  {
    file: 'create-clusterrolebinding',
    command: 'create clusterrolebinding crb --clusterrole=cr --group=g1',
    path: 'POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    expected: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'crb' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g1' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cr' },
    },
  },
  {
    file: 'create-token',
    command: 'create token default',
    path: 'POST /api/v1/namespaces/default/serviceaccounts/default/token',
    expected: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {} },
  },
  {
    file: 'create-token-audience-duration',
    command: 'create token default --audience=x --duration=10m',
    path: 'POST /api/v1/namespaces/default/serviceaccounts/default/token',
    expected: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['x'], expirationSeconds: 600 },
    },
  },
  {
    file: 'create-token-bound-object',
    command: 'create token default --bound-object-kind=Secret --bound-object-name=db --bound-object-uid=1234',
    path: 'POST /api/v1/namespaces/default/serviceaccounts/default/token',
    expected: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'db', uid: '1234' } },
    },
  },
  {
    file: 'auth-can-i-get-secrets',
    command: 'auth can-i get secrets',
    path: 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    expected: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'secrets' } },
      status: { allowed: false },
    },
  },
  {
    file: 'auth-can-i-subresource',
    command: 'auth can-i create secrets --subresource=status -n kube-system',
    path: 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    expected: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: { namespace: 'kube-system', verb: 'create', resource: 'secrets', subresource: 'status' },
      },
      status: { allowed: false },
    },
  },
  {
    file: 'auth-can-i-nonresource-url',
    command: 'auth can-i get /healthz',
    path: 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    expected: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
      status: { allowed: false },
    },
  },
  {
    file: 'auth-can-i-list',
    command: 'auth can-i --list',
    path: 'POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    expected: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      metadata: {},
      spec: { namespace: 'default' },
      status: { incomplete: false },
    },
  },
  {
    file: 'auth-whoami',
    command: 'auth whoami',
    path: 'POST /apis/authentication.k8s.io/v1/selfsubjectreviews',
    expected: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} },
  },
];

describe('protobuf: bodies captured from kubectl 1.32', () => {
  for (const { file, command, path, expected } of CAPTURED) {
    it(`kubectl ${command} (${path})`, () => {
      const body = fixture(file);
      const decoded = decodeProtobufObject(body);
      assert.equal(decoded.apiVersion, expected.apiVersion);
      assert.equal(decoded.kind, expected.kind);
      assert.deepEqual(decoded.object, expected);
      // The encoder reproduces Go's bytes exactly (empty non-pointer fields written, field order).
      assert.deepEqual(Buffer.from(encodeProtobufObject(expected)), body);
    });
  }
});

// ---------------------------------------------------------------------------------------------

const ROUND_TRIPS: Obj[] = [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'full',
      generateName: 'full-',
      namespace: 'default',
      uid: '6f1c1c3e-0000-4000-8000-000000000001',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2024-01-02T03:04:05Z',
      deletionTimestamp: '2024-01-02T03:05:05Z',
      deletionGracePeriodSeconds: 0,
      labels: { app: 'web', tier: '' },
      annotations: { 'example.com/note': 'hello' },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'o-1', controller: false, blockOwnerDeletion: true },
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'o-2' },
      ],
      finalizers: ['example.com/f'],
      managedFields: [
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2024-01-02T03:04:05Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:password': {} }, 'f:type': {} },
        },
      ],
    },
    immutable: false,
    data: { password: 'UzNjcjN0', empty: '', bin: Buffer.from([0, 255, 1, 254]).toString('base64') },
    stringData: { plain: 'text', blank: '' },
    type: 'Opaque',
  },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'ns1', labels: { 'kubernetes.io/metadata.name': 'ns1' } },
    spec: { finalizers: ['kubernetes'] },
    status: {
      phase: 'Terminating',
      conditions: [
        {
          type: 'NamespaceDeletionContentFailure',
          status: 'False',
          lastTransitionTime: '2024-05-06T07:08:09Z',
          reason: 'ContentDeleted',
          message: 'All content successfully deleted',
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'sa', namespace: 'default' },
    secrets: [{ kind: 'Secret', namespace: 'default', name: 'sa-token', uid: 'u', apiVersion: 'v1', resourceVersion: '1', fieldPath: 'x' }],
    imagePullSecrets: [{ name: 'regcred' }],
    automountServiceAccountToken: false,
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'r', namespace: 'default' },
    rules: [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db', ''] },
      { verbs: ['*'], apiGroups: ['', 'rbac.authorization.k8s.io'], resources: ['roles'] },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aggregate', labels: { 'rbac.example.com/aggregate': 'true' } },
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz'] }],
    aggregationRule: {
      clusterRoleSelectors: [
        {
          matchLabels: { 'rbac.example.com/aggregate-to-admin': 'true' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['a', 'b'] },
            { key: 'gone', operator: 'DoesNotExist' },
          ],
        },
      ],
    },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'rb', namespace: 'default' },
    subjects: [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
    ],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'crb' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  },
  {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: 'default', namespace: 'default' },
    spec: {
      audiences: ['https://kubernetes.default.svc', 'x'],
      expirationSeconds: 3600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'pod-uid' },
    },
    status: { token: 'eyJhbGciOi.x.y', expirationTimestamp: '2030-01-01T00:00:00Z' },
  },
  {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: {},
    spec: { token: 'tok', audiences: ['api'] },
    status: {
      authenticated: true,
      user: {
        username: 'system:serviceaccount:default:sa',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/pod-name': ['p'], empty: [] },
      },
      audiences: ['api'],
      error: 'none',
    },
  },
  {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
    status: { userInfo: { username: 'alice', groups: ['dev'], extra: { scopes: ['a', 'b'] } } },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: {
      resourceAttributes: {
        namespace: 'default',
        verb: 'list',
        version: 'v1',
        resource: 'secrets',
        fieldSelector: {
          rawSelector: 'metadata.name=db',
          requirements: [{ key: 'metadata.name', operator: 'In', values: ['db'] }],
        },
        labelSelector: { requirements: [{ key: 'app', operator: 'Exists' }] },
      },
    },
    status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "rb/default"' },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      nonResourceAttributes: { path: '/metrics', verb: 'get' },
      user: 'bob',
      groups: ['dev'],
      extra: { 'example.com/k': ['v1', 'v2'] },
      uid: 'bob-uid',
    },
    status: { allowed: false, denied: true, reason: 'no', evaluationError: 'boom' },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'LocalSubjectAccessReview',
    metadata: { namespace: 'team' },
    spec: { resourceAttributes: { namespace: 'team', verb: 'get', resource: 'secrets', name: 'db' }, user: 'carol' },
    status: { allowed: false },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec: { namespace: 'default' },
    status: {
      resourceRules: [
        { verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] },
        { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] }],
      incomplete: true,
      evaluationError: 'webhook unavailable',
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: { resourceVersion: '7', remainingItemCount: 0 },
    status: 'Failure',
    message: 'The Secret "db" is invalid',
    reason: 'Invalid',
    details: {
      name: 'db',
      kind: 'secrets',
      uid: 'u',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value', field: 'data[bad key]' }],
      retryAfterSeconds: 5,
    },
    code: 422,
  },
  {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    preconditions: { uid: 'u', resourceVersion: '' },
    orphanDependents: false,
    propagationPolicy: 'Background',
    dryRun: ['All'],
  },
];

describe('protobuf: round trips (encode → decode equals the input)', () => {
  for (const obj of ROUND_TRIPS) {
    it(`${obj.apiVersion} ${obj.kind}`, () => {
      assert.deepEqual(roundTrip(obj), obj);
    });
  }

  it('covers every registered kind', () => {
    for (const [apiVersion, kind] of [
      ['v1', 'Secret'],
      ['v1', 'Namespace'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Status'],
      ['meta.k8s.io/v1', 'Status'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
      ['authentication.k8s.io/v1', 'TokenRequest'],
      ['authentication.k8s.io/v1', 'TokenReview'],
      ['authentication.k8s.io/v1', 'SelfSubjectReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectAccessReview'],
      ['authorization.k8s.io/v1', 'SubjectAccessReview'],
      ['authorization.k8s.io/v1', 'LocalSubjectAccessReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectRulesReview'],
      ['v1', 'DeleteOptions'],
      ['rbac.authorization.k8s.io/v1', 'DeleteOptions'],
    ] as const) {
      assert.ok(isProtobufKindRegistered(apiVersion, kind), `${apiVersion} ${kind}`);
    }
    assert.equal(isProtobufKindRegistered('v1', 'Pod'), false);
  });
});

describe('protobuf: JSON shape rules', () => {
  it('keeps an empty Secret data value as ""', () => {
    const out = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { empty: '' } });
    assert.deepEqual(out['data'], { empty: '' });
  });

  it('keeps a "__proto__" data key as an ordinary key', () => {
    const data = JSON.parse('{"__proto__":"YQ==","b":"Yg=="}') as Record<string, unknown>;
    const out = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data });
    const outData = out['data'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(outData), ['__proto__', 'b']);
    assert.equal(Object.getOwnPropertyDescriptor(outData, '__proto__')?.value, 'YQ==');
    assert.equal(Object.getPrototypeOf(outData), Object.prototype);
  });

  it('keeps empty strings inside repeated fields (apiGroups [""])', () => {
    const out = roundTrip({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }],
    });
    assert.deepEqual(out['rules'], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]);
  });

  it('omits empty non-pointer values, which Go writes anyway', () => {
    const out = roundTrip({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: '', namespace: '', generation: 0, labels: {}, finalizers: [] },
      type: '',
      data: {},
    });
    assert.deepEqual(out, { apiVersion: 'v1', kind: 'Secret', metadata: {} });
  });

  it('keeps false/0/"" of Go pointer fields present on the wire, and leaves absent ones out', () => {
    const sa = roundTrip({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: {}, automountServiceAccountToken: false });
    assert.equal(sa['automountServiceAccountToken'], false);
    const secret = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { deletionGracePeriodSeconds: 0 }, immutable: false });
    assert.equal(secret['immutable'], false);
    assert.deepEqual(secret['metadata'], { deletionGracePeriodSeconds: 0 });
    const absent = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: {} });
    assert.equal('immutable' in absent, false);
    const tr = roundTrip({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 0 } });
    assert.deepEqual(tr['spec'], { expirationSeconds: 0 });
  });

  it('formats Time as RFC 3339 in seconds, and drops a zero Time', () => {
    const out = roundTrip({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', creationTimestamp: '2024-01-02T03:04:05.678+01:00' },
    });
    assert.deepEqual(out['metadata'], { name: 's', creationTimestamp: '2024-01-02T02:04:05Z' });
    const zero = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', creationTimestamp: null } });
    assert.deepEqual(zero['metadata'], { name: 's' });
  });

  it('writes what Go writes for an empty Secret', () => {
    const body = Buffer.from(encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' } }));
    assert.equal(
      body.toString('hex'),
      specHex(`6b387300 0a0c{0a02"v1" 1206"Secret"} 1216{ 0a12{0a02"db" 1200 1a00 2200 2a00 3200 3800 4200} 1a00 } 1a00 2200`).toString('hex'),
    );
  });

  it('sorts map keys as Go does (byte order)', () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: {}, data: { b: '', a: '', B: '' } });
    const decoded = decodeProtobufObject(body).object;
    assert.deepEqual(Object.keys(decoded['data'] as object), ['B', 'a', 'b']);
  });
});

// ---------------------------------------------------------------------------------------------

function envelope(apiVersion: string, kind: string, raw?: Uint8Array, contentEncoding = ''): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).fork().uint32(10).string(apiVersion).uint32(18).string(kind).ldelim();
  if (raw) w.uint32(18).bytes(raw);
  w.uint32(26).string(contentEncoding).uint32(34).string('');
  return Buffer.concat([Buffer.from(PROTOBUF_MAGIC), w.finish()]);
}

describe('protobuf: errors', () => {
  it('rejects a body without the k8s\\0 magic', () => {
    for (const body of [Buffer.alloc(0), Buffer.from('k8s'), Buffer.from('{"kind":"Secret"}'), Buffer.from('6b387301', 'hex')]) {
      assert.throws(() => decodeProtobufObject(body), (err: unknown) => {
        assert.ok(err instanceof ProtobufDecodeError);
        assert.match(err.message, /k8s/);
        return true;
      });
    }
  });

  it('reports an unregistered kind', () => {
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Foo', new Uint8Array(0))), (err: unknown) => {
      assert.ok(err instanceof ProtobufDecodeError);
      assert.equal(err.message, 'no kind "Foo" is registered for version "v1"');
      return true;
    });
    assert.throws(() => decodeProtobufObject(envelope('apps/v1', 'Secret')), /no kind "Secret" is registered for version "apps\/v1"/);
    assert.throws(() => decodeProtobufObject(Buffer.from(PROTOBUF_MAGIC)), ProtobufDecodeError);
    assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'Foo' }), (err: unknown) => {
      assert.ok(err instanceof ProtobufEncodeError);
      assert.equal(err.message, 'no kind "Foo" is registered for version "v1"');
      return true;
    });
  });

  it('accepts an envelope without raw as an empty object, and rejects a content encoding', () => {
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Secret')).object, { apiVersion: 'v1', kind: 'Secret', metadata: {} });
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Secret', new Uint8Array(0), 'gzip')), /contentEncoding "gzip"/);
  });

  it('rejects a known field with the wrong wire type, as Go does', () => {
    // Secret.type (field 3, string) sent as a varint.
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Secret', Uint8Array.of(0x18, 0x01))), /wrong wire type 0 for field type/);
  });

  it('skips unknown fields (newer kubectl versions)', () => {
    // Secret field 99 (varint 7) and field 100 (bytes "abc") precede type = "Opaque".
    const raw = Buffer.from('980607' + 'a20603616263' + '1a064f7061717565', 'hex');
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Secret', raw)).object, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {},
      type: 'Opaque',
    });
  });

  it('rejects malformed fieldsV1 JSON and out-of-range timestamps', () => {
    const w = protobuf.Writer.create();
    // metadata { managedFields [{ fieldsV1 { Raw "{" } }] }
    w.uint32(10).fork().uint32(138).fork().uint32(58).fork().uint32(10).bytes(Buffer.from('{')).ldelim().ldelim().ldelim();
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Secret', w.finish())), /fieldsV1 is not valid JSON/);
    const t = protobuf.Writer.create();
    // metadata { creationTimestamp { seconds 2^50 } }
    t.uint32(10).fork().uint32(66).fork().uint32(8).int64(2 ** 50).ldelim().ldelim();
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Secret', t.finish())), /outside the years 0000-9999/);
  });

  it('throws ProtobufDecodeError for every truncation of every captured body', () => {
    let errors = 0;
    for (const { file } of CAPTURED) {
      const body = fixture(file);
      for (let n = 0; n < body.length; n++) if (decodeOrDecodeError(body.subarray(0, n)) === 'error') errors++;
      // Cutting into `raw` (the last four bytes are the two empty envelope strings) must fail.
      assert.throws(() => decodeProtobufObject(body.subarray(0, body.length - 5)), ProtobufDecodeError);
    }
    assert.ok(errors > 0);
  });

  it('fuzz: random bytes, with and without the magic, never throw anything but ProtobufDecodeError', () => {
    const random = prng(0x0b5eed);
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const len = Math.floor(random() * 160);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(random() * 256);
      const body = i % 2 === 0 ? bytes : Buffer.concat([Buffer.from(PROTOBUF_MAGIC), bytes]);
      if (decodeOrDecodeError(body) === 'ok') accepted++;
      if (i % 2 === 0 && len < 4) assert.throws(() => decodeProtobufObject(body), ProtobufDecodeError);
    }
    assert.ok(accepted < 40, `random bytes decoded as objects ${accepted} times`);
  });

  it('fuzz: random mutations of valid bodies never throw anything but ProtobufDecodeError', () => {
    const random = prng(0xc0ffee);
    const pick = (n: number) => Math.floor(random() * n);
    const bodies = [...CAPTURED.map(({ file }) => fixture(file)), ...ROUND_TRIPS.map((o) => Buffer.from(encodeProtobufObject(o)))];
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 6000; i++) {
      const original = bodies[pick(bodies.length)] as Buffer;
      let body = Buffer.from(original);
      const mutations = 1 + pick(4);
      for (let m = 0; m < mutations; m++) {
        // Keep the magic most of the time so the decoder itself is exercised.
        const at = 4 + pick(Math.max(1, body.length - 4));
        switch (pick(5)) {
          case 0:
            body[at] = pick(256);
            break;
          case 1:
            body[at] = (body[at] ?? 0) ^ (1 << pick(8));
            break;
          case 2:
            body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1 + pick(3))]);
            break;
          case 3:
            body = Buffer.concat([body.subarray(0, at), Buffer.from([pick(256), pick(256)]), body.subarray(at)]);
            break;
          default:
            body = Buffer.concat([body.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), body.subarray(at)]);
        }
      }
      outcomes[decodeOrDecodeError(body)]++;
    }
    assert.ok(outcomes.ok > 0 && outcomes.error > 0, JSON.stringify(outcomes));
  });

  it('survives deeply nested unknown groups', () => {
    // 0x7b = field 15 (unknown to Secret), wire type 3 (start group), nested 200 000 times.
    const raw = Buffer.alloc(200_000, 0x7b);
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Secret', raw)), ProtobufDecodeError);
  });

  it('rejects JSON values of the wrong type when encoding', () => {
    assert.throws(
      () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 7 } }),
      (err: unknown) => err instanceof ProtobufEncodeError && /Secret\.metadata\.name: expected a string/.test(err.message),
    );
    assert.throws(
      () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: {}, data: ['x'] }),
      ProtobufEncodeError,
    );
    assert.throws(
      () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', metadata: { creationTimestamp: 'yesterday' } }),
      /invalid RFC 3339 time/,
    );
  });
});
