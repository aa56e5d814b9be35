// etcd's errors as storage errors: a compacted revision is TooOld (HTTP 410 above), a future one
// TooLarge, an unreachable or quorum-less cluster Unavailable (503); anything else is Internal.

import { StorageError } from '../backend.js';

export function storageError(err: unknown, key?: string, rev?: number): StorageError {
  if (err instanceof StorageError) return err;
  const msg = (err as Error)?.message ?? String(err);
  if (/required revision has been compacted/.test(msg)) return new StorageError('TooOld', `revision ${rev ?? 0} has been compacted`, key, rev);
  if (/required revision is a future revision/.test(msg)) return new StorageError('TooLarge', `revision ${rev ?? 0} is in the future`, key, rev);
  if (/UNAVAILABLE|DEADLINE_EXCEEDED|request timed out|no leader|leader changed|Broken circuit|ECONNREFUSED|connection|too many requests|stopped/i.test(msg)) {
    return new StorageError('Unavailable', `etcd is unavailable: ${msg}`, key);
  }
  return new StorageError('Internal', `etcd request failed: ${msg}`, key);
}
