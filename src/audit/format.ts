// Serialising an event: kube's `json` format (one JSON object per line, Go field order) and its
// `legacy` one-line text format (plugin/pkg/audit/log and pkg/audit/format.go).

import type { AuditEvent } from './types.js';

export type LogFormat = 'json' | 'legacy';

/** Go encodes maps with sorted keys. */
function sortedMap(m: Record<string, string>): Record<string, string> {
  const keys = Object.keys(m);
  if (keys.every((k, i) => i === 0 || keys[i - 1]! < k)) return m;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

export function jsonLine(ev: AuditEvent): string {
  if (ev.annotations) ev.annotations = sortedMap(ev.annotations);
  return `${JSON.stringify(ev)}\n`;
}

const q = (s: string) => JSON.stringify(s);

/** RFC3339Nano drops trailing zeros of the fraction. */
const nano = (t: string) => t.replace(/\.?0+Z$/, 'Z');

export function legacyLine(ev: AuditEvent): string {
  const user = ev.user.username || '<none>';
  const groups = ev.user.username && ev.user.groups?.length ? ev.user.groups.map(q).join(',') : '<none>';
  const as = ev.impersonatedUser ? ev.impersonatedUser.username ?? '' : '<self>';
  const asGroups = ev.impersonatedUser?.groups ? ev.impersonatedUser.groups.map(q).join(',') : '<lookup>';
  const ns = ev.objectRef?.namespace || '<none>';
  const response = ev.responseStatus ? String(ev.responseStatus.code ?? 0) : '<deferred>';
  const ip = ev.sourceIPs?.[0] ?? '<unknown>';
  return `${nano(ev.requestReceivedTimestamp)} AUDIT: id=${q(ev.auditID)} stage=${q(ev.stage)} ip=${q(ip)} method=${q(ev.verb)} user=${q(user)} groups=${q(groups)} as=${q(as)} asgroups=${q(asGroups)} user-agent=${q(ev.userAgent ?? '')} namespace=${q(ns)} uri=${q(ev.requestURI)} response="${response}"\n`;
}
