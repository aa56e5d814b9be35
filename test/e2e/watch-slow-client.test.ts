// A watcher that stops reading falls behind: the server ends its stream instead of buffering without
// bound, and re-watching from the last revision it saw, now outside the watch cache window, answers
// 410 Expired — the client must re-list, as client-go does.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';

let o: Opaque;
before(async () => {
  o = await startOpaque({ args: ['--watch-cache-size', '100'] });
});
after(async () => {
  if (o) await cleanup(o);
});

test('a watcher that does not read is dropped, and its next watch from where it stopped is 410', async () => {
  const list = await http(o, 'GET', '/api/v1/namespaces/default/secrets');
  const fromRV = list.json.metadata.resourceVersion;
  let received = '';
  let ended = false;
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(`${o.url}/api/v1/namespaces/default/secrets?watch=true&resourceVersion=${fromRV}`, { agent: o.agent() }, resolve);
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 200);
  res.pause(); // stop reading: the server's writes back up
  res.on('end', () => (ended = true));

  // Far more than socket buffers hold: 3,000 events of ~4 KB each.
  const filler = Buffer.alloc(3000, 'x').toString('base64');
  for (let i = 0; i < 3000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => http(o, 'POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: `slow-${i + j}` }, data: { blob: filler },
    }).then((r) => assert.equal(r.status, 201, r.text))));
  }

  res.setEncoding('utf8');
  res.on('data', (d: string) => (received += d));
  res.resume();
  const deadline = Date.now() + 20_000;
  while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ended, 'the server ended the stream of the watcher that fell behind');
  const events = received.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.length > 0 && events.length < 3000, `it got some events, not all (${events.length})`);
  const lastRV = events.at(-1).object.metadata.resourceVersion;

  const again = await http(o, 'GET', `/api/v1/namespaces/default/secrets?watch=true&resourceVersion=${lastRV}&timeoutSeconds=2`);
  assert.equal(again.status, 200);
  const first = JSON.parse(again.text.trim().split('\n')[0]!);
  assert.equal(first.type, 'ERROR');
  assert.equal(first.object.code, 410);
  assert.equal(first.object.reason, 'Expired');
  assert.match(first.object.message, /^too old resource version: \d+ \(\d+\)$/);
});
