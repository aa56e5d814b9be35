// Reading the bearer token of a request, as kube's bearertoken authenticator does.

import type { IncomingMessage } from 'node:http';

/** The token of an `Authorization: Bearer <token>` header, as kube's bearertoken authenticator reads it. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization?.trim();
  if (!h) return undefined;
  const parts = h.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}
