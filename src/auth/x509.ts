// Client-certificate authentication as Kubernetes does it: the TLS layer verifies the chain against
// the client CA; the certificate must allow client authentication; CN is the user, O values the groups.
// As kube verifies per request, an identity resolved for a connection holds only while its
// certificate is unexpired and its chain still ends at a CA in the current bundle: a keep-alive
// connection does not outlive the certificate, nor a CA taken out of --client-ca-file.

import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { errors } from '../api/errors.js';
import type { Authenticator, UserInfo } from './types.js';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';

/** The client CAs trusted now; `generation` changes whenever the bundle does. */
export class ClientTrust {
  generation = 0;
  private cas: X509Certificate[] = [];
  /** The generation each connection's TLS handshake verified against. */
  private readonly handshakes = new WeakMap<TLSSocket, number>();

  constructor(bundlePem = '') {
    this.set(bundlePem);
  }

  /** Throws on a certificate that does not parse, leaving the trusted set as it was. */
  set(bundlePem: string): void {
    this.cas = parseBundle(bundlePem);
    this.generation++;
  }

  /** Notes a completed handshake: TLS checked its chain against the bundle in force now. */
  handshake(socket: TLSSocket): void {
    this.handshakes.set(socket, this.generation);
  }

  /** Whether the bundle changed since the connection's handshake verified its chain. */
  changedSince(socket: TLSSocket): boolean {
    return this.handshakes.get(socket) !== this.generation;
  }

  /**
   * Whether the connection's chain holds a certificate issued and signed by a CA of the current
   * bundle — checked by signature, not by name, so a CA renewed with the same key still vouches for
   * the certificates it issued and a CA taken out vouches for none.
   */
  trusts(socket: TLSSocket): boolean {
    const chain: X509Certificate[] = [];
    let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
    for (let depth = 0; c?.raw && depth < 10; depth++) {
      chain.push(new X509Certificate(c.raw));
      if (c.issuerCertificate === c) break;
      c = c.issuerCertificate;
    }
    return chain.some((cert) => this.cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)));
  }
}

/** Every certificate of a PEM bundle; throws naming the one that does not parse. */
export function parseBundle(bundlePem: string): X509Certificate[] {
  const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (err) {
      throw new Error(`certificate ${i + 1} of the client CA bundle does not parse: ${(err as Error).message}`);
    }
  });
}

interface Resolved {
  user: UserInfo | null;
  notAfter: number;
  generation: number;
}

// Identity is fixed for the life of a TLS connection: resolve it once per socket, then only check
// the clock and, after a change of the CA bundle, the chain again.
const cache = new WeakMap<TLSSocket, Resolved>();

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export class X509Authenticator implements Authenticator {
  readonly name = 'x509';

  constructor(private readonly trust?: ClientTrust) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    let hit = cache.get(socket);
    if (!hit) {
      const cert = socket.getPeerCertificate(false);
      if (!cert || Object.keys(cert).length === 0) return undefined;
      hit = this.resolve(socket);
      cache.set(socket, hit);
    }
    if (hit.user && Date.now() > hit.notAfter) hit.user = null;
    if (hit.user && this.trust && hit.generation !== this.trust.generation) {
      if (!this.trust.trusts(socket)) hit.user = null;
      hit.generation = this.trust.generation;
    }
    if (!hit.user) throw errors.unauthorized();
    return hit.user;
  }

  private resolve(socket: TLSSocket): Resolved {
    const denied = { user: null, notAfter: 0, generation: 0 };
    // A handshake older than the bundle proves nothing about it: check the chain against this one.
    if (!socket.authorized || (this.trust?.changedSince(socket) && !this.trust.trusts(socket))) return denied;
    const x = socket.getPeerX509Certificate();
    if (!x) return denied;
    const eku = x.keyUsage;
    if (eku && eku.length && !eku.includes(CLIENT_AUTH_OID) && !eku.includes(ANY_EKU_OID)) return denied;
    const subject = socket.getPeerCertificate(false).subject;
    const cn = asList(subject?.CN)[0] ?? '';
    if (!cn) return denied;
    return { user: { username: cn, groups: asList(subject?.O) }, notAfter: Date.parse(x.validTo), generation: this.trust?.generation ?? 0 };
  }
}
