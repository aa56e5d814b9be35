// A read held by a hung etcd member would wait for the call deadline (10 s). Reads may be sent
// twice, so a small one still unanswered after HEDGE_AFTER_MS is sent again — by the second copy the
// member holding it has been found out (member-health.ts) and is skipped — and the first answer wins;
// each copy starts after the caller asked, so any answer is as fresh as the first would have been. A
// list may be large and slow to send: it is sent again only while some member is suspect. Writes are
// not copied here: the client resends one after its deadline, and the backend recognises its own
// bytes if the first was applied after all.

import { silent, SILENT_MS } from './member-health.js';

/** Once the first call has been silent for a while, then once the member holding it is found out. */
export const HEDGE_AFTER_MS = [SILENT_MS + 50, 1_000];
/** Lists: later, and only while some member is suspect. */
export const LIST_HEDGE_AFTER_MS = [1_000, 3_000];

/** `when`: a copy is sent only if this holds at its time (lists: a member is suspect). */
export function hedged<T>(read: () => Promise<T>, after = HEDGE_AFTER_MS, when: () => boolean = () => true): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = 0;
    let settled = false;
    const timers = after.map((ms) => setTimeout(send, ms));
    const settle = () => {
      settled = true;
      timers.forEach(clearTimeout);
    };
    function send(first = false) {
      if (settled || (!first && !when())) return;
      pending++;
      read().then(
        (v) => {
          if (settled) return;
          settle();
          resolve(v);
        },
        (err) => {
          pending--;
          // Another copy may still answer where this one heard nothing.
          if (settled || (pending > 0 && silent(err))) return;
          settle();
          reject(err);
        },
      );
    }
    send(true);
  });
}
