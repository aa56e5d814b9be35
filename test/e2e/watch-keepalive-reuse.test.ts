// A watch that ends (its timeout) while bytes are still on their way leaves its keep-alive connection
// to the client's next request. The cut-off for clients that never read the rest must not fire on
// that next request: the soak saw re-opened watches aborted 30 s after the previous one ended.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { cleanup, http, startOpaque, type Opaque } from '../helpers/opaque.js';

let o: Opaque;
let writing = true;
let writer: Promise<void>;

before(async () => {
  o = await startOpaque({ env: { OPAQUE_WATCH_STALL_MS: '1500' } });
  // A steady stream of 50 KB events, so a watch's end often finds bytes still queued.
  writer = (async () => {
    for (let i = 0; writing; i++) {
      await http(o, 'POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: `w${i}` }, data: { a: Buffer.alloc(50_000, i % 251).toString('base64') } });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
});

after(async () => {
  writing = false;
  await writer;
  await cleanup(o);
});

function watch(seconds: number): Promise<{ how: string; ms: number; events: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let events = 0;
    const done = (how: string) => resolve({ how, ms: Date.now() - t0, events });
    const req = request(`${o.url}/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=${seconds}`, { agent: o.agent() }, (res) => {
      res.on('data', (d: Buffer) => (events += d.toString('latin1').split('\n').length - 1));
      res.on('end', () => done('end'));
      res.on('aborted', () => done('aborted'));
      res.on('error', () => done('error'));
    });
    req.on('error', () => done('request error'));
    req.end();
  });
}

test('watches re-opened on the same keep-alive connection run to their own timeout', async () => {
  for (let round = 0; round < 4; round++) {
    const first = await watch(1);
    assert.equal(first.how, 'end', `round ${round}: first watch ${first.how} after ${first.ms} ms`);
    const next = await watch(4);
    assert.equal(next.how, 'end', `round ${round}: the next watch on the connection was ${next.how} after ${next.ms} ms`);
    assert.ok(next.ms >= 3500, `round ${round}: the next watch ended after ${next.ms} ms, before its 4 s timeout`);
    assert.ok(next.events > 0, 'it received events');
  }
});
