// Pieces of an audit event taken from the HTTP request, as kube's audit.NewEventFromRequest and
// utilnet.SourceIPs compute them, and MicroTime timestamps (RFC 3339 with microseconds, UTC).

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { UserInfo } from '../registry/types.js';
import type { AuditUser, ResponseStatus } from './types.js';

const MAX_USER_AGENT = 1024;

/** Microseconds since the epoch, from the monotonic clock anchored at process start. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

let cachedSecond = -1;
let cachedPrefix = '';

export function microTime(micros: number): string {
  // Formatting a Date costs more than the rest of an event: reuse it within the same second.
  const second = Math.floor(micros / 1_000_000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return `${cachedPrefix}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/** Go's net.IP String(): IPv4-mapped IPv6 addresses print as IPv4. */
function normalizeIP(text: string): string | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const kind = isIP(t);
  if (!kind) return undefined;
  if (kind === 6) {
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
    return m ? m[1] : t.toLowerCase();
  }
  return t;
}

/** X-Forwarded-For entries, then X-Real-Ip unless listed, then the peer unless it is the last one. */
export function sourceIPs(req: IncomingMessage): string[] {
  const ips: string[] = [];
  const xff = req.headers['x-forwarded-for'];
  if (xff) {
    for (const part of (Array.isArray(xff) ? xff[0]! : xff).split(',')) {
      const ip = normalizeIP(part);
      if (ip) ips.push(ip);
    }
  }
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string' && real) {
    const ip = normalizeIP(real);
    if (ip && !ips.includes(ip)) ips.push(ip);
  }
  const peer = req.socket?.remoteAddress ? normalizeIP(req.socket.remoteAddress) : undefined;
  if (peer && ips[ips.length - 1] !== peer) ips.push(peer);
  return ips;
}

export function userAgent(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? '';
  return ua.length > MAX_USER_AGENT ? `${ua.slice(0, MAX_USER_AGENT)}...TRUNCATED` : ua;
}

/** authentication/v1 UserInfo with empty fields left out, as Go's omitempty does. */
export function auditUser(u: UserInfo | undefined): AuditUser {
  if (!u) return {};
  const out: AuditUser = {};
  if (u.username) out.username = u.username;
  if (u.uid) out.uid = u.uid;
  if (u.groups?.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The bounded fields of a Status response that kube copies into responseStatus. */
export function statusOf(body: Record<string, unknown>, code: number, message?: string): ResponseStatus {
  const st: ResponseStatus = { metadata: {} };
  if (body['status']) st.status = body['status'] as string;
  const msg = message ?? (body['message'] as string | undefined);
  if (msg) st.message = msg;
  if (body['reason']) st.reason = body['reason'] as string;
  if (body['details'] !== undefined) st.details = body['details'];
  st.code = typeof body['code'] === 'number' ? body['code'] : code;
  return st;
}
