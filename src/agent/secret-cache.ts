// The agent's copy of the Secrets its pod references, kept current by one watch per Secret (as the
// kubelet's Watch strategy does, a reflector per object): GET for the first state, then WATCH with
// a name field selector from that resourceVersion, resuming from the last one seen when the stream
// ends. A 410 Gone means that resourceVersion left the server's watch window; a GET would answer
// the same old resourceVersion (the object's own) and the next watch would be refused again, so
// the agent resyncs as the reflector's watch-list does: a watch without resourceVersion that
// starts with the current state and carries the current resourceVersion on. Every failed attempt
// waits the reflector's back-off, and each episode of trouble is logged once, not per attempt.
// Immutable Secrets are not watched further.

import { ServerError } from '../cli/client.js';
import { endsInitialEvents, getSecret, watchSecret } from './api.js';
import { Backoff, sleep } from './backoff.js';
import type { CredentialsProvider } from './credentials.js';
import type { SecretLookup, SecretView } from './secret-lookup.js';
import { secretData, type Secret } from './types.js';

/** client-go's guard against a server that ends watches at once: such a watch is a failure. */
const SHORT_WATCH_MS = 1000;
/** The trouble of a resourceVersion gone from the window (its messages differ only in numbers). */
const EXPIRED = Symbol('expired');

interface Entry {
  view: SecretView;
  /** Where the next watch resumes; "" when the agent must resync (watch-list). */
  rv: string;
  /** An immutable Secret cannot change: the kubelet stops watching it, so do we. */
  immutable: boolean;
}

/** How one watch request ended. */
type Outcome =
  | { kind: 'closed' }
  | { kind: 'expired'; message: string }
  | { kind: 'failed'; message: string; retryAfterS?: number };

const notFoundView = (name: string): SecretView => ({ found: false, notFound: true, message: `secret "${name}" not found` });

export class SecretCache implements SecretLookup {
  private readonly entries = new Map<string, Entry>();
  private readonly abort = new AbortController();
  /** Per Secret, what the current episode of trouble last said; absent while its watch is healthy. */
  private readonly trouble = new Map<string, string | typeof EXPIRED>();

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

  /** Records a state; true when what the containers see changed. */
  private set(name: string, view: SecretView, rv: string, immutable = false): boolean {
    const prev = this.entries.get(name);
    this.entries.set(name, { view, rv, immutable });
    if (!prev) return true;
    const a = prev.view;
    if (a.found && view.found) return a.resourceVersion !== view.resourceVersion;
    return a.found !== view.found || (!a.found && !view.found && a.message !== view.message);
  }

  private viewOf(s: Secret): SecretView {
    return { found: true, data: secretData(s), resourceVersion: s.metadata.resourceVersion };
  }

  private async fetch(name: string): Promise<void> {
    try {
      const s = await getSecret(this.creds, this.namespace, name);
      this.set(name, this.viewOf(s), s.metadata.resourceVersion, s.immutable === true);
    } catch (e) {
      // Unreachable or refused: the container waits with the reason; the watch loop keeps trying.
      const notFound = e instanceof ServerError && e.code === 404;
      const message = notFound ? `secret "${name}" not found` : e instanceof ServerError ? e.statusMessage : (e as Error).message;
      this.set(name, { found: false, notFound, message }, '');
    }
  }

  private async watchLoop(name: string): Promise<void> {
    const signal = this.abort.signal;
    const backoff = new Backoff();
    while (!signal.aborted) {
      const entry = this.entries.get(name)!;
      if (entry.immutable) return;
      const resync = entry.rv === '';
      const out = await this.watchOnce(name, entry.rv, signal);
      if (signal.aborted) return;
      if (out.kind === 'closed') continue; // the server's timeout: resume at once, as the reflector does
      // Each change of what is wrong is said once; the same thing again is not.
      const trouble = this.trouble.get(name);
      if (out.kind === 'expired') {
        this.entries.get(name)!.rv = '';
        if (trouble !== EXPIRED) this.log(`watch of secret "${name}" expired (${out.message}); fetching its current state again`);
        this.trouble.set(name, EXPIRED);
        // A watch-list has no resourceVersion to be too old: a 410 for one is a failing server.
        if (!resync) continue;
      } else if (trouble !== out.message) {
        this.log(`watch of secret "${name}": ${out.message}; retrying with back-off`);
        this.trouble.set(name, out.message);
      }
      await sleep(Math.max(backoff.next(), (out.kind === 'failed' ? out.retryAfterS ?? 0 : 0) * 1000), signal);
    }
  }

  /** The first event of a watch ends an episode of trouble; said once, with where it resumed. */
  private healthy(name: string): void {
    if (!this.trouble.delete(name)) return;
    const rv = this.entries.get(name)!.rv;
    this.log(`watch of secret "${name}" is working again${rv ? ` (from resourceVersion ${rv})` : ''}`);
  }

  /** One watch request, applied to the entry as events arrive. */
  private async watchOnce(name: string, rv: string, signal: AbortSignal): Promise<Outcome> {
    const started = Date.now();
    let progressed = false;
    // A watch-list's initial state, applied only once its closing bookmark proves it complete.
    let listing = rv === '';
    let listed: Secret | undefined;
    try {
      for await (const ev of watchSecret(this.creds, this.namespace, name, rv, signal)) {
        const obj = ev.object;
        if (ev.type === 'ERROR') {
          const message = obj?.message ?? 'unknown error';
          return obj?.code === 410 ? { kind: 'expired', message } : { kind: 'failed', message };
        }
        progressed = true;
        const evRV: string = obj?.metadata?.resourceVersion ?? '';
        if (listing) {
          if (ev.type === 'ADDED') listed = obj as Secret;
          if (!endsInitialEvents(ev)) continue;
          listing = false;
          const changed = this.set(name, listed ? this.viewOf(listed) : notFoundView(name), evRV, listed?.immutable === true);
          if (changed) this.onChange(name);
        } else if (ev.type === 'BOOKMARK') {
          this.entries.get(name)!.rv = evRV || this.entries.get(name)!.rv;
        } else if (ev.type === 'DELETED') {
          if (this.set(name, notFoundView(name), evRV)) this.onChange(name);
        } else {
          const s = obj as Secret;
          if (this.set(name, this.viewOf(s), s.metadata.resourceVersion, s.immutable === true)) this.onChange(name);
        }
        this.healthy(name);
        if (this.entries.get(name)!.immutable) return { kind: 'closed' };
      }
    } catch (e) {
      if (signal.aborted) return { kind: 'closed' };
      if (e instanceof ServerError && e.code === 410) return { kind: 'expired', message: e.statusMessage };
      const retryAfterS = e instanceof ServerError ? e.retryAfterS : undefined;
      return { kind: 'failed', message: (e as Error).message, retryAfterS };
    }
    if (listing) return { kind: 'failed', message: 'the watch ended before its initial state was complete' };
    if (!progressed && Date.now() - started < SHORT_WATCH_MS) return { kind: 'failed', message: 'very short watch: the server ended it within a second and sent nothing' };
    return { kind: 'closed' };
  }
}
