// Service-account issuer discovery (kube's pkg/serviceaccount/openidmetadata.go):
//   GET /.well-known/openid-configuration  the OpenID provider metadata for the issuer
//   GET /openid/v1/jwks                    the public keys that verify service-account tokens
// so a service outside the server can verify a TokenRequest JWT with any OIDC/JOSE library. As in
// kube these are non-resource URLs behind authentication and authorization (kube's default role
// system:service-account-issuer-discovery grants them to system:serviceaccounts); an operator who
// wants them public grants that role to system:unauthenticated.

import type { FastifyReply } from 'fastify';
import type { ServiceAccountTokenConfig } from '../auth/sa-jwt.js';
import { jwks } from '../auth/sa-keys.js';

export const OPENID_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';
const CACHE_CONTROL = 'public, max-age=3600';

export class OidcDiscovery {
  constructor(
    private readonly cfg: ServiceAccountTokenConfig,
    /** The external https URL of this server (jwks_uri points at it), e.g. https://127.0.0.1:6443. */
    private readonly externalURL: () => string,
    /** kube's --service-account-jwks-uri override. */
    private readonly jwksURI?: string,
  ) {}

  /** Answers the two discovery paths; undefined for any other path. */
  handle(path: string, reply: FastifyReply): FastifyReply | undefined {
    // Discovery describes an https issuer only (kube refuses others); without one these paths are 404.
    if (!this.cfg.issuers[0]?.startsWith('https://')) return undefined;
    if (path === OPENID_CONFIG_PATH) {
      const algs = [...new Set(this.cfg.verifying.map((k) => k.alg))].sort();
      const doc = {
        issuer: this.cfg.issuers[0],
        jwks_uri: this.jwksURI ?? `${this.externalURL()}${JWKS_PATH}`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: algs,
      };
      return reply.code(200).header('Cache-Control', CACHE_CONTROL).type('application/json').send(JSON.stringify(doc));
    }
    if (path === JWKS_PATH) {
      return reply.code(200).header('Cache-Control', CACHE_CONTROL).type('application/jwk-set+json').send(JSON.stringify(jwks(this.cfg.verifying)));
    }
    return undefined;
  }
}
