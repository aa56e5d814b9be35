// Authentication and authorization as the server composes them: the authenticator chain (client
// certificates, then bearer tokens: --token-auth-file first), the --authorization-mode union
// behind the system:masters bypass, RBAC's rule resolver, default policy and aggregation, the
// escalation check on RBAC writes, and the access-review resources.

import type { Logger } from 'pino';
import type { AdmissionChain } from '../admission/types.js';
import { ClusterRoleAggregationController } from '../controllers/clusterrole-aggregation.js';
import type { Controller } from '../controllers/controller.js';
import { accessReviews, type NonResourceRuleInfo, type ResourceRuleInfo, type RulesLister } from '../registry/access-reviews.js';
import type { Registry } from '../registry/index.js';
import { alwaysAllow, alwaysDeny, union, withPrivilegedGroup } from './authorizer.js';
import { AuthenticatorChain } from './chain.js';
import { RbacAuthorizer } from './rbac/authorizer.js';
import { reconcileBootstrapPolicy } from './rbac/bootstrap-policy.js';
import { RbacEscalationCheck } from './rbac/escalation.js';
import { RuleResolver } from './rbac/resolver.js';
import { TokenFileAuthenticator } from './token-file.js';
import { audienceAgnostic, type TokenAuthenticator } from './token.js';
import type { Authenticator, Authorizer, UserInfo } from './types.js';
import { ClientTrust, X509Authenticator } from './x509.js';

export const AUTHORIZATION_MODES = ['RBAC', 'AlwaysAllow', 'AlwaysDeny'] as const;

export interface AccessOptions {
  registry: Registry;
  admission: AdmissionChain;
  /** --authorization-mode, in order. */
  modes: readonly string[];
  tokenAuthFile?: string;
  anonymous: boolean;
  /** Authenticators other modules add after client certificates (the bearer-token one). */
  extraAuthenticators?: Authenticator[];
  /** The bearer-token authenticators (TokenReview consults the same list); static tokens go first. */
  tokenAuthenticators: TokenAuthenticator[];
  /** The API audiences, for audience-agnostic token kinds. */
  apiAudiences: () => string[];
  /** Who the server acts as for its own writes (default policy, aggregation). */
  systemUser: UserInfo;
  /** The client CAs in force (changes when the bundle is reloaded). */
  clientTrust?: ClientTrust;
  log: Logger;
}

export interface Access {
  authn: AuthenticatorChain;
  authz: Authorizer;
  resolver: RuleResolver;
  /** Leader-only controllers (ClusterRole aggregation). */
  controllers: Controller[];
  stop(): void;
}

const ALL_RESOURCES: ResourceRuleInfo = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
const ALL_URLS: NonResourceRuleInfo = { verbs: ['*'], nonResourceURLs: ['*'] };

export async function setupAccess(o: AccessOptions): Promise<Access> {
  const authenticators: Authenticator[] = [new X509Authenticator(o.clientTrust)];
  if (o.tokenAuthFile) {
    const tf = new TokenFileAuthenticator(o.tokenAuthFile);
    o.log.info({ file: o.tokenAuthFile, tokens: tf.size }, 'static token authentication');
    // kube's order: static tokens before service-account and bootstrap tokens.
    o.tokenAuthenticators.unshift(audienceAgnostic(tf, o.apiAudiences));
  }
  authenticators.push(...(o.extraAuthenticators ?? []));
  const authn = new AuthenticatorChain(authenticators, o.anonymous);

  const resolver = new RuleResolver(o.registry);
  await resolver.start();
  await reconcileBootstrapPolicy(resolver.clusterRoles.store, resolver.clusterRoleBindings.store, o.systemUser);
  const aggregation = new ClusterRoleAggregationController(resolver.clusterRoles, o.systemUser, o.log);
  await aggregation.prime();

  const rbac = new RbacAuthorizer(resolver);
  const byMode: Record<string, Authorizer> = { RBAC: rbac, AlwaysAllow: alwaysAllow, AlwaysDeny: alwaysDeny };
  const authz = withPrivilegedGroup(union(o.modes.map((m) => byMode[m]!)));

  // SelfSubjectRulesReview: what each authorizer in the union can list.
  const rules: RulesLister = {
    rulesFor(user, namespace) {
      if (user.groups.includes('system:masters') || o.modes.includes('AlwaysAllow')) {
        return { resourceRules: [ALL_RESOURCES], nonResourceRules: [ALL_URLS], incomplete: false, errors: [] };
      }
      const resourceRules: ResourceRuleInfo[] = [];
      const nonResourceRules: NonResourceRuleInfo[] = [];
      const r = o.modes.includes('RBAC') ? resolver.rulesFor(user, namespace) : { rules: [], errors: [] };
      for (const rule of r.rules) {
        if (rule.nonResourceURLs?.length) nonResourceRules.push({ verbs: rule.verbs ?? [], nonResourceURLs: rule.nonResourceURLs });
        else {
          const rr: ResourceRuleInfo = { verbs: rule.verbs ?? [], apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [] };
          if (rule.resourceNames?.length) rr.resourceNames = rule.resourceNames;
          resourceRules.push(rr);
        }
      }
      return { resourceRules, nonResourceRules, incomplete: false, errors: r.errors };
    },
  };
  for (const v of accessReviews(() => authz, rules)) o.registry.addVirtual(v);
  o.admission.add(new RbacEscalationCheck(resolver, () => authz));

  return {
    authn, authz, resolver,
    controllers: [aggregation],
    stop() {
      aggregation.stop();
      resolver.stop();
    },
  };
}
