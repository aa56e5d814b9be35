// The baseline: a bare node:https server with Opaque's exact TLS setup (serving cert/key, client
// certificates requested and checked against the same CA, the default TLS versions and suites),
// answering every request with fixed bytes and Content-Type. Run as its own process; prints
// "listening <port>" when ready.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { secureContextOptions, tlsPolicy } from '../../src/server/tls-policy.js';

const cfg = JSON.parse(process.argv[2]!) as { cert: string; key: string; ca: string; bodyFile: string; contentType: string };
const body = readFileSync(cfg.bodyFile);
const tls = { key: readFileSync(cfg.key, 'utf8'), cert: readFileSync(cfg.cert, 'utf8'), clientCA: readFileSync(cfg.ca, 'utf8') };
const server = createServer({ ...secureContextOptions(tls, tlsPolicy()), requestCert: true, rejectUnauthorized: false }, (req, res) => {
  // The cheapest form of the authentication Opaque does: the certificate chain verified by TLS.
  if (!(req.socket as TLSSocket).authorized) {
    res.writeHead(401).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': cfg.contentType, 'Content-Length': body.length });
  res.end(body);
});
// Fastify's default, so idle keep-alive connections live as long as against Opaque.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => process.exit(0));
