// The names a certificate is valid for, compared by value rather than by text: OpenSSL prints ::1 as
// 0:0:0:0:0:0:0:1 and a DNS name with a comma in quotes, so a text comparison says a certificate
// lacks names it has (and the serving certificate was reissued on every check). Go's
// x509.VerifyHostname is the reference: DNS names match case-insensitively, an IP address by its
// bytes, with an IPv4-mapped IPv6 address equal to its IPv4 one (net.IP.Equal).

import * as x509 from '@peculiar/x509';
import { isIP } from 'node:net';

export interface SubjectNames {
  dns: string[];
  ips: string[];
}

/**
 * One text per address, so equal addresses compare equal as strings: IPv4 dotted, an IPv4-mapped
 * IPv6 address as its IPv4 (Go writes those as 4 bytes too), other IPv6 in RFC 5952 form (WHATWG
 * URL's serializer). A zone (fe80::1%eth0) is dropped: certificates carry none. Undefined when `ip`
 * is not an address.
 */
export function canonicalIP(ip: string): string | undefined {
  const bare = ip.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return new URL(`http://${bare}/`).hostname;
  if (family !== 6) return undefined;
  const v6 = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

const canonicalDNS = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The DNS names and IP addresses in a certificate's subjectAltName, read from its DER, canonical. */
export function certificateNames(cert: string | ArrayBuffer | ArrayBufferView): SubjectNames {
  const san = new x509.X509Certificate(cert).getExtension(x509.SubjectAlternativeNameExtension);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') dns.push(canonicalDNS(n.value));
    if (n.type === 'ip') {
      const ip = canonicalIP(n.value);
      if (ip) ips.push(ip);
    }
  }
  return { dns, ips };
}

/** What `want` names that `have` does not cover, as `DNS:name` and `IP:address`; empty when covered. */
export function missingNames(have: SubjectNames, want: SubjectNames): string[] {
  const dns = new Set(have.dns.map(canonicalDNS));
  const ips = new Set(have.ips.map((i) => canonicalIP(i) ?? i));
  return [
    ...want.dns.filter((d) => !dns.has(canonicalDNS(d))).map((d) => `DNS:${d}`),
    ...want.ips.filter((i) => !ips.has(canonicalIP(i) ?? i)).map((i) => `IP:${i}`),
  ];
}
