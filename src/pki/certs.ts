// Certificate issuance for the server's own PKI: an ECDSA P-256 CA, serving certificates and client
// certificates (CN = user, O = groups, as Kubernetes' x509 authenticator reads them).

import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { canonicalIP } from './names.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// @peculiar/x509 expects the DOM Crypto type; Node's webcrypto implements it.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface CA extends KeyPairPem {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Escapes a value for an X.500 name string (commas, plus signs and the like). */
function rdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

export async function createCA(commonName: string, validDays = 3650): Promise<CA> {
  const keys = await generateKeys();
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${rdn(commonName)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey, cert: certificate.toString('pem') + '\n', key: await keyToPem(keys.privateKey) };
}

export async function loadCA(certPem: string, keyPem: string): Promise<CA> {
  const certificate = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  return { certificate, privateKey, cert: certPem, key: keyPem };
}

export interface LeafOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  usage: 'server' | 'client';
  validDays?: number;
}

export class CertificateNameError extends Error {}

/**
 * The address in the form @peculiar/x509 encodes right: it misreads an IPv6 address with a dotted
 * tail (::ffff:10.0.0.1 became ::ffff:10), and Go encodes an IPv4-mapped address as its 4 bytes.
 */
function sanIP(ip: string): string {
  const canonical = canonicalIP(ip);
  if (!canonical) throw new CertificateNameError(`${JSON.stringify(ip)} is not an IP address`);
  return canonical;
}

export async function issueCertificate(ca: CA, o: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const now = Date.now();
  const subject = [`CN=${rdn(o.commonName)}`, ...(o.organizations ?? []).map((g) => `O=${rdn(g)}`)].join(', ');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([o.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
  ];
  const names = [...(o.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: sanIP(v) }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.certificate.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (o.validDays ?? 365) * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await keyToPem(keys.privateKey) };
}
