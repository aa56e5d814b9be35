// Connections that have not authenticated are what a stranger opens for free, so they are bounded:
// per client address and in all, well below the process's file limit. Unbounded, a flood from one
// address exhausted the file descriptors (EMFILE), and then every client, system:masters too, was
// reset. A connection authenticates when its TLS handshake verifies a client certificate, or when a
// request on it carries a credential that authenticates (a bearer token); from then on it is not
// counted. At a limit the connection waiting longest makes room (a stalled or trickling one:
// clients send their request right after the handshake), so a flood evicts its own connections
// instead of locking newcomers out. Handshakes count in the total but not per address, so a
// client-certificate client from a flooding address gets through its handshake.
// On shutdown every connection not serving a request closes at once, the others after their answer.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ConnectionLimits {
  /** Connections past the TLS handshake without credentials, per client address (0: no limit). */
  perAddress: number;
  /** Connections without credentials in all, handshakes included (0: no limit). */
  total: number;
}

export const DEFAULT_PER_ADDRESS = 100;
const DEFAULT_TOTAL = 1000;
const WARN_EVERY_MS = 60_000;

/** 1000, or a quarter of the open-file limit when that is lower: the rest stays for everything else. */
export function defaultTotalLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    if (Number.isFinite(soft) && soft > 0) return Math.max(1, Math.min(DEFAULT_TOTAL, Math.floor(soft / 4)));
  } catch {
    // not Linux: no cheap way to read the limit
  }
  return DEFAULT_TOTAL;
}

type Reason = 'per-address' | 'total';

interface Conn {
  readonly raw: Socket;
  tls?: TLSSocket;
  readonly address: string;
  authenticated: boolean;
  /** Requests on it whose answer is not finished. */
  serving: number;
}

const tuple = (s: Socket) => `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;

export class ConnectionGuard {
  private readonly all = new Set<Conn>();
  /** Not authenticated yet, handshakes included; a Set iterates oldest first. */
  private readonly pending = new Set<Conn>();
  /** Past the handshake without credentials, by client address. */
  private readonly byAddress = new Map<string, Set<Conn>>();
  /** From accept to the end of the handshake: the TLS socket has the raw socket's addresses. */
  private readonly handshaking = new Map<string, Conn>();
  private readonly bySocket = new WeakMap<Socket, Conn>();
  private readonly closed: Counter;
  private readonly lastWarned: Record<Reason, number> = { 'per-address': 0, total: 0 };
  private stopping = false;

  constructor(private readonly limits: ConnectionLimits, private readonly log: Logger, registry: Registry) {
    const self = this;
    new Gauge({
      name: 'opaque_unauthenticated_connections',
      help: 'Open connections that have not authenticated yet (TLS handshakes included).',
      registers: [registry],
      collect() {
        this.set(self.pending.size);
      },
    });
    this.closed = new Counter({
      name: 'opaque_unauthenticated_connections_closed_total',
      help: 'Connections without credentials closed to stay within a limit, by limit (per-address, total).',
      labelNames: ['limit'],
      registers: [registry],
    });
  }

  /** Whether shutdown has begun: answers then carry "Connection: close". */
  get closing(): boolean {
    return this.stopping;
  }

  attach(server: TlsServer): void {
    server.on('connection', (raw: Socket) => this.accepted(raw));
    server.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
  }

  /** A request on this connection authenticated with a credential: it no longer counts. */
  authenticated(socket: Socket | null | undefined): void {
    const c = socket && this.bySocket.get(socket);
    if (!c || c.authenticated) return;
    c.authenticated = true;
    this.forget(c);
  }

  /**
   * Closes every connection that is not serving a request, and each other one once its answer is
   * out; past `graceMs` whatever is left (a request still trickling in) is closed too.
   */
  shutdown(graceMs: number): void {
    this.stopping = true;
    for (const c of this.all) if (c.serving === 0) (c.tls ?? c.raw).destroy();
    const t = setTimeout(() => {
      for (const c of this.all) (c.tls ?? c.raw).destroy();
    }, graceMs);
    t.unref();
  }

  private accepted(raw: Socket): void {
    if (this.stopping) {
      raw.destroy();
      return;
    }
    const c: Conn = { raw, address: raw.remoteAddress ?? '', authenticated: false, serving: 0 };
    const key = tuple(raw);
    this.all.add(c);
    this.pending.add(c);
    this.handshaking.set(key, c);
    raw.once('close', () => {
      this.all.delete(c);
      this.forget(c);
      if (this.handshaking.get(key) === c) this.handshaking.delete(key);
    });
    if (this.limits.total > 0 && this.pending.size > this.limits.total) this.evict(this.pending, 'total');
  }

  private secured(socket: TLSSocket): void {
    const key = tuple(socket);
    const c = this.handshaking.get(key);
    if (!c) return;
    this.handshaking.delete(key);
    c.tls = socket;
    this.bySocket.set(socket, c);
    // TLS verified the chain against the client CA bundle: kube's x509 authenticator takes it from here.
    if (socket.authorized) {
      c.authenticated = true;
      this.forget(c);
      return;
    }
    let peers = this.byAddress.get(c.address);
    if (!peers) this.byAddress.set(c.address, (peers = new Set()));
    peers.add(c);
    if (this.limits.perAddress > 0 && peers.size > this.limits.perAddress) this.evict(peers, 'per-address');
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const c = this.bySocket.get(req.socket);
    if (!c) return;
    c.serving++;
    res.once('close', () => {
      c.serving--;
      if (this.stopping && c.serving === 0) c.tls?.destroySoon();
    });
  }

  /** Closes the oldest connection of `from` that serves no request (the newest, when all do). */
  private evict(from: Set<Conn>, reason: Reason): void {
    let victim: Conn | undefined;
    for (const c of from) {
      victim = c;
      if (c.serving === 0) break;
    }
    if (!victim) return;
    this.forget(victim);
    (victim.tls ?? victim.raw).destroy();
    this.closed.inc({ limit: reason });
    const now = Date.now();
    if (now - this.lastWarned[reason] >= WARN_EVERY_MS) {
      this.lastWarned[reason] = now;
      this.log.warn(
        { address: victim.address, limit: reason, max: reason === 'total' ? this.limits.total : this.limits.perAddress },
        'closing connections without credentials past the limit (logged once a minute; see opaque_unauthenticated_connections_closed_total)',
      );
    }
  }

  private forget(c: Conn): void {
    this.pending.delete(c);
    const peers = this.byAddress.get(c.address);
    if (peers?.delete(c) && peers.size === 0) this.byAddress.delete(c.address);
  }
}
