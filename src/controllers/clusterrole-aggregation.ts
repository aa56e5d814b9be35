// ClusterRole aggregation (kube's clusterrole-aggregation controller): a ClusterRole with an
// aggregationRule gets, as its rules, the union of the rules of every ClusterRole its selectors
// match, in name order. Any ClusterRole change re-evaluates the aggregated ones, so labelling a role
// `rbac.authorization.k8s.io/aggregate-to-edit: "true"` extends edit (and admin) within moments.

import type { Logger } from 'pino';
import type { ClusterRole, PolicyRule } from '../api/rbac/types.js';
import { matches, selectorFromLabelSelectorObject } from '../api/selectors/index.js';
import type { Informer } from '../registry/informer.js';
import type { UserInfo } from '../registry/types.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The rules an aggregated role should hold, given every ClusterRole. */
export function aggregatedRules(role: ClusterRole, all: Iterable<ClusterRole>): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).flatMap((s) => {
    try {
      return [selectorFromLabelSelectorObject(s as never)];
    } catch {
      return []; // validation keeps bad selectors out; one that slips through selects nothing
    }
  });
  const sources = [...all]
    .filter((r) => r.metadata?.name !== role.metadata?.name && selectors.some((s) => matches(s, r.metadata?.labels)))
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const rules: PolicyRule[] = [];
  for (const src of sources) for (const r of src.rules ?? []) if (!rules.some((x) => same(x, r))) rules.push(r);
  return rules;
}

export class ClusterRoleAggregationController {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly clusterRoles: Informer,
    private readonly user: UserInfo,
    private readonly log: Logger,
  ) {}

  /**
   * One pass. Every server runs it at start (as each kube-apiserver reconciles the bootstrap policy),
   * so it reports ready with its aggregated roles filled; passes on later changes are the leader's.
   */
  async prime(): Promise<void> {
    await this.sync();
    await this.clusterRoles.settled();
  }

  /** Follows every ClusterRole change (on the elected server). */
  start(): void {
    this.stopped = false;
    this.unsubscribe ??= this.clusterRoles.onChange(() => this.schedule());
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, 20);
  }

  private async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const stored = [...this.clusterRoles.list()] as ClusterRole[];
      // Aggregated roles feed others (edit is aggregated into admin): settle every role's rules in
      // memory first, so each is written once and no pass of this controller follows the start.
      const settled = new Map(stored.map((r) => [r.metadata!.name!, r]));
      for (let round = 0, changed = true; changed && round < 10; round++) {
        changed = false;
        for (const [name, role] of settled) {
          if (!role.aggregationRule) continue;
          const want = aggregatedRules(role, settled.values());
          if (same(want, role.rules ?? [])) continue;
          settled.set(name, { ...role, rules: want });
          changed = true;
        }
      }
      for (const role of stored) {
        if (!role.aggregationRule || this.stopped) continue;
        const name = role.metadata!.name!;
        const want = settled.get(name)!.rules ?? [];
        if (same(want, role.rules ?? [])) continue;
        await this.clusterRoles.store.update(undefined, name, (cur) => ({ ...cur, rules: want }), {
          dryRun: false, user: this.user, warnings: [],
        }).catch((err: Error) => this.log.warn({ clusterRole: name, err: err.message }, 'aggregating cluster role failed'));
      }
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }
}
