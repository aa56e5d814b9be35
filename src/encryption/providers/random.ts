// Nonces, IVs and KDF info for the providers: slices of a pool filled from the CSPRNG 4 KiB at a
// time. A small crypto.randomBytes call costs several microseconds (more than the cipher it feeds);
// one call per 4 KiB makes it negligible. Every byte is handed out once and the pool is replaced,
// never refilled in place, so a returned slice never changes.

import { randomBytes } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomSlice(n: number): Buffer {
  if (n > 256) return randomBytes(n);
  if (offset + n > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}
