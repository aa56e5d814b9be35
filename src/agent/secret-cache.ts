// The agent's copy of the Secrets its pod references, kept current by one watch per Secret (as the
// kubelet's Watch strategy does): GET for the first state, then WATCH with a name field selector
// from that resourceVersion, resuming from the last one seen when the stream ends, and starting
// over with a GET when the server answers 410 Gone. Immutable Secrets are not watched further.

import { ServerError } from '../cli/client.js';
import { getSecret, watchSecret } from './api.js';
import type { CredentialsProvider } from './credentials.js';
import type { SecretLookup, SecretView } from './secret-lookup.js';
import { secretData, type Secret } from './types.js';

const RETRY_MS = 1000;

interface Entry {
  view: SecretView;
  rv: string;
  /** An immutable Secret cannot change: the kubelet stops watching it, so do we. */
  immutable: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(res, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
  });

export class SecretCache implements SecretLookup {
  private readonly entries = new Map<string, Entry>();
  private readonly abort = new AbortController();
  /** The last watch failure said per Secret: a failure repeating every second is said once. */
  private readonly lastFailure = new Map<string, string>();

  constructor(
    private readonly creds: CredentialsProvider,
    private readonly namespace: string,
    readonly names: string[],
    private readonly onChange: (name: string) => void,
    private readonly log: (line: string) => void,
  ) {}

  get(name: string): SecretView {
    return this.entries.get(name)?.view ?? { found: false, notFound: false, message: `secret "${name}" is not referenced by the pod` };
  }

  /** Fetches every Secret once, then keeps watching them in the background. */
  async start(): Promise<void> {
    await Promise.all(this.names.map((n) => this.fetch(n)));
    for (const n of this.names) void this.watchLoop(n);
  }

  stop(): void {
    this.abort.abort();
  }

  private set(name: string, view: SecretView, rv: string, immutable = false): boolean {
    const prev = this.entries.get(name);
    this.entries.set(name, { view, rv, immutable });
    if (!prev) return true;
    const a = prev.view;
    if (a.found && view.found) return a.resourceVersion !== view.resourceVersion;
    return a.found !== view.found || (!a.found && !view.found && a.message !== view.message);
  }

  private apply(name: string, s: Secret): boolean {
    return this.set(name, { found: true, data: secretData(s), resourceVersion: s.metadata.resourceVersion }, s.metadata.resourceVersion, s.immutable === true);
  }

  private async fetch(name: string): Promise<boolean> {
    try {
      return this.apply(name, await getSecret(this.creds, this.namespace, name));
    } catch (e) {
      // Unreachable or refused: the container waits with the reason; the watch loop keeps trying.
      const notFound = e instanceof ServerError && e.code === 404;
      const message = notFound ? `secret "${name}" not found` : e instanceof ServerError ? e.statusMessage : (e as Error).message;
      return this.set(name, { found: false, notFound, message }, '');
    }
  }

  private async watchLoop(name: string): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.entries.get(name)!.immutable) return;
      const entry = this.entries.get(name)!;
      try {
        for await (const ev of watchSecret(this.creds, this.namespace, name, entry.rv, signal)) {
          this.lastFailure.delete(name);
          const obj = ev.object;
          if (ev.type === 'ERROR') {
            if (obj?.code === 410) {
              this.log(`watch of secret "${name}" expired (${obj.message ?? '410 Gone'}); fetching it again`);
              if (await this.fetch(name)) this.onChange(name);
            } else {
              this.log(`watch of secret "${name}" failed: ${obj?.message ?? 'unknown error'}`);
              await sleep(RETRY_MS, signal);
            }
            break;
          }
          const rv = obj?.metadata?.resourceVersion ?? entry.rv;
          if (ev.type === 'BOOKMARK') {
            this.entries.get(name)!.rv = rv;
          } else if (ev.type === 'DELETED') {
            if (this.set(name, { found: false, notFound: true, message: `secret "${name}" not found` }, rv)) this.onChange(name);
          } else if (this.apply(name, obj as Secret)) {
            this.onChange(name);
          }
          if (this.entries.get(name)!.immutable) return;
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ServerError && e.code === 410) {
          if (await this.fetch(name)) this.onChange(name);
          continue;
        }
        const msg = (e as Error).message;
        if (this.lastFailure.get(name) !== msg) this.log(`watch of secret "${name}": ${msg}; retrying every ${RETRY_MS / 1000}s`);
        this.lastFailure.set(name, msg);
        await sleep(RETRY_MS, signal);
      }
    }
  }
}
