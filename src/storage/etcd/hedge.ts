// A read held by a hung etcd member would wait for the call deadline (10 s). Reads may be sent twice,
// so one still unanswered after HEDGE_AFTER_MS is sent again — by then the member holding it is
// suspect (member-health.ts) and the copy goes to another — and the first answer wins. Each copy
// starts after the caller asked, so any answer is as fresh as the first would have been. Never for
// writes: a transaction the hung member applies later would be applied twice.

import { silent, SUSPECT_AFTER_MS } from './member-health.js';

/** After the member holding the first call turns suspect, then once more much later. */
export const HEDGE_AFTER_MS = [SUSPECT_AFTER_MS + 50, 1_000];
/** A long list may take a while to send: a copy only when it is far slower than any small read. */
export const LIST_HEDGE_AFTER_MS = [1_000, 3_000];

export function hedged<T>(read: () => Promise<T>, after = HEDGE_AFTER_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = 0;
    let settled = false;
    const timers = after.map((ms) => setTimeout(send, ms));
    const settle = () => {
      settled = true;
      timers.forEach(clearTimeout);
    };
    function send() {
      if (settled) return;
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
    send();
  });
}
