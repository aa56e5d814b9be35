// Leader election on etcd for the background controllers: the leader holds one key bound to a lease
// it keeps alive. A server that dies stops renewing, the lease expires after its TTL and the key
// goes with it; the next server to try creates the key and leads. Every server re-checks once a
// second, so a deposed leader (lease lost while cut off from etcd) stops its controllers promptly.

import type { Etcd3, Lease } from 'etcd3';
import { CompareResult, CompareTarget } from 'etcd3';
import type { Logger } from 'pino';
import type { Leadership } from '../../controllers/leadership.js';

const CHECK_MS = 1_000;

export class EtcdLeaderElection implements Leadership {
  private lease?: Lease;
  private leading = false;
  private holder?: string;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly listeners: ((leading: boolean) => void)[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly key: string,
    readonly identity: string,
    private readonly log: Logger,
    private readonly ttlSeconds = 5,
  ) {}

  onChange(fn: (leading: boolean) => void): void {
    this.listeners.push(fn);
  }

  isLeader(): boolean {
    return this.leading;
  }

  leader(): string | undefined {
    return this.holder;
  }

  start(): void {
    void this.tick();
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info({ identity: this.identity, leading }, leading ? 'leading the controllers' : 'no longer leading the controllers');
    for (const fn of this.listeners) fn(leading);
  }

  private dropLease(): void {
    const l = this.lease;
    this.lease = undefined;
    l?.release();
    l?.removeAllListeners();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.lease) {
        const lease = this.client.lease(this.ttlSeconds);
        lease.on('lost', (err) => {
          this.log.warn({ err: err.message }, 'controller leader lease lost');
          if (this.lease === lease) this.dropLease();
          this.set(false);
        });
        this.lease = lease;
      }
      const leaseId = await this.lease.grant();
      const k = Buffer.from(this.key);
      const res = await this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(this.identity), lease: leaseId } }],
        failure: [{ request_range: { key: k } }],
      });
      const kv = res.succeeded ? undefined : res.responses[0]?.response_range.kvs[0];
      this.holder = res.succeeded ? this.identity : kv?.value.toString('utf8');
      this.set(res.succeeded || (kv !== undefined && kv.lease === leaseId && this.holder === this.identity));
    } catch (err) {
      // Cut off from etcd: the lease may expire under us, so stop leading until it is confirmed.
      this.log.warn({ err: (err as Error).message }, 'controller leader election check failed');
      this.holder = undefined;
      this.set(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), CHECK_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const lease = this.lease;
    this.set(false);
    if (lease) {
      // Resigning revokes the lease, which deletes the key: another server takes over at once.
      await lease.revoke().catch(() => {});
      this.dropLease();
    }
  }
}
