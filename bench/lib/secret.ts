// The Secrets the benches send: what each create POSTs, and the one every GET bench reads (created
// through Opaque, then fetched once for its exact bytes).

import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

/** A small Secret like the ones real clients write: two short keys. */
export const secretBody = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { app: 'bench' } }, type: 'Opaque',
  data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from(name).toString('base64') },
});

export async function createBenchSecret(url: string, tls: { ca: string; cert: string; key: string }, name: string): Promise<{ path: string; body: Buffer; contentType: string }> {
  const agent = new Agent({ connect: { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) } });
  try {
    const created = await request(`${url}/api/v1/namespaces/default/secrets`, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { app: 'bench' } }, type: 'Opaque',
        data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from('correct horse battery staple').toString('base64') } }),
    });
    if (created.statusCode !== 201) throw new Error(`creating ${name}: ${created.statusCode} ${await created.body.text()}`);
    await created.body.dump();
    const path = `/api/v1/namespaces/default/secrets/${name}`;
    const got = await request(`${url}${path}`, { dispatcher: agent, headers: { accept: 'application/json' } });
    const body = Buffer.from(await got.body.arrayBuffer());
    if (got.statusCode !== 200) throw new Error(`GET ${path}: ${got.statusCode} ${body}`);
    return { path, body, contentType: String(got.headers['content-type']) };
  } finally {
    await agent.close();
  }
}
