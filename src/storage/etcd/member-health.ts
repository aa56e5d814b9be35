// A member that hangs (a stopped process, a blocked disk, a one-way partition) keeps its TCP
// connection open, so the client goes on sending it calls that each wait for their deadline. Each
// member's calls pass through a gate. A member with calls out that has answered none of them for
// SILENT_MS is asked for its Status on a connection of its own; one that does not answer within
// CONFIRM_MS is suspect — a member only busy with a long call (a big list) answers and stays in use.
// New calls skip a suspect member (the client tries the next one when a gate refuses); calls it
// already holds run to their deadline, then the client sends them to another member (a write the
// hung member applied meanwhile is recognised by its bytes); its connections are dropped, so that
// when a probe (every PROBE_EVERY_MS) finds it answering again, calls go out on a fresh connection.
// While no other member is usable a suspect member still gets calls, so a cluster that is only slow
// everywhere keeps working. The gate wraps the client's own per-member circuit breaker (3 failures
// in a row open it for 5 s).

import { Stream } from 'node:stream';
import {
  circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, isBrokenCircuitError, noop, type CircuitBreakerPolicy, type IDefaultPolicyContext, type IPolicy,
} from 'cockatiel';
import { Etcd3, GRPCCancelledError, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError, type IOptions } from 'etcd3';

/** Healthy members answer in milliseconds, even under load: this much silence is worth a question. */
export const SILENT_MS = 200;
/**
 * Status is answered from memory (no disk, no raft): a live member answers it at once, even on a
 * loaded machine well within this (a shorter limit marked busy members of a CI machine as hung).
 */
export const CONFIRM_MS = 1_000;
const CHECK_EVERY_MS = 50;
const PROBE_EVERY_MS = 1_000;
const PROBE_DEADLINE_MS = 1_000;

/** No answer at all: the call ran out of time, never reached a working member, or was cancelled. */
export const silent = (err: unknown) =>
  err instanceof GRPCDeadlineExceededError || err instanceof GRPCUnavailableError || err instanceof GRPCCancelledError;

export class MemberUnansweringError extends Error {
  constructor(host: string) {
    // "unavailable": storage errors map this to 503 should every member refuse.
    super(`etcd member ${host} is unavailable: it stopped answering`);
  }
}

export class MemberHealth {
  private readonly gates: MemberGate[] = [];
  closed = false;
  /** Drops the client's connections to a member (set once the client exists). */
  resetConnections: (host: string) => void = () => {};

  /**
   * `probe` is the client's connection options (hosts are replaced per probe); `onChange` hears when
   * a member stops answering and when it answers again.
   */
  constructor(readonly probe: IOptions, readonly onChange: (host: string, answering: boolean) => void = () => {}) {}

  /** The client's per-member fault policy (IOptions.faultHandling.host). */
  gate(host: string): IPolicy<IDefaultPolicyContext> {
    const g = new MemberGate(host, this);
    this.gates.push(g);
    return g;
  }

  /** Every member, and whether it gets calls (not while suspect, nor while its breaker is open). */
  members(): { host: string; answering: boolean }[] {
    return this.gates.map((g) => ({ host: g.host, answering: g.usable() }));
  }

  anySuspect(): boolean {
    return this.gates.some((g) => g.suspect);
  }

  othersUsable(self: MemberGate): boolean {
    return this.gates.some((g) => g !== self && g.usable());
  }

  /** One Status call to `host` on a connection of its own; true when it answered in time. */
  async ask(host: string, deadlineMs: number): Promise<boolean> {
    const client = new Etcd3({
      ...this.probe,
      hosts: [host],
      // Once, without the client's retries: the caller decides when to ask again.
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: () => ({ deadline: Date.now() + deadlineMs }),
    });
    try {
      await client.maintenance.status();
      return true;
    } catch {
      return false;
    } finally {
      client.close();
    }
  }

  close(): void {
    this.closed = true;
    for (const g of this.gates) g.stop();
  }
}

class MemberGate implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never;
  readonly onSuccess: CircuitBreakerPolicy['onSuccess'];
  readonly onFailure: CircuitBreakerPolicy['onFailure'];
  private readonly breaker: CircuitBreakerPolicy;
  private outstanding = 0;
  /** Last answer, or when the member last went from idle to busy (idle time is not silence). */
  private lastAnswer = Date.now();
  private watching?: NodeJS.Timeout;
  private confirming = false;
  suspect = false;

  constructor(readonly host: string, private readonly health: MemberHealth) {
    this.breaker = circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(3) });
    this.onSuccess = this.breaker.onSuccess;
    this.onFailure = this.breaker.onFailure;
  }

  usable(): boolean {
    return !this.suspect && this.breaker.state !== CircuitState.Open;
  }

  stop(): void {
    clearInterval(this.watching);
    this.watching = undefined;
  }

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    if (this.suspect && this.health.othersUsable(this)) throw new MemberUnansweringError(this.host);
    if (this.outstanding++ === 0) {
      this.lastAnswer = Date.now();
      this.watch();
    }
    try {
      const res = await this.breaker.execute(fn, signal);
      // Opening a watch or lease stream returns at once without hearing from the member.
      if (!(res instanceof Stream)) this.answered();
      return res;
    } catch (err) {
      // A breaker that refuses heard nothing from the member either.
      if (!silent(err) && !isBrokenCircuitError(err)) this.answered();
      throw err;
    } finally {
      this.outstanding--;
    }
  }

  /** While calls are out, looks for silence; stops when the member is idle again. */
  private watch(): void {
    if (this.watching || this.health.closed) return;
    this.watching = setInterval(() => {
      if (this.outstanding === 0 && !this.confirming) return this.stop();
      if (!this.suspect && !this.confirming && Date.now() - this.lastAnswer > SILENT_MS) void this.confirm();
    }, CHECK_EVERY_MS);
    this.watching.unref();
  }

  private async confirm(): Promise<void> {
    this.confirming = true;
    const asked = Date.now();
    const alive = await this.health.ask(this.host, CONFIRM_MS);
    this.confirming = false;
    // Alive (only a long call), or it answered a call meanwhile: look again after more silence.
    if (alive || this.lastAnswer >= asked || this.health.closed) {
      this.lastAnswer = Math.max(this.lastAnswer, Date.now());
      return;
    }
    this.suspect = true;
    this.health.onChange(this.host, false);
    // A connection a black hole swallowed may look alive: the next one is made afresh.
    this.health.resetConnections(this.host);
    void this.probeUntilAnswered();
  }

  private answered(): void {
    this.lastAnswer = Date.now();
    if (!this.suspect) return;
    this.suspect = false;
    this.health.onChange(this.host, true);
  }

  private async probeUntilAnswered(): Promise<void> {
    while (this.suspect && !this.health.closed) {
      if (await this.health.ask(this.host, PROBE_DEADLINE_MS)) this.answered();
      else await new Promise((r) => setTimeout(r, PROBE_EVERY_MS).unref());
    }
  }
}
