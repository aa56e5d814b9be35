// Large answers on one keep-alive connection: Node 20's native TLS read path reset the connection
// (HPE_PAUSED on the server, ECONNRESET for the client) when the next request arrived while a large
// response was still draining; every few creates of a 200 KB Secret failed. Each of these must succeed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';
import { secretsPath } from './api-lib.js';

let o: Opaque;
before(async () => {
  o = await startOpaque();
});
after(async () => {
  await cleanup(o);
});

test('creates and gets of 200 KB Secrets back to back on one keep-alive connection all succeed', async () => {
  const pki = join(o.dataDir, 'pki');
  const one = new Agent({ ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')), keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  one.on('free', (s) => sockets.add(s));
  try {
    const blobs: string[] = [];
    for (let i = 0; i < 60; i++) {
      blobs.push(randomBytes(150_000).toString('base64'));
      const created = await http(o, 'POST', secretsPath('default'), { metadata: { name: `large-${i}` }, data: { blob: blobs[i] } }, {}, one);
      assert.equal(created.status, 201, `create ${i}`);
    }
    for (let i = 0; i < 60; i++) {
      const got = await http(o, 'GET', secretsPath('default', `large-${i}`), undefined, {}, one);
      assert.equal(got.json.data.blob, blobs[i], `get ${i}`);
    }
    assert.equal(sockets.size, 1, 'one connection carried all of them');
  } finally {
    one.destroy();
  }
});
