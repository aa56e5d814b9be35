// kube's legacy-service-account-token-cleaner (legacy_serviceaccount_token_cleaner.go): every sync
// interval (kube: 24 h), an auto-generated legacy token Secret — one its ServiceAccount lists in
// .secrets — that is older than the clean-up period and unused for that long (label
// kubernetes.io/legacy-token-last-used) is labelled kubernetes.io/legacy-token-invalid-since=<today>
// (the authenticator then refuses it); once that date is itself older than the period, the Secret is
// deleted. Dates are whole UTC days, as in kube, so deletion needs a period of at least a day.
//
// kube waits until usage has been tracked for a whole period (a ConfigMap records since when). Opaque
// records last use from its first start, so every Secret old enough to be considered was created
// while tracking was on: that wait is always over and needs no record.

import type { Logger } from 'pino';
import type { Secret } from '../api/types.js';
import type { Registry } from '../registry/index.js';
import { INVALID_SINCE_LABEL, LAST_USED_LABEL, utcDate } from '../auth/serviceaccount.js';
import type { ServiceAccount } from '../registry/serviceaccounts.js';
import { SYSTEM_USER } from './namespace.js';
import { statusCode } from './queue.js';
import { SA_NAME_ANNOTATION, SA_UID_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from './tokens.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (v: string | undefined): v is string => !!v && DATE.test(v) && !Number.isNaN(Date.parse(v));

export interface LegacyTokenCleanerOptions {
  /** --legacy-service-account-token-clean-up-period, ms (default one year). */
  cleanUpPeriodMs: number;
  /** How often to look (kube: 24 h). */
  syncIntervalMs: number;
}

export class LegacyTokenCleaner {
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly registry: Registry,
    private readonly o: LegacyTokenCleanerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.running ??= this.evaluate()
        .catch((err) => this.log.warn({ err: (err as Error).message }, 'legacy token clean-up failed'))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.o.syncIntervalMs);
    this.timer.unref();
    // The first look waits a little (a minute at most) so it does not add a full read of every Secret
    // to the server's start, when clients reconnect and other work (re-encryption) runs.
    this.first = setTimeout(tick, Math.min(this.o.syncIntervalMs, 60_000));
    this.first.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.first);
  }

  async evaluate(now = Date.now()): Promise<void> {
    const preserveCreatedOnOrAfter = now - this.o.cleanUpPeriodMs;
    const preserveUsedOnOrAfter = utcDate(preserveCreatedOnOrAfter);
    const page = await this.registry.secrets.list(undefined, { fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` });
    for (const obj of page.items) {
      const s = obj as Secret;
      const m = s.metadata!;
      if (!(Date.parse(m.creationTimestamp ?? '') < preserveCreatedOnOrAfter) || m.deletionTimestamp) continue;
      const lastUsed = m.labels?.[LAST_USED_LABEL];
      if (lastUsed !== undefined && (!validDate(lastUsed) || lastUsed >= preserveUsedOnOrAfter)) continue;
      const sa = await this.serviceAccount(s);
      // Only auto-generated tokens (listed by their ServiceAccount) are cleaned, as in kube.
      if (!sa || !(sa.secrets ?? []).some((r) => r.name === m.name)) continue;
      const invalidSince = m.labels?.[INVALID_SINCE_LABEL];
      if (!validDate(invalidSince)) {
        const today = utcDate(now);
        this.log.info({ namespace: m.namespace, secret: m.name, invalidSince: today }, 'marking an unused auto-generated service account token invalid');
        await this.registry.secrets.update(m.namespace, m.name!, (cur) => {
          if (cur.metadata?.uid !== m.uid) return cur;
          cur.metadata!.labels = { ...(cur.metadata!.labels ?? {}), [INVALID_SINCE_LABEL]: today };
          return cur;
        }, { dryRun: false, user: SYSTEM_USER, warnings: [], fieldManager: 'kube-controller-manager' }).catch((err) => this.ignoreGone(err));
        continue;
      }
      if (invalidSince >= preserveUsedOnOrAfter) continue;
      this.log.info({ namespace: m.namespace, secret: m.name, lastUsed, invalidSince }, 'deleting an unused auto-generated service account token');
      await this.registry.secrets
        .delete(m.namespace, m.name!, { preconditions: { resourceVersion: m.resourceVersion } }, { dryRun: false, user: SYSTEM_USER, warnings: [] })
        .catch((err) => this.ignoreGone(err));
    }
  }

  private ignoreGone(err: unknown): void {
    if (![404, 409].includes(statusCode(err) ?? 0)) throw err;
  }

  private async serviceAccount(s: Secret): Promise<ServiceAccount | undefined> {
    const ann = s.metadata?.annotations ?? {};
    const name = ann[SA_NAME_ANNOTATION];
    if (!name) return undefined;
    const sa = (await this.registry.serviceAccounts.tryGet(s.metadata!.namespace, name)) as ServiceAccount | undefined;
    const uid = ann[SA_UID_ANNOTATION];
    return sa && (!uid || uid === sa.metadata?.uid) ? sa : undefined;
  }
}
