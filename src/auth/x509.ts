// Client-certificate authentication as Kubernetes does it: the TLS layer verifies the chain against
// the client CA; the certificate must allow client authentication; CN is the user, O values the groups.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { errors } from '../api/errors.js';
import type { Authenticator, UserInfo } from './types.js';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';

// Identity is fixed for the life of a TLS connection: resolve it once per socket.
const cache = new WeakMap<TLSSocket, UserInfo | null>();

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export class X509Authenticator implements Authenticator {
  readonly name = 'x509';

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const hit = cache.get(socket);
    if (hit !== undefined) {
      if (hit === null) throw errors.unauthorized();
      return hit;
    }
    const cert = socket.getPeerCertificate(false);
    if (!cert || Object.keys(cert).length === 0) return undefined;
    if (!socket.authorized) {
      cache.set(socket, null);
      throw errors.unauthorized();
    }
    const x = socket.getPeerX509Certificate();
    const eku = x?.keyUsage;
    if (eku && eku.length && !eku.includes(CLIENT_AUTH_OID) && !eku.includes(ANY_EKU_OID)) {
      cache.set(socket, null);
      throw errors.unauthorized();
    }
    const cn = asList(cert.subject?.CN)[0] ?? '';
    if (!cn) {
      cache.set(socket, null);
      throw errors.unauthorized();
    }
    const user: UserInfo = { username: cn, groups: asList(cert.subject?.O) };
    cache.set(socket, user);
    return user;
  }
}
