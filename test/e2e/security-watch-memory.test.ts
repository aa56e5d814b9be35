// A tenant cannot run the server out of memory with watches it never reads (issue 11, point 2). The
// report: `admin` in its own namespace, three ~1 MB Secrets, 1,500 `?watch=1&resourceVersion=0`
// watches that never read — RSS 2 GB → 7.8 GB in 50 s, then the heap ran out; 5,000 idle watches made
// one 500 KB update take 54 s. Here at a tenth of that scale, with the stall timeout shortened.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { issueCertificate, loadCA } from '../../src/pki/certs.js';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { userAgent } from './audit-lib.js';

let o: Opaque;
let tenant: Agent;
let tenantCert: { cert: string; key: string };
const open: TLSSocket[] = [];
const NS = 'team';

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** A watch request on a socket nobody reads from: the kernel buffers fill, then the server's would. */
function unreadWatch(path: string): Promise<{ socket: TLSSocket; status: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1', port: o.port, ca: readFileSync(join(o.dataDir, 'pki', 'ca.crt')),
      cert: tenantCert.cert, key: tenantCert.key, servername: 'localhost',
    }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n`);
      // Read only the status line, then stop reading for good.
      const status = new Promise<number>((res) => {
        socket.once('close', () => res(0));
        socket.once('data', (chunk: Buffer) => {
          socket.pause();
          res(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0));
        });
      });
      resolve({ socket, status });
    });
    socket.on('error', () => {});
    socket.once('error', reject);
    open.push(socket);
  });
}

before(async () => {
  o = await startOpaque({ args: ['--max-watches-per-user', '400'], env: { OPAQUE_WATCH_STALL_MS: '3000', NODE_OPTIONS: '--max-old-space-size=192' } });
  const ok = (r: { status: number; text: string }) => assert.ok(r.status < 300, r.text);
  ok(await http(o, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  ok(await http(o, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tenant-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'tenant' }],
  }));
  tenant = await userAgent(o, 'tenant');
  const pki = join(o.dataDir, 'pki');
  const ca = await loadCA(readFileSync(join(pki, 'ca.crt'), 'utf8'), readFileSync(join(pki, 'ca.key'), 'utf8'));
  tenantCert = await issueCertificate(ca, { commonName: 'tenant', usage: 'client' });
  const blob = Buffer.alloc(700 * 1024, 7).toString('base64');
  for (const name of ['big-1', 'big-2', 'big-3']) {
    ok(await http(o, 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { big: 'true' } }, data: { blob } }, {}, tenant));
  }
});

after(async () => {
  for (const s of open) s.destroy();
  tenant?.destroy();
  await cleanup(o);
});

describe('watches that never read', () => {
  it('150 unread watches of three 700 KB Secrets leave memory bounded; an admin is served meanwhile', async () => {
    const before = rssBytes(o.proc.pid!);
    const watches = [];
    for (let i = 0; i < 150; i++) watches.push(await unreadWatch(`/api/v1/namespaces/${NS}/secrets?watch=1&resourceVersion=0&labelSelector=big%3Dtrue`));
    for (const w of watches) assert.equal(await w.status, 200);
    let peak = 0;
    const end = Date.now() + 2500;
    while (Date.now() < end) {
      peak = Math.max(peak, rssBytes(o.proc.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
    // The server runs with a 192 MB heap: serializing and queueing every initial event per watcher
    // (150 × ~2.8 MB, plus TLS copies) ran it out of memory. What is garbage V8 collects in time.
    assert.equal(o.proc.exitCode, null, `the server died: ${o.stderr().slice(-500)}`);
    const grown = peak - before;
    assert.ok(grown < 500 * 1024 * 1024, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
    const t = Date.now();
    assert.equal((await http(o, 'GET', `/api/v1/namespaces/${NS}/secrets/big-1`)).status, 200);
    assert.ok(Date.now() - t < 2000, `admin GET took ${Date.now() - t} ms`);
    for (const w of watches) w.socket.destroy();
  });

  it('a watcher with more waiting than the connection holds is closed once it stalls', async () => {
    // Six more 950 KB Secrets: more than loopback's socket buffers (4 MB + 128 KB) take.
    const blob = Buffer.alloc(950 * 1024, 5).toString('base64');
    for (let i = 0; i < 6; i++) {
      const r = await http(o, 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `huge-${i}`, labels: { huge: 'true' } }, data: { blob } }, {}, tenant);
      assert.equal(r.status, 201, r.text.slice(0, 200));
    }
    const watches = [];
    for (let i = 0; i < 8; i++) watches.push(await unreadWatch(`/api/v1/namespaces/${NS}/secrets?watch=1&resourceVersion=0&labelSelector=huge%3Dtrue`));
    for (const w of watches) assert.equal(await w.status, 200);
    // After the stall timeout (3 s here, 30 s by default) the server ends them, then cuts them off.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !watches.every((w) => serverClosed(w.socket))) await new Promise((r) => setTimeout(r, 200));
    assert.ok(watches.every((w) => serverClosed(w.socket)), `${watches.filter((w) => !serverClosed(w.socket)).length} of 8 watches still open`);
  });

  it('one 500 KB update to 300 idle watchers is quick', async () => {
    const watches = [];
    for (let i = 0; i < 300; i++) watches.push(await unreadWatch(`/api/v1/namespaces/${NS}/secrets?watch=1&resourceVersion=${await currentRV()}`));
    for (const w of watches) assert.equal(await w.status, 200);
    const before = rssBytes(o.proc.pid!);
    const t = Date.now();
    const r = await http(o, 'PUT', `/api/v1/namespaces/${NS}/secrets/big-1`, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big-1' }, data: { blob: Buffer.alloc(500 * 1024, 9).toString('base64') },
    }, {}, tenant);
    assert.equal(r.status, 200, r.text.slice(0, 200));
    // The next request waits for the dispatch to every watcher.
    assert.equal((await http(o, 'GET', '/readyz')).status, 200);
    const ms = Date.now() - t;
    const grown = rssBytes(o.proc.pid!) - before;
    assert.ok(ms < 5000, `update and next answer took ${ms} ms`);
    assert.ok(grown < 400 * 1024 * 1024, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
    for (const w of watches) w.socket.destroy();
  });
});

describe('watches per user', () => {
  it('past --max-watches-per-user a watch gets 429; a closed one frees its place; system:masters is never limited', async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const held = [];
    for (let i = 0; i < 400; i++) held.push(await unreadWatch(`/api/v1/namespaces/${NS}/secrets?watch=1&resourceVersion=${await currentRV()}`));
    for (const w of held) assert.equal(await w.status, 200);
    const refused = await http(o, 'GET', `/api/v1/namespaces/${NS}/secrets?watch=1&timeoutSeconds=1`, undefined, {}, tenant);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.headers['retry-after'], '1');
    const adminWatch = await http(o, 'GET', `/api/v1/namespaces/${NS}/secrets?watch=1&timeoutSeconds=1&resourceVersion=${await currentRV()}`);
    assert.equal(adminWatch.status, 200);
    held[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await http(o, 'GET', `/api/v1/namespaces/${NS}/secrets?watch=1&timeoutSeconds=1&resourceVersion=${await currentRV()}`, undefined, {}, tenant);
    assert.equal(again.status, 200, again.text);
  });
});

async function currentRV(): Promise<string> {
  return (await http(o, 'GET', `/api/v1/namespaces/${NS}/secrets?limit=1`)).json.metadata.resourceVersion;
}

/**
 * The server closed the connection. A paused client socket never reads the FIN or RST, so look at
 * the kernel's table instead: is the server's end of this connection still established?
 */
function serverClosed(s: TLSSocket): boolean {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(o.port)}`;
  const remote = `:${hex(s.localPort ?? 0)}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(local) && f[2]?.endsWith(remote) && f[3] === '01') return false;
    }
  }
  return true;
}
