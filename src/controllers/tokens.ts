// kube's tokens controller (pkg/controller/serviceaccount/tokens_controller.go) for legacy
// service-account token Secrets: a Secret of type kubernetes.io/service-account-token annotated with
// kubernetes.io/service-account.name gets a non-expiring `token`, `ca.crt` and `namespace` and the
// service-account.uid annotation. A Secret whose ServiceAccount is missing (or has another uid) is
// deleted, and so are the token Secrets of a ServiceAccount when it is deleted.

import type { Logger } from 'pino';
import type { KObject, Secret } from '../api/types.js';
import { issueLegacyToken, type ServiceAccountTokenConfig } from '../auth/sa-jwt.js';
import type { Registry } from '../registry/index.js';
import { SYSTEM_USER } from './namespace.js';
import { KeyedQueue, objectKey, splitKey, statusCode, StoreWatch } from './queue.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const opts = () => ({ dryRun: false, user: SYSTEM_USER, warnings: [] as string[], fieldManager: 'kube-controller-manager' });

export class TokensController {
  private readonly secrets: KeyedQueue;
  private readonly deletedAccounts: KeyedQueue;
  private readonly watches: StoreWatch[];

  constructor(
    private readonly registry: Registry,
    private readonly cfg: ServiceAccountTokenConfig,
    /** The CA clients should trust for this server (the data dir's CA). */
    private readonly caPem: string,
    log: Logger,
  ) {
    this.secrets = new KeyedQueue('tokens', (k) => this.syncSecret(k), log);
    this.deletedAccounts = new KeyedQueue('tokens-serviceaccounts', (k) => this.syncDeletedAccount(k), log);
    this.watches = [
      new StoreWatch(registry.secrets, (type, s) => {
        if (type !== 'DELETED') this.secrets.add(objectKey(s));
      }, log, (s) => (s as Secret).type === SERVICE_ACCOUNT_TOKEN_TYPE),
      new StoreWatch(registry.serviceAccounts, (type, sa) => {
        if (type === 'DELETED') this.deletedAccounts.add(`${objectKey(sa)}/${sa.metadata?.uid ?? ''}`);
      }, log),
    ];
  }

  async start(): Promise<void> {
    this.secrets.start();
    this.deletedAccounts.start();
    for (const w of this.watches) await w.start();
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.secrets.stop();
    this.deletedAccounts.stop();
  }

  private async deleteSecret(s: Secret): Promise<void> {
    const m = s.metadata!;
    await this.registry.secrets.delete(m.namespace, m.name!, { preconditions: { uid: m.uid } }, opts()).catch((err) => {
      if (![404, 409].includes(statusCode(err) ?? 0)) throw err;
    });
  }

  private async syncSecret(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const s = (await this.registry.secrets.tryGet(ns, name)) as Secret | undefined;
    if (!s || s.metadata?.deletionTimestamp || s.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return;
    const ann = s.metadata?.annotations ?? {};
    const saName = ann[SA_NAME_ANNOTATION] ?? '';
    const sa = saName ? await this.registry.serviceAccounts.tryGet(ns, saName) : undefined;
    const wantUID = ann[SA_UID_ANNOTATION];
    if (!sa || (wantUID && wantUID !== sa.metadata?.uid)) return this.deleteSecret(s);
    const saUID = sa.metadata!.uid!;
    const data = s.data ?? {};
    const needsToken = !data['token'];
    const needsCA = data['ca.crt'] !== b64(this.caPem);
    const needsNamespace = data['namespace'] !== b64(ns);
    if (!needsToken && !needsCA && !needsNamespace && wantUID === saUID) return;
    const token = needsToken ? await issueLegacyToken(this.cfg, ns, { name: saName, uid: saUID }, name) : undefined;
    await this.registry.secrets.update(ns, name, (cur: KObject) => {
      const c = cur as Secret;
      if (c.metadata?.uid !== s.metadata?.uid) return cur;
      const d = { ...(c.data ?? {}) };
      if (!d['token'] && token) d['token'] = b64(token);
      d['ca.crt'] = b64(this.caPem);
      d['namespace'] = b64(ns);
      c.data = d;
      c.metadata!.annotations = { ...(c.metadata!.annotations ?? {}), [SA_UID_ANNOTATION]: saUID };
      return c;
    }, opts()).catch((err) => {
      if (statusCode(err) !== 404) throw err;
    });
  }

  /** key: namespace/name/uid of a deleted ServiceAccount. */
  private async syncDeletedAccount(key: string): Promise<void> {
    const [ns, rest] = splitKey(key);
    const [saName, saUID] = splitKey(rest);
    const page = await this.registry.secrets.list(ns, { fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` });
    for (const obj of page.items) {
      const ann = obj.metadata?.annotations ?? {};
      if (ann[SA_NAME_ANNOTATION] !== saName) continue;
      if (ann[SA_UID_ANNOTATION] && ann[SA_UID_ANNOTATION] !== saUID) continue;
      await this.deleteSecret(obj as Secret);
    }
  }
}
