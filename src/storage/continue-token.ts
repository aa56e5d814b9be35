// Continue tokens in kube-apiserver's format: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"},
// where start is the next key relative to the listed prefix. Clients treat them as opaque.

import { errors } from '../api/errors.js';

export interface ContinuePosition {
  rev: number;
  /** Full storage key after which the next page starts. */
  startAfter: string;
}

export function encodeContinue(prefix: string, lastKey: string, rev: number): string {
  const start = lastKey.slice(prefix.length) + '\u0000';
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: rev, start })).toString('base64');
}

/** kube's rv -1 token: continue from the same key at the latest revision (offered after expiry). */
export const LATEST = -1;

export function decodeContinue(prefix: string, token: string): ContinuePosition {
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw errors.badRequest(`continue key is not valid: the continue token is not a valid encoded token`);
  }
  if (parsed?.v !== 'meta.k8s.io/v1') {
    throw errors.badRequest('continue key is not valid: the continue token has an unsupported version');
  }
  // Past 2^53 a revision cannot be one this server issued (nor survive JSON exactly): kube's decode of
  // such a number into int64 fails too, a 400 rather than a wait for a revision that never comes.
  if (typeof parsed.rv === 'number' && !Number.isSafeInteger(parsed.rv) && Number.isInteger(parsed.rv)) {
    throw errors.badRequest('continue key is not valid: the continue token is not a valid encoded token');
  }
  if (typeof parsed.rv !== 'number' || !Number.isInteger(parsed.rv) || parsed.rv === 0 || parsed.rv < LATEST) {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed.start !== 'string' || parsed.start.includes('/..') || parsed.start.startsWith('..')) {
    throw errors.badRequest('continue key is not valid: the continue token has an invalid start key');
  }
  const start = parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
  return { rev: parsed.rv === LATEST ? 0 : parsed.rv, startAfter: prefix + start };
}
