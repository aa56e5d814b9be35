// The listener's TLS policy, set as kube-apiserver sets it: --tls-min-version (default TLS 1.2) and
// --tls-cipher-suites with Go's crypto/tls names (component-base/cli/flag/ciphersuites_flag.go), here
// mapped to OpenSSL's. TLS 1.3 suites are not configurable, as in Go: all three are always on.
//
// With no --tls-cipher-suites, TLS 1.2 offers only ECDHE with AES-GCM or ChaCha20-Poly1305 (forward
// secrecy and an AEAD). That is Go's default list without its four ECDHE AES-CBC-SHA1 suites: Go
// still enables those, but every kube client (client-go, kubectl, the Node and Python clients)
// negotiates an AEAD suite, and CBC-SHA1 has a long record of padding-oracle attacks. Name them in
// --tls-cipher-suites to serve a client that can do nothing better.

import { constants } from 'node:crypto';
import { createSecureContext, type SecureVersion } from 'node:tls';

export class TlsPolicyError extends Error {}

interface Suite {
  openssl: string;
  /** In Go's InsecureCipherSuites(): kube accepts it with a warning. */
  insecure?: true;
}

/**
 * Every name kube's --tls-cipher-suites accepts (Go's CipherSuites() and InsecureCipherSuites(),
 * plus the two legacy ChaCha20 names kube keeps), in Go's server preference order
 * (cipherSuitesPreferenceOrder): the order in the flag does not matter, as in Go.
 */
const TLS12_SUITES: ReadonlyArray<readonly [string, Suite]> = [
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', { openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256' }],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', { openssl: 'ECDHE-RSA-AES128-GCM-SHA256' }],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', { openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384' }],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', { openssl: 'ECDHE-RSA-AES256-GCM-SHA384' }],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', { openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305' }],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', { openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305' }],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', { openssl: 'ECDHE-RSA-CHACHA20-POLY1305' }],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', { openssl: 'ECDHE-RSA-CHACHA20-POLY1305' }],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', { openssl: 'ECDHE-ECDSA-AES128-SHA' }],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', { openssl: 'ECDHE-RSA-AES128-SHA' }],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', { openssl: 'ECDHE-ECDSA-AES256-SHA' }],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', { openssl: 'ECDHE-RSA-AES256-SHA' }],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', { openssl: 'AES128-GCM-SHA256' }],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', { openssl: 'AES256-GCM-SHA384' }],
  ['TLS_RSA_WITH_AES_128_CBC_SHA', { openssl: 'AES128-SHA' }],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', { openssl: 'AES256-SHA' }],
  ['TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', { openssl: 'ECDHE-RSA-DES-CBC3-SHA' }],
  ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', { openssl: 'DES-CBC3-SHA' }],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', { openssl: 'ECDHE-ECDSA-AES128-SHA256', insecure: true }],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', { openssl: 'ECDHE-RSA-AES128-SHA256', insecure: true }],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', { openssl: 'AES128-SHA256', insecure: true }],
  ['TLS_ECDHE_ECDSA_WITH_RC4_128_SHA', { openssl: 'ECDHE-ECDSA-RC4-SHA', insecure: true }],
  ['TLS_ECDHE_RSA_WITH_RC4_128_SHA', { openssl: 'ECDHE-RSA-RC4-SHA', insecure: true }],
  ['TLS_RSA_WITH_RC4_128_SHA', { openssl: 'RC4-SHA', insecure: true }],
];

/** Accepted by the flag (they are in Go's CipherSuites()) but, as in Go, without effect: always on. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

const DEFAULT_TLS12 = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

const VERSIONS: Readonly<Record<string, SecureVersion>> = {
  VersionTLS10: 'TLSv1', VersionTLS11: 'TLSv1.1', VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3',
};

const SUITES = new Map(TLS12_SUITES);
const RANK = new Map(TLS12_SUITES.map(([name], i) => [name, i]));

export interface TlsPolicyOptions {
  /** kube's --tls-min-version: VersionTLS10 … VersionTLS13 (default VersionTLS12). */
  minVersion?: string;
  /** kube's --tls-cipher-suites (default: the AEAD ECDHE suites, see above). */
  cipherSuites?: string[];
}

