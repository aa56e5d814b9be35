// A read held by a hung etcd member would wait for the call deadline (10 s). Reads may be sent
// twice, so while a member is suspect (member-health.ts finds one out within about 1.3 s) a
// read still unanswered after HEDGE_AFTER_MS is sent again — the suspect member is skipped — and the
// first answer wins; each copy starts after the caller asked, so any answer is as fresh as the first
// would have been. Only while a member is suspect: a cluster that is merely slow (a disk stall, an
// overload) gets no extra reads. Lists, which may be large, wait longer. Writes are not copied here:
// the client resends one after its deadline, and the backend recognises its own bytes if the first
// was applied after all.

import { CONFIRM_MS, silent, SILENT_MS, type MemberHealth } from './member-health.js';

/** Just after a hung member holding the read can have been found out, then once more later. */
export const HEDGE_AFTER_MS = [SILENT_MS + CONFIRM_MS + 100, 2 * (SILENT_MS + CONFIRM_MS + 100)];
export const LIST_HEDGE_AFTER_MS = HEDGE_AFTER_MS.map((ms) => ms + 500);

export function hedged<T>(health: MemberHealth, read: () => Promise<T>, after = HEDGE_AFTER_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = 0;
    let settled = false;
    const timers = after.map((ms) => setTimeout(send, ms));
    const settle = () => {
      settled = true;
      timers.forEach(clearTimeout);
    };
    function send(first = false) {
      if (settled || (!first && !health.anySuspect())) return;
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
