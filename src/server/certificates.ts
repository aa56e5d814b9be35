// The listener's certificates stay current without a restart, as kube-apiserver's dynamic serving
// certificates do: the serving certificate and key and the client CA bundle are read again when their
// files change (cert-manager and the like replace them) and every CHECK_EVERY_MS; new connections get
// the new ones, open connections keep theirs. A pair that does not parse or does not match is logged
// and the one in use kept. With the data dir's own PKI, a serving or admin certificate within 30 days
// of expiry is reissued from the same CA (and admin.kubeconfig rewritten), so a server that runs for
// years never presents an expired certificate. Our own reissue wakes the file watch too; the guard
// makes sure that can never become a loop of reissues.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { parseBundle } from '../auth/x509.js';
import { ensurePki, ReissueGuard, type ServerPki } from '../pki/files.js';

/** kube's dynamic certificates look every minute; OPAQUE_CERT_CHECK_INTERVAL_MS shortens it for tests. */
const CHECK_EVERY_MS = checkInterval(process.env['OPAQUE_CERT_CHECK_INTERVAL_MS']);
/** Writers replace a pair as two files; wait for both before reading. */
const SETTLE_MS = 200;

export interface TlsMaterial {
  cert: string;
  key: string;
  clientCA: string;
}

export interface CertificateSources {
  dataDir: string;
  bindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
}

export class CertificateReloader {
  private pki!: ServerPki;
  private applied!: TlsMaterial;
  private adminCert = '';
  private watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private settle?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private apply: (m: TlsMaterial) => void = () => {};
  private readonly guard: ReissueGuard;

  constructor(
    private readonly src: CertificateSources,
    private readonly log: Logger,
    /** Called with the data dir's PKI whenever the admin client certificate was (re)issued. */
    private readonly onAdminCertificate: (pki: ServerPki) => void,
  ) {
    this.guard = new ReissueGuard((problem, fingerprint) => this.log.error({ problem, fingerprint },
      'the serving certificate just issued fails its own check; it is kept and not reissued again'));
  }

  /** Creates or renews the data dir's PKI and reads what the listener starts with. */
  async load(): Promise<{ pki: ServerPki; tls: TlsMaterial }> {
    this.pki = await ensurePki(this.src.dataDir, this.src.bindAddress, this.guard);
    this.adminCert = readFileSync(this.pki.adminCertFile, 'utf8');
    this.applied = this.read();
    return { pki: this.pki, tls: this.applied };
  }

  /** Begins watching; `apply` installs new material on the listener. */
  start(apply: (m: TlsMaterial) => void): void {
    this.apply = apply;
    const files = [this.pki.servingCert, this.pki.servingKey, this.pki.caFile, this.pki.adminCertFile, this.pki.adminKeyFile,
      this.src.tlsCertFile, this.src.tlsPrivateKeyFile, this.src.clientCaFile].filter((f): f is string => !!f);
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const names = byDir.get(dirname(f)) ?? new Set<string>();
      names.add(basename(f));
      byDir.set(dirname(f), names);
    }
    // Directories, not files: a file replaced by rename leaves a watch on the old one deaf.
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, (_event, name) => {
          if (name && names.has(name.toString())) this.soon();
        });
        w.on('error', (err) => this.log.warn({ dir, err: err.message }, 'certificate directory watch failed; checking every minute only'));
        this.watchers.push(w);
      } catch (err) {
        this.log.warn({ dir, err: (err as Error).message }, 'cannot watch certificate directory; checking every minute only');
      }
    }
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.settle);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private soon(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.check(), SETTLE_MS);
    this.settle.unref();
  }

  /** One check at a time; a change during a check is looked at by the next. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    try {
      this.pki = await ensurePki(this.src.dataDir, this.src.bindAddress, this.guard);
      this.notifyAdmin();
      const next = this.read();
      if (next.cert === this.applied.cert && next.key === this.applied.key && next.clientCA === this.applied.clientCA) {
        this.log.debug('serving certificates checked; unchanged');
        return;
      }
      this.apply(next);
      this.applied = next;
      const x = new X509Certificate(next.cert);
      this.log.info({ subject: x.subject.replace(/\n/g, ', '), serial: x.serialNumber, validTo: x.validTo }, 'serving certificates reloaded');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'serving certificates not reloaded; the ones in use stay');
    }
  }

  private notifyAdmin(): void {
    const cert = readFileSync(this.pki.adminCertFile, 'utf8');
    if (cert === this.adminCert) return;
    this.adminCert = cert;
    this.onAdminCertificate(this.pki);
  }

  /** The files' current contents, checked: the certificate parses and the key is its key. */
  private read(): TlsMaterial {
    const certFile = this.src.tlsCertFile ?? this.pki.servingCert;
    const keyFile = this.src.tlsPrivateKeyFile ?? this.pki.servingKey;
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    let x: X509Certificate;
    try {
      x = new X509Certificate(cert);
    } catch (err) {
      throw new Error(`${certFile}: not a PEM certificate (${(err as Error).message})`);
    }
    if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error(`${keyFile} is not the key of ${certFile}`);
    const clientCA = [this.pki.caPem, ...(this.src.clientCaFile ? [readFileSync(this.src.clientCaFile, 'utf8')] : [])].join('\n');
    if (!parseBundle(clientCA).length) throw new Error('the client CA bundle holds no certificate');
    return { cert, key, clientCA };
  }
}

function checkInterval(env: string | undefined): number {
  const ms = Number(env);
  return env && Number.isFinite(ms) && ms > 0 ? ms : 60_000;
}