export interface TlsPolicy {
  minVersion: SecureVersion;
  /** OpenSSL cipher string: the TLS 1.2 suites in preference order, then the TLS 1.3 ones. */
  ciphers: string;
  /** kube's warnings for the start-up log (insecure suites, settings that cannot take effect). */
  warnings: string[];
}

/** kube's TLSVersion(): the flag's value, or the error it gives. */
export function tlsVersion(name: string): SecureVersion {
  const v = VERSIONS[name];
  if (!v) throw new TlsPolicyError(`unknown tls version "${name}"; possible values: ${Object.keys(VERSIONS).join(', ')}`);
  return v;
}

/** kube's TLSCipherSuites(): the names checked, or the error it gives for the first unknown one. */
export function cipherSuiteNames(names: string[]): string[] {
  for (const n of names) {
    if (!SUITES.has(n) && !TLS13_SUITES.includes(n)) throw new TlsPolicyError(`Cipher suite ${n} not supported or doesn't exist`);
  }
  return names;
}

/** Whether this process's OpenSSL can negotiate the suite at all (RC4 and 3DES are not built in). */
function available(openssl: string): boolean {
  try {
    createSecureContext({ ciphers: openssl });
    return true;
  } catch {
    return false;
  }
}

export function tlsPolicy(o: TlsPolicyOptions = {}): TlsPolicy {
  const minVersion = tlsVersion(o.minVersion || 'VersionTLS12');
  const named = o.cipherSuites?.length ? cipherSuiteNames(o.cipherSuites) : DEFAULT_TLS12;
  const warnings: string[] = [];
  const tls12 = [...new Set(named.filter((n) => SUITES.has(n)))].sort((a, b) => RANK.get(a)! - RANK.get(b)!);
  for (const n of tls12) {
    const s = SUITES.get(n)!;
    if (!available(s.openssl)) {
      throw new TlsPolicyError(`Cipher suite ${n} is not available in this build's TLS library (OpenSSL ${process.versions.openssl})`);
    }
    if (s.insecure) warnings.push(`Use of insecure cipher '${n}' detected.`);
  }
  const openssl = [...new Set(tls12.map((n) => SUITES.get(n)!.openssl))];
  if (minVersion === 'TLSv1.3' && o.cipherSuites?.some((n) => SUITES.has(n))) {
    warnings.push('--tls-cipher-suites names TLS 1.2 suites, which --tls-min-version VersionTLS13 leaves unused');
  }
  const old = minVersion === 'TLSv1' || minVersion === 'TLSv1.1';
  // Below TLS 1.2 only the CBC-SHA1 suites exist.
  const servesOld = old && openssl.some((c) => /-SHA$/.test(c));
  if (old && !servesOld) {
    warnings.push(`--tls-min-version ${o.minVersion}: none of the cipher suites works below TLS 1.2 (only the *_CBC_SHA ones do), so clients still need TLS 1.2`);
  }
  // OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level; Go serves them when asked to.
  const seclevel = servesOld ? ['@SECLEVEL=0'] : [];
  return { minVersion, ciphers: [...openssl, ...seclevel, ...TLS13_SUITES].join(':'), warnings };
}

/** What the listener's TLS context is made of; the same for the first context and each reload. */
export function secureContextOptions(t: { key: string; cert: string; clientCA: string }, p: TlsPolicy) {
  return {
    key: t.key, cert: t.cert, ca: [t.clientCA],
    minVersion: p.minVersion,
    ciphers: p.ciphers,
    // Go's server picks by its own order, and puts ChaCha20 first for a client that prefers it
    // (one without AES hardware).
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_PRIORITIZE_CHACHA,
  };
}
