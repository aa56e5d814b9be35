// The data dir's PKI on disk: created on first start, reused afterwards. Private keys are 0600 in a
// 0700 directory; a serving certificate that no longer covers the bind address, or a serving or admin
// certificate close to expiry, is reissued from the same CA so existing kubeconfigs keep working.
// A reissue changes the certificate under every client (and breaks pinning), so one that would not
// cure what triggered it is never repeated: see ReissueGuard.

import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCA, issueCertificate, loadCA, type CA } from './certs.js';
import { certificateNames, missingNames, type SubjectNames } from './names.js';

export interface ServerPki {
  dir: string;
  caFile: string;
  caPem: string;
  servingCert: string;
  servingKey: string;
  adminCertFile: string;
  adminKeyFile: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export function writePrivate(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Replaces a file in one step (write aside, rename over), private to this user: readers see the old or the new text. */
export function replacePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writePrivate(tmp, text);
  renameSync(tmp, file);
}

function servingNames(bindAddress: string): SubjectNames {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  if (bindAddress && bindAddress !== '0.0.0.0' && bindAddress !== '::') {
    if (isIP(bindAddress)) ips.add(bindAddress);
    else dns.add(bindAddress);
  }
  return { dns: [...dns], ips: [...ips] };
}

function readCert(file: string): X509Certificate | undefined {
  return existsSync(file) ? new X509Certificate(readFileSync(file)) : undefined;
}

const expiring = (cert: X509Certificate) => Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS;

/** Why the serving certificate must be reissued, or undefined when it is fine. */
export function servingCertProblem(cert: X509Certificate | undefined, want: SubjectNames): string | undefined {
  if (!cert) return 'missing';
  if (expiring(cert)) return `expires ${cert.validTo}`;
  const missing = missingNames(certificateNames(cert.raw), want);
  return missing.length ? `does not name ${missing.join(', ')}` : undefined;
}

/**
 * Remembers serving certificates this process issued that failed their own check at once. Such a
 * certificate is kept while the problem stays the same: issuing again would make the same one, and
 * the write would wake the file watch and the next check, reissuing for ever. A new problem (it comes
 * close to expiry) is acted on.
 */
export class ReissueGuard {
  private readonly kept = new Map<string, string>();

  constructor(private readonly onKept: (problem: string, fingerprint: string) => void = () => {}) {}

  keeps(cert: X509Certificate | undefined, problem: string): boolean {
    return !!cert && this.kept.get(cert.fingerprint256) === problem;
  }

  issued(cert: X509Certificate, problem: string | undefined): void {
    if (!problem || this.kept.get(cert.fingerprint256) === problem) return;
    this.kept.set(cert.fingerprint256, problem);
    this.onKept(problem, cert.fingerprint256);
  }
}

export async function ensurePki(dataDir: string, bindAddress: string, guard = new ReissueGuard()): Promise<ServerPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  let ca: CA;
  if (existsSync(caFile) && existsSync(caKeyFile)) {
    ca = await loadCA(readFileSync(caFile, 'utf8'), readFileSync(caKeyFile, 'utf8'));
  } else {
    ca = await createCA('opaque-ca');
    writePrivate(caKeyFile, ca.key);
    writeFileSync(caFile, ca.cert, { mode: 0o644 });
  }
  const servingCert = join(dir, 'serving.crt');
  const servingKey = join(dir, 'serving.key');
  const want = servingNames(bindAddress);
  const current = readCert(servingCert);
  const keyMissing = !existsSync(servingKey);
  const problem = keyMissing ? 'its key is missing' : servingCertProblem(current, want);
  if (problem && (keyMissing || !guard.keeps(current, problem))) {
    const pair = await issueCertificate(ca, { commonName: 'opaque-server', dnsNames: want.dns, ips: want.ips, usage: 'server' });
    writePrivate(servingKey, pair.key);
    writeFileSync(servingCert, pair.cert, { mode: 0o644 });
    const issued = new X509Certificate(pair.cert);
    guard.issued(issued, servingCertProblem(issued, want));
  }
  const adminCertFile = join(dir, 'admin.crt');
  const adminKeyFile = join(dir, 'admin.key');
  const admin = readCert(adminCertFile);
  if (!admin || expiring(admin) || !existsSync(adminKeyFile)) {
    const pair = await issueCertificate(ca, { commonName: 'opaque-admin', organizations: ['system:masters'], usage: 'client' });
    writePrivate(adminKeyFile, pair.key);
    writeFileSync(adminCertFile, pair.cert, { mode: 0o644 });
  }
  return { dir, caFile, caPem: ca.cert, servingCert, servingKey, adminCertFile, adminKeyFile };
}
