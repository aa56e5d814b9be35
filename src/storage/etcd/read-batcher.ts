// Single-key reads share etcd calls. Each gRPC call costs this process far more CPU than the bytes it
// carries (an HTTP/2 stream, the client's interceptors, protobuf), so while MAX_IN_FLIGHT reads are
// out, later ones queue and leave together as one read-only transaction of ranges (etcd answers it
// like a range: linearizable, through the ReadIndex path, no raft proposal). Every read still starts
// after its caller asked, so each answer is as fresh as a range of its own would be; a read that finds
// a free slot goes out at once, so a lone request waits for nothing. A call still out after STALL_MS
// (a hung member) stops holding its slot, so one slow member never holds up the reads behind it, and
// the call itself is sent again elsewhere (hedge.ts).

import type { IKeyValue } from 'etcd3';
import type { EtcdClient } from './client.js';
import { hedged } from './hedge.js';

/** Calls in flight before reads queue: enough to keep etcd busy, few enough to batch under load. */
const MAX_IN_FLIGHT = 2;
/** etcd's default --max-txn-ops. */
const MAX_OPS = 128;
/** Far above a healthy read's latency under load (a few ms), far below the call deadline. */
const STALL_MS = 50;

interface Waiter {
  key: Buffer;
  resolve: (kv: IKeyValue | undefined) => void;
  reject: (err: unknown) => void;
}

export class ReadBatcher {
  private queue: Waiter[] = [];
  /** Calls out for less than STALL_MS. */
  private active = 0;

  constructor(private readonly client: EtcdClient) {}

  get(key: Buffer): Promise<IKeyValue | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length && this.active < MAX_IN_FLIGHT) {
      const batch = this.queue.splice(0, MAX_OPS);
      this.active++;
      let holding = true;
      const release = () => {
        if (!holding) return;
        holding = false;
        this.active--;
        this.flush();
      };
      const stalled = setTimeout(release, STALL_MS);
      stalled.unref();
      void this.send(batch).finally(() => {
        clearTimeout(stalled);
        release();
      });
    }
  }

  private async send(batch: Waiter[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const res = await hedged(this.client.health, () => this.client.kv.range({ key: batch[0]!.key }));
        batch[0]!.resolve(res.kvs[0]);
        return;
      }
      const ops = batch.map((w) => ({ request_range: { key: w.key } }));
      const res = await hedged(this.client.health, () => this.client.kv.txn({ success: ops }));
      batch.forEach((w, i) => w.resolve(res.responses[i]?.response_range?.kvs[0]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
