// Image-pull credentials from Secrets with the kubelet's rules (pkg/credentialprovider): entries of
// kubernetes.io/dockerconfigjson (.dockerconfigjson "auths") and kubernetes.io/dockercfg (.dockercfg)
// Secrets are keyed by host[+path] (scheme dropped, /v1/ or /v2/ path prefix ignored), tried in
// reverse lexical order so more specific keys win; a key matches a target when the ports are equal,
// the host has as many labels and each matches as a glob, and the key's path prefixes the target's.
// Docker Hub images fall back to the index.docker.io entry.

import { secretData, type Secret } from './types.js';

export interface RegistryAuth {
  username: string;
  password: string;
  email?: string;
}

interface Entry {
  username?: string;
  password?: string;
  email?: string;
  auth?: string;
}

const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** "user:pass" from an auth field: padded base64 when it ends with "=", unpadded otherwise. */
function decodeAuth(field: string): { username: string; password: string } {
  const padded = field.trim().endsWith('=');
  const ok = padded ? /^[A-Za-z0-9+/]*={1,2}$/.test(field.trim()) : /^[A-Za-z0-9+/]*$/.test(field);
  const decoded = Buffer.from(field.trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (!ok || i < 0) throw new Error('expect username:password');
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** Splits "host[:port]/path" as Go's url.Parse("https://" + s) would. */
function parseSchemeless(s: string): { labels: string[]; port: string; path: string } | undefined {
  let u: URL;
  try {
    u = new URL(`https://${s}`);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(u.pathname === '/' && !s.includes('/') ? '' : u.pathname);
  return { labels: u.hostname.split('.'), port: u.port, path };
}

/** Go's filepath.Match for one host label: *, ? and [classes] ([^..] negates). */
function globMatch(glob: string, s: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) return false; // ErrBadPattern: no match
      let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else re += ch.replace(/[.+(){}|$^\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(s);
}

export function urlsMatch(key: string, target: string): boolean {
  const g = parseSchemeless(key);
  const t = parseSchemeless(target);
  if (!g || !t) return false;
  if (g.port !== t.port || g.labels.length !== t.labels.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return g.labels.every((l, i) => globMatch(l, t.labels[i]!));
}

/** The keyring key of a config location: host plus a meaningful path, scheme and /v1/, /v2/ dropped. */
export function keyOf(loc: string): string | undefined {
  const value = /^https?:\/\//.test(loc) ? loc : `https://${loc}`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return undefined;
  }
  let path = u.pathname;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? `${u.host}${path}` : u.host;
}

function isDefaultRegistryMatch(image: string): boolean {
  const [first, ...rest] = image.split('/');
  if (!first) return false;
  if (rest.length === 0) return true;
  if (first === 'docker.io' || first === DEFAULT_REGISTRY_HOST) return true;
  return !/[.:]/.test(first);
}

export class Keyring {
  private readonly creds = new Map<string, RegistryAuth[]>();

  /** Adds one docker config map ({ "<registry>": { username, password, auth, email } }). */
  add(config: Record<string, Entry>): void {
    for (const [loc, e] of Object.entries(config ?? {})) {
      const key = keyOf(loc);
      if (!key) continue;
      const auth: RegistryAuth = e.auth ? { ...decodeAuth(e.auth) } : { username: e.username ?? '', password: e.password ?? '' };
      if (e.email) auth.email = e.email;
      this.creds.set(key, [...(this.creds.get(key) ?? []), auth]);
    }
  }

  /** Adds a pull Secret when its type and key are the ones the kubelet reads; others are ignored. */
  addSecret(s: Secret): void {
    const data = secretData(s);
    const json = data.get('.dockerconfigjson');
    const cfg = data.get('.dockercfg');
    if (s.type === 'kubernetes.io/dockerconfigjson' && json?.length) this.add(JSON.parse(json.toString('utf8')).auths ?? {});
    else if (s.type === 'kubernetes.io/dockercfg' && cfg?.length) this.add(JSON.parse(cfg.toString('utf8')));
  }

  /** Registry key → username of its first credential (the helper's `list`). */
  list(): Record<string, string> {
    return Object.fromEntries([...this.creds].map(([k, v]) => [k, v[0]!.username]));
  }

  /**
   * Every credential for an image, most specific key first. For a registry server (what a
   * credential helper is asked) the Docker Hub fallback applies only to Docker Hub's own hosts:
   * a bare "reg.example.com" is a server there, not an image on Docker Hub.
   */
  lookup(image: string, kind: 'image' | 'server' = 'image'): RegistryAuth[] {
    const out: RegistryAuth[] = [];
    for (const k of [...this.creds.keys()].sort().reverse()) if (urlsMatch(k, image)) out.push(...this.creds.get(k)!);
    if (out.length) return out;
    const hub = kind === 'image' ? isDefaultRegistryMatch(image) : HUB_HOSTS.has(image.split('/')[0]!);
    return hub ? this.creds.get(DEFAULT_REGISTRY_HOST) ?? [] : [];
  }
}

const HUB_HOSTS = new Set(['docker.io', DEFAULT_REGISTRY_HOST, 'registry-1.docker.io']);

/** What a docker credential helper is asked for ("https://index.docker.io/v1/", "reg:5000") as a keyring target. */
export function targetOfServerURL(serverURL: string): string {
  return keyOf(serverURL.trim()) ?? serverURL.trim();
}
