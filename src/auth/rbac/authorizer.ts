// The RBAC authorizer: allow when any applicable rule allows the request, otherwise no opinion
// (kube's RBAC never denies outright). Reasons are worded as kube words them. A request that would
// be refused first waits until RBAC writes already committed are visible, so a binding created just
// before is honoured (read-your-writes on this server).

import { aggregateText } from '../../api/selectors/go-format.js';
import type { AuthorizationAttributes, Authorizer, Decision } from '../types.js';
import type { RuleResolver } from './resolver.js';
import { ruleAllows } from './rules.js';

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly resolver: RuleResolver) {}

  authorize(a: AuthorizationAttributes): Decision | Promise<Decision> {
    const d = this.evaluate(a);
    if (d.decision === 'allow') return d;
    return this.resolver.settled().then(() => this.evaluate(a));
  }

  /** One synchronous evaluation against the current copy of the RBAC objects. */
  evaluate(a: AuthorizationAttributes): Decision {
    let allowedBy: string | undefined;
    const errors: string[] = [];
    this.resolver.visitRulesFor(a.user, a.namespace, (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        allowedBy = source;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (allowedBy !== undefined) return { decision: 'allow', reason: `RBAC: allowed by ${allowedBy}` };
    return { decision: 'noOpinion', reason: errors.length ? `RBAC: ${aggregateText(errors)}` : '' };
  }
}
