// A member that hangs (a stopped process, a blocked disk, a one-way partition) keeps its TCP
// connection open, so the client goes on sending it calls that each wait for their deadline. Each
// member's calls pass through a gate: a member with calls out that has answered none of them for
// SUSPECT_AFTER_MS is suspect, and new calls go to the other members (the client tries the next one
// when a gate refuses). A probe — a Status call with a short deadline, every PROBE_EVERY_MS — lets it
// back in once it answers, as does a late answer to a call it held. While no other member is usable
// a suspect member still gets calls, so a cluster that is only slow everywhere keeps working.
// The gate wraps the client's own per-member circuit breaker (3 failures in a row open it for 5 s).

import { Stream } from 'node:stream';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, noop, type CircuitBreakerPolicy, type IDefaultPolicyContext, type IPolicy } from 'cockatiel';
import { Etcd3, GRPCCancelledError, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError, type IOptions } from 'etcd3';

/** Healthy members answer in milliseconds, even under load; a stall this long is not queueing. */
export const SUSPECT_AFTER_MS = 200;
const PROBE_EVERY_MS = 1_000;
const PROBE_DEADLINE_MS = 1_000;

/** No answer at all: the call ran out of time or never reached a working member. */
export const silent = (err: unknown) =>
  err instanceof GRPCDeadlineExceededError || err instanceof GRPCUnavailableError || err instanceof GRPCCancelledError;

export class MemberUnansweringError extends Error {
  constructor(host: string, ms: number) {
    // "unavailable": storage errors map this to 503 should every member refuse.
    super(`etcd member ${host} is unavailable: no answer for ${ms} ms`);
  }
}

export class MemberHealth {
  private readonly gates: MemberGate[] = [];
  closed = false;

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

  othersUsable(self: MemberGate): boolean {
    return this.gates.some((g) => g !== self && g.usable());
  }

  close(): void {
    this.closed = true;
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
  suspect = false;

  constructor(readonly host: string, private readonly health: MemberHealth) {
    this.breaker = circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(3) });
    this.onSuccess = this.breaker.onSuccess;
    this.onFailure = this.breaker.onFailure;
  }

  usable(): boolean {
    return !this.suspected() && this.breaker.state !== CircuitState.Open;
  }

  /** Decided when asked: a member turns suspect by staying silent, not by any event. */
  suspected(): boolean {
    if (!this.suspect && this.outstanding > 0 && Date.now() - this.lastAnswer > SUSPECT_AFTER_MS) {
      this.suspect = true;
      this.health.onChange(this.host, false);
      void this.probeUntilAnswered();
    }
    return this.suspect;
  }

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    if (this.suspected() && this.health.othersUsable(this)) {
      throw new MemberUnansweringError(this.host, Date.now() - this.lastAnswer);
    }
    if (this.outstanding++ === 0) this.lastAnswer = Date.now();
    try {
      const res = await this.breaker.execute(fn, signal);
      // Opening a watch or lease stream returns at once without hearing from the member.
      if (!(res instanceof Stream)) this.answered();
      return res;
    } catch (err) {
      if (!silent(err)) this.answered();
      throw err;
    } finally {
      this.outstanding--;
    }
  }

  private answered(): void {
    this.lastAnswer = Date.now();
    if (!this.suspect) return;
    this.suspect = false;
    this.health.onChange(this.host, true);
  }

  private async probeUntilAnswered(): Promise<void> {
    while (this.suspect && !this.health.closed) {
      const client = new Etcd3({
        ...this.health.probe,
        hosts: [this.host],
        // Once, without the client's retries: the probe loop decides when to try again.
        faultHandling: { host: () => noop, global: noop },
        defaultCallOptions: () => ({ deadline: Date.now() + PROBE_DEADLINE_MS }),
      });
      try {
        await client.maintenance.status();
        this.answered();
      } catch {
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS).unref());
      } finally {
        client.close();
      }
    }
  }
}
