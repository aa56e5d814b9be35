// Keeps every audit event under a size bound, as kube's truncate backend does
// (plugin/pkg/audit/truncate): an event over the limit loses its request and response objects and is
// annotated `audit.k8s.io/truncated: "true"`. kube then drops an event still too large; a secrets
// server must not lose the record of an access, so here the response status is trimmed instead (its
// message cut, its causes dropped) and the event is always written. Without this, one request with a
// few MB of invalid keys wrote a 61 MB line and a client could fill the rotated logs at will.

import type { AuditEvent } from './types.js';

/** kube's --audit-log-truncate-max-event-size default. */
export const DEFAULT_MAX_EVENT_BYTES = 100 * 1024;
const TRUNCATED = 'audit.k8s.io/truncated';
/** What is left of a status message that alone is too large. */
const MESSAGE_KEEP = 4096;

/** The line for `ev`, re-serialized from a smaller copy when it is over `max` bytes. */
export function boundedLine(ev: AuditEvent, max: number, line: (ev: AuditEvent) => string): string {
  const full = line(ev);
  // A string's length never exceeds its UTF-8 byte count, so the cheap test rules most events out.
  if (max <= 0 || full.length * 3 <= max || Buffer.byteLength(full) <= max) return full;
  const small: AuditEvent = { ...ev, requestObject: undefined, responseObject: undefined, annotations: { ...ev.annotations, [TRUNCATED]: 'true' } };
  let out = line(small);
  if (Buffer.byteLength(out) <= max || !small.responseStatus) return out;
  const st = { ...small.responseStatus };
  if (typeof st.message === 'string' && st.message.length > MESSAGE_KEEP) {
    st.message = `${st.message.slice(0, MESSAGE_KEEP)}... (${st.message.length - MESSAGE_KEEP} more characters truncated)`;
  }
  delete st.details;
  small.responseStatus = st;
  out = line(small);
  return out;
}
