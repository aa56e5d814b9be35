// POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token: kube's TokenREST
// (pkg/registry/core/serviceaccount/storage/token.go). Checks in kube's order — body name/namespace,
// the ServiceAccount, defaults, validation, the bound object — then signs a JWT for it.

import { errors } from '../api/errors.js';
import { invalid } from '../api/field-errors.js';
import type { KObject } from '../api/types.js';
import { issueBoundToken, type Ref, type ServiceAccountTokenConfig } from '../auth/sa-jwt.js';
import type { Registry } from './index.js';
import { nowRFC3339 } from './meta.js';
import type { SubresourceHandler, VirtualRequest, VirtualResponse } from './virtual.js';

const GROUP = 'authentication.k8s.io';
const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;
const MAX_EXPIRATION_S = 2 ** 32;

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequest extends KObject {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundObjectRef };
}

export class TokenRequestHandler implements SubresourceHandler {
  readonly group = '';
  readonly version = 'v1';
  readonly resource = 'serviceaccounts';
  readonly name = 'token';
  readonly kind = { group: GROUP, version: 'v1', kind: 'TokenRequest' };
  readonly verbs = ['create'];

  constructor(
    private readonly registry: Registry,
    private readonly cfg: ServiceAccountTokenConfig,
  ) {}

  async handle(r: VirtualRequest): Promise<VirtualResponse> {
    const name = r.name!;
    const namespace = r.namespace!;
    const req = r.body as TokenRequest;
    const meta = req.metadata ?? {};
    if (meta.name && meta.name !== name) {
      throw errors.invalid('TokenRequest', GROUP, name, [invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
    }
    if (meta.namespace && meta.namespace !== namespace) {
      throw errors.invalid('TokenRequest', GROUP, name, [invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
    }
    const sa = await this.registry.serviceAccounts.get(namespace, name);
    const spec = { ...(req.spec ?? {}) };
    if (!spec.audiences?.length) spec.audiences = [...this.cfg.apiAudiences];
    spec.expirationSeconds ??= DEFAULT_EXPIRATION_S;
    const now = Date.now();
    const exp = spec.expirationSeconds;
    if (exp < MIN_EXPIRATION_S) {
      throw errors.invalid('TokenRequest', GROUP, '', [invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes')]);
    }
    if (exp > MAX_EXPIRATION_S) {
      throw errors.invalid('TokenRequest', GROUP, '', [invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds')]);
    }
    const secret = spec.boundObjectRef ? await this.boundSecret(namespace, spec.boundObjectRef) : undefined;
    const max = this.cfg.maxExpirationSeconds;
    if (max > 0 && exp > max) {
      r.warnings.push(`requested expiration of ${exp} seconds shortened to ${max} seconds`);
      spec.expirationSeconds = max;
    }
    const nowS = Math.floor(now / 1000);
    const token = await issueBoundToken(this.cfg, {
      namespace, serviceAccount: { name, uid: sa.metadata!.uid! }, secret,
      audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, now: nowS,
    });
    const object: KObject = {
      kind: 'TokenRequest', apiVersion: `${GROUP}/v1`,
      metadata: { name, namespace, creationTimestamp: nowRFC3339(now) },
      spec,
      status: { token, expirationTimestamp: nowRFC3339((nowS + spec.expirationSeconds) * 1000) },
    };
    return { code: 201, object };
  }

  /** Resolves the bound object; only Secrets are served here, so Pods and Nodes are never found. */
  private async boundSecret(namespace: string, ref: BoundObjectRef): Promise<Ref> {
    const apiVersion = ref.apiVersion ?? '';
    const slash = apiVersion.indexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    const kind = ref.kind ?? '';
    const refName = ref.name ?? '';
    if (group === '' && kind === 'Pod') throw errors.notFound({ group: '', resource: 'pods' }, refName);
    if (group === '' && kind === 'Node') throw errors.notFound({ group: '', resource: 'nodes' }, refName);
    if (group !== '' || kind !== 'Secret') {
      throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
    }
    const secret = await this.registry.secrets.get(namespace, refName);
    const uid = secret.metadata!.uid!;
    if (ref.uid && ref.uid !== uid) {
      // kube names the kind where a resource usually goes: `on Secret "x"`.
      throw errors.conflict({ group: '', resource: 'Secret' }, refName,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record (${uid}). The object might have been deleted and then recreated`);
    }
    return { name: refName, uid };
  }
}
