// Static bearer tokens from --token-auth-file, in kube-apiserver's CSV format:
//   token,user,uid[,"group1,group2"]
// Lookup is by the SHA-256 of the presented token, and the match is confirmed with a constant-time
// comparison, so response timing says nothing about how much of a token was right.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { TokenAuthenticator, TokenResult } from './token.js';
import type { UserInfo } from './types.js';

interface Entry { token: Buffer; user: UserInfo }

const digest = (t: string | Buffer) => createHash('sha256').update(t).digest('base64');

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export function parseTokenFile(text: string, path: string): Map<string, Entry> {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, relax_quotes: false });
  } catch (err) {
    throw new TokenFileError(`token file '${path}' is not valid CSV: ${(err as Error).message}`);
  }
  const tokens = new Map<string, Entry>();
  for (const r of records) {
    if (r.length < 3) throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${r.length}`);
    const [token, name, uid, groups] = r as [string, string, string, string | undefined];
    if (!token) continue;
    const user: UserInfo = { username: name, uid, groups: groups !== undefined ? groups.split(',') : [] };
    tokens.set(digest(token), { token: Buffer.from(token), user });
  }
  return tokens;
}

/** Audience-agnostic (wrap it with audienceAgnostic), as kube wraps its static token authenticator. */
export class TokenFileAuthenticator implements TokenAuthenticator {
  readonly name = 'token-file';
  private readonly tokens: Map<string, Entry>;

  constructor(readonly path: string) {
    this.tokens = parseTokenFile(readFileSync(path, 'utf8'), path);
  }

  get size(): number {
    return this.tokens.size;
  }

  authenticateToken(token: string, audiences: string[]): TokenResult | undefined {
    const presented = Buffer.from(token);
    const e = this.tokens.get(digest(presented));
    if (!e || e.token.length !== presented.length || !timingSafeEqual(e.token, presented)) return undefined;
    return { user: { ...e.user, groups: [...e.user.groups] }, audiences };
  }
}
