// What Go's net/http does after answering a request whose body was not read: at most 256 KiB left
// is read and dropped so the connection can carry the next request; with more (or an unknown
// length) the answer says "Connection: close" and the connection closes. Every early answer goes
// this way (401, 403, 413, 429, a 400 before the body was read), so a stranger's announced 3 MB
// upload is never waited for. Node's default is to read the whole rest, at whatever pace the sender
// chooses, to keep the connection alive: a byte every 10 s held a connection for as long as the
// sender liked.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Go's maxPostHandlerReadBytes. */
export const MAX_UNREAD_BODY_BYTES = 256 * 1024;
/** Go's rstAvoidanceDelay: time for the answer to reach the client before the connection goes. */
const LINGER_MS = 500;

/**
 * Whether answering now would leave more of the body unread than is worth reading. A body partly
 * read is judged by its declared length: the rest is at most that.
 */
export function leavesTooMuchUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  if (length === undefined) return req.headers['transfer-encoding'] !== undefined;
  return Number(length) > MAX_UNREAD_BODY_BYTES;
}

/**
 * Makes the socket's close after a "Connection: close" answer a lingering one. Node ends such an
 * answer with socket.destroySoon(): FIN, then the descriptor closes once the answer is handed to
 * the kernel. With the client's unread upload still arriving, that close resets the connection and
 * the kernel drops whatever of the answer it has not sent yet. Go half-closes and waits 500 ms
 * before closing; so does this (the client's FIN, when it reads the answer, ends it sooner).
 */
export function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    const t = setTimeout(() => this.destroy(), LINGER_MS);
    t.unref();
    this.once('close', () => clearTimeout(t));
  };
}
