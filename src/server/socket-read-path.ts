// Node 20's HTTP server reads TLS sockets through a native fast path whose parser fails with
// HPE_PAUSED, resetting the connection, when a keep-alive request arrives while the previous answer
// still waits for 'drain' (an answer over the socket's 16 KB high-water mark, such as a large Secret
// or list): clients saw ECONNRESET on every few large creates. A 'data' listener makes Node feed the
// parser from JavaScript, where pausing works, at about 20 µs more per request — so only sockets
// about to carry a large answer switch, just before it is written.

import type { Socket } from 'node:net';

const switched = new WeakSet<Socket>();
const noop = () => {};

/** Moves the socket to the JavaScript read path (once) before a large write. */
export function beforeLargeWrite(socket: Socket | null | undefined): void {
  if (!socket || switched.has(socket)) return;
  switched.add(socket);
  socket.on('data', noop);
}

/** Whether a payload may exceed the socket's write high-water mark (a string may be 3 bytes per char). */
export function isLarge(payload: unknown, highWaterMark: number): boolean {
  if (typeof payload === 'string') return payload.length * 3 >= highWaterMark;
  if (payload instanceof Uint8Array) return payload.length >= highWaterMark;
  return payload !== null && payload !== undefined; // a stream: any size
}
