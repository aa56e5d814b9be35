// Wires service accounts and tokens into the server: the signing and verification keys, issuer and
// audiences, the TokenRequest subresource, TokenReview and SelfSubjectReview, the bearer-token
// authenticators (service-account JWTs, legacy secret tokens, bootstrap tokens), OIDC discovery and
// the four controllers (default ServiceAccounts, legacy token Secrets, legacy token clean-up,
// expired bootstrap tokens).

import type { Logger } from 'pino';
import { BootstrapTokenAuthenticator } from '../auth/bootstrap.js';
import type { ServiceAccountTokenConfig } from '../auth/sa-jwt.js';
import { ensureSigningKey, signingKeyFromFile, verificationKeysFromFile } from '../auth/sa-keys.js';
import { ServiceAccountTokenAuthenticator } from '../auth/serviceaccount.js';
import { audienceAgnostic, BearerTokenAuthenticator, type TokenAuthenticator } from '../auth/token.js';
import { BootstrapTokenCleaner } from '../controllers/bootstrap-token-cleaner.js';
import type { Controller } from '../controllers/controller.js';
import { LegacyTokenCleaner } from '../controllers/legacy-token-cleaner.js';
import { ServiceAccountsController } from '../controllers/serviceaccounts.js';
import { TokensController } from '../controllers/tokens.js';
import { SelfSubjectReviewResource, TokenReviewResource } from '../registry/authn-reviews.js';
import type { Registry } from '../registry/index.js';
import { TokenRequestHandler } from '../registry/tokenrequest.js';
import { OidcDiscovery } from './oidc.js';

export interface ServiceAccountOptions {
  /** --service-account-issuer, in order; empty: the server's own https URL. */
  issuers?: string[];
  /** --api-audiences; empty: the issuers. */
  apiAudiences?: string[];
  /** --service-account-signing-key-file; default <data-dir>/pki/sa.key (generated). */
  signingKeyFile?: string;
  /** --service-account-key-file: extra verification keys. */
  keyFiles?: string[];
  /** --service-account-max-token-expiration, seconds (0: none). */
  maxTokenExpirationSeconds?: number;
  /** --service-account-jwks-uri */
  jwksURI?: string;
  /** --legacy-service-account-token-clean-up-period, ms. */
  legacyTokenCleanUpPeriodMs?: number;
  /** How often the legacy token cleaner runs, ms (kube: 24 h). */
  legacyTokenCleanUpIntervalMs?: number;
}

export interface ServiceAccountsSetup {
  config: ServiceAccountTokenConfig;
  /** The bearer-token authenticator for the request chain (after x509). */
  authenticator: BearerTokenAuthenticator;
  /** Token authenticators, for other token kinds to join (TokenReview consults the same list). */
  tokenAuthenticators: TokenAuthenticator[];
  oidc: OidcDiscovery;
  controllers: Controller[];
  /** Called once the listener is up: the default issuer is the server's URL. */
  listening(url: string): void;
}

const DAY_MS = 86_400_000;

export function setupServiceAccounts(
  registry: Registry, dataDir: string, caPem: string, o: ServiceAccountOptions, log: Logger,
): ServiceAccountsSetup {
  const signing = o.signingKeyFile ? signingKeyFromFile(o.signingKeyFile) : ensureSigningKey(dataDir);
  const config: ServiceAccountTokenConfig = {
    issuers: [...(o.issuers ?? [])],
    apiAudiences: [...(o.apiAudiences ?? [])],
    maxExpirationSeconds: o.maxTokenExpirationSeconds ?? 0,
    signing,
    verifying: [signing, ...(o.keyFiles ?? []).flatMap((f) => verificationKeysFromFile(f))],
  };
  const apiAudiences = () => config.apiAudiences;
  const tokenAuthenticators: TokenAuthenticator[] = [
    new ServiceAccountTokenAuthenticator(config, registry, log),
    audienceAgnostic(new BootstrapTokenAuthenticator(registry, log), apiAudiences),
  ];
  registry.addSubresource(new TokenRequestHandler(registry, config));
  registry.addVirtual(new TokenReviewResource(tokenAuthenticators, apiAudiences));
  registry.addVirtual(new SelfSubjectReviewResource());
  let url = '';
  return {
    config,
    authenticator: new BearerTokenAuthenticator(tokenAuthenticators, apiAudiences),
    tokenAuthenticators,
    oidc: new OidcDiscovery(config, () => url, o.jwksURI),
    controllers: [
      new ServiceAccountsController(registry, log),
      new TokensController(registry, config, caPem, log),
      new LegacyTokenCleaner(registry, {
        cleanUpPeriodMs: o.legacyTokenCleanUpPeriodMs ?? 365 * DAY_MS,
        syncIntervalMs: o.legacyTokenCleanUpIntervalMs ?? DAY_MS,
      }, log),
      new BootstrapTokenCleaner(registry, log),
    ],
    listening(serverURL) {
      url = serverURL;
      if (!config.issuers.length) config.issuers.push(serverURL);
      if (!config.apiAudiences.length) config.apiAudiences.push(...config.issuers);
    },
  };
}
