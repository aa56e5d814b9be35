// Who runs the background controllers (namespace cleanup, compaction). A lone server always does;
// servers sharing an etcd cluster elect one (storage/etcd/election.ts), and hand over when it dies.

export interface Leadership {
  /** This server's name in the election. */
  readonly identity: string;
  isLeader(): boolean;
  /** The current leader's identity, when known. */
  leader(): string | undefined;
  onChange(fn: (leading: boolean) => void): void;
  start(): void;
  stop(): Promise<void>;
}

/** One server on its own storage: it leads from the start. */
export class SoleLeader implements Leadership {
  private readonly listeners: ((leading: boolean) => void)[] = [];
  private leading = false;

  constructor(readonly identity: string) {}

  isLeader(): boolean {
    return this.leading;
  }

  leader(): string | undefined {
    return this.identity;
  }

  onChange(fn: (leading: boolean) => void): void {
    this.listeners.push(fn);
  }

  start(): void {
    this.leading = true;
    for (const fn of this.listeners) fn(true);
  }

  async stop(): Promise<void> {
    this.leading = false;
    for (const fn of this.listeners) fn(false);
  }
}
