// A reimplementation of the checks in Go's crypto/tls.X509KeyPair, used only to produce the same
// warning text kube-apiserver attaches to kubernetes.io/tls Secrets whose cert and key do not form a
// usable pair. Never an error: upstream stores such Secrets anyway.

import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';

interface PemBlock {
  type: string;
  der: Buffer;
}

const PEM_BLOCK = /(?:^|\n)-----BEGIN ([^\n]*?)-----[ \t\r]*\n([\s\S]*?)\n-----END \1-----/g;

/** Like repeated pem.Decode: blocks whose body is not valid base64 are skipped, as Go skips them. */
function pemBlocks(input: Buffer): PemBlock[] {
  const text = input.toString('latin1');
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    let body = m[2]!;
    // RFC 1421 headers ("Proc-Type: ...") end at the first blank line.
    const lines = body.split('\n');
    if (lines[0]?.includes(':')) {
      const blank = lines.findIndex((l) => l.trim() === '');
      if (blank < 0) continue;
      body = lines.slice(blank + 1).join('\n');
    }
    const b64 = body.replace(/[ \t\r\n]/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ type: m[1]!, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

const goList = (xs: string[]) => `[${xs.join(' ')}]`;

type ParsedKey = { key: KeyObject } | { error: string };

function parsePrivateKey(der: Buffer): ParsedKey {
  try {
    return { key: createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }) };
  } catch {
    /* try the next encoding, as Go does */
  }
  try {
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    // Go's x509 loads X25519 from PKCS#8, but crypto/tls has no use for it.
    if (key.asymmetricKeyType === 'x25519') return { error: 'tls: found unknown private key type in PKCS#8 wrapping' };
    if (goSupportsKey(key)) return { key };
  } catch {
    /* fall through */
  }
  try {
    return { key: createPrivateKey({ key: der, format: 'der', type: 'sec1' }) };
  } catch {
    /* fall through */
  }
  return { error: 'tls: failed to parse private key' };
}

const GO_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'secp224r1', 'P-256', 'P-384', 'P-521', 'P-224']);

/** Key kinds Go's x509 package can load from PKCS#8 (others fail parsing there, not in tls). */
function goSupportsKey(key: KeyObject): boolean {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'ed25519':
      return true;
    case 'ec':
      return GO_CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? '');
    default:
      return false;
  }
}

const jwk = (k: KeyObject) => k.export({ format: 'jwk' }) as Record<string, string | undefined>;

/** Returns Go's error text for the pair, or null when X509KeyPair would succeed. */
export function x509KeyPairError(certPEM: Buffer, keyPEM: Buffer): string | null {
  const certBlocks: Buffer[] = [];
  const skipped: string[] = [];
  for (const b of pemBlocks(certPEM)) {
    if (b.type === 'CERTIFICATE') certBlocks.push(b.der);
    else skipped.push(b.type);
  }
  if (certBlocks.length === 0) {
    if (skipped.length === 0) return 'tls: failed to find any PEM data in certificate input';
    if (skipped.length === 1 && skipped[0]!.endsWith('PRIVATE KEY')) {
      return 'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched';
    }
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: ${goList(skipped)}`;
  }

  const keySkipped: string[] = [];
  let keyDER: Buffer | undefined;
  for (const b of pemBlocks(keyPEM)) {
    if (b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY')) {
      keyDER = b.der;
      break;
    }
    keySkipped.push(b.type);
  }
  if (!keyDER) {
    if (keySkipped.length === 0) return 'tls: failed to find any PEM data in key input';
    if (keySkipped.length === 1 && keySkipped[0] === 'CERTIFICATE') {
      return 'tls: found a certificate rather than a key in the PEM for the private key';
    }
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: ${goList(keySkipped)}`;
  }

  let pub: KeyObject;
  try {
    pub = new X509Certificate(certBlocks[0]!).publicKey;
  } catch {
    return 'x509: malformed certificate';
  }
  const parsed = parsePrivateKey(keyDER);
  if ('error' in parsed) return parsed.error;
  const priv = parsed.key;

  const pubType = pub.asymmetricKeyType;
  if (pubType !== 'rsa' && pubType !== 'ec' && pubType !== 'ed25519') return 'tls: unknown public key algorithm';
  if (priv.asymmetricKeyType !== pubType) return 'tls: private key type does not match public key type';
  const a = jwk(pub);
  const b = jwk(createPublicKey(priv));
  const same = pubType === 'rsa' ? a.n === b.n : pubType === 'ec' ? a.x === b.x && a.y === b.y : a.x === b.x;
  return same ? null : 'tls: private key does not match public key';
}
