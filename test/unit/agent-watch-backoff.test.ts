// The agent's watch retries back off as client-go's reflector does. The schedule itself (800 ms
// doubling to a 30 s cap, jittered up to twice that, forgiven after two quiet minutes) is checked
// with a fake clock; the SecretCache is then run against a loopback HTTPS server whose watches fail
// (500, 429 without Retry-After, and a 200 that ends at once with nothing in it) to count how
// often it really asks.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Backoff } from '../../src/agent/backoff.js';
import type { CredentialsProvider } from '../../src/agent/credentials.js';
import { SecretCache } from '../../src/agent/secret-cache.js';
import { createCA, issueCertificate } from '../../src/pki/certs.js';

describe('back-off schedule', () => {
  it('doubles from 800 ms to the 30 s cap, jitters up by at most as much again, and resets after two quiet minutes', () => {
    let now = 0;
    let rand = 0;
    const b = new Backoff({ now: () => now, random: () => rand });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      waits.push(b.next());
      now += 1000;
    }
    assert.deepEqual(waits, [800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    rand = 0.999;
    assert.ok(b.next() < 60_000 && b.next() >= 59_000);
    now += 120_001;
    rand = 0;
    assert.equal(b.next(), 800);
  });
});

describe('SecretCache against a failing server', () => {
  const watches = new Map<string, number>();
  let server: Server;
  let creds: CredentialsProvider;

  before(async () => {
    const ca = await createCA('test-ca');
    const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ips: ['127.0.0.1'], usage: 'server' });
    server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      const url = new URL(req.url!, 'https://x');
      if (url.searchParams.get('watch') !== 'true') {
        const name = url.pathname.split('/').at(-1)!;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', resourceVersion: '5' }, data: {} }));
      }
      const name = url.searchParams.get('fieldSelector')!.replace('metadata.name=', '');
      watches.set(name, (watches.get(name) ?? 0) + 1);
      const status = (code: number, reason: string) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', message: `watch refused (${reason})`, reason, code }));
      };
      if (name === 'five-hundred') return status(500, 'InternalError');
      if (name === 'too-many') return status(429, 'TooManyRequests');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(); // a watch the server ends at once, with no event
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const conn = { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, tls: { ca: ca.cert }, headers: {} };
    creds = { description: 'test', connection: () => conn };
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('asks at most 4 times in 6 s per failing watch, and says each failure once', async () => {
    const lines: string[] = [];
    const names = ['five-hundred', 'too-many', 'ends-at-once'];
    const cache = new SecretCache(creds, 'default', names, () => {}, (l) => lines.push(l));
    await cache.start();
    await new Promise((r) => setTimeout(r, 6000));
    cache.stop();
    for (const n of names) {
      const count = watches.get(n) ?? 0;
      // At 800 ms doubling, attempts start at 0, >= 0.8, >= 2.4 and >= 5.6 s.
      assert.ok(count >= 2 && count <= 4, `${n}: ${count} watch requests in 6 s`);
      assert.equal(lines.filter((l) => l.includes(`"${n}"`)).length, 1, lines.join('\n'));
    }
  });
});
