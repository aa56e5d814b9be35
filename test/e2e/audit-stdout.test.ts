// --audit-log-path - writes events to standard output, here in kube's legacy one-line format; an
// empty --audit-log-path turns auditing off (no audit.log in the data dir).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanup, http, startOpaque } from '../helpers/opaque.js';
import { secretsPath } from './api-lib.js';

test('--audit-log-path - with --audit-log-format legacy', async () => {
  const o = await startOpaque({ args: ['--audit-log-path', '-', '--audit-log-format', 'legacy'] });
  let out = '';
  o.proc.stdout!.on('data', (d) => (out += d));
  try {
    const r = await http(o, 'GET', secretsPath('default', 'nope'), undefined, { 'user-agent': 'legacy-test' });
    assert.equal(r.status, 404);
    assert.equal(await o.stop(), 0);
    const line = out.split('\n').find((l) => l.includes(`id="${r.headers['audit-id']}"`));
    assert.match(line ?? out, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z AUDIT: id="[^"]+" stage="ResponseComplete" ip="127\.0\.0\.1" method="get" user="opaque-admin" groups="\\"system:masters\\",\\"system:authenticated\\"" as="<self>" asgroups="<lookup>" user-agent="legacy-test" namespace="default" uri="\/api\/v1\/namespaces\/default\/secrets\/nope" response="404"$/);
    assert.equal(existsSync(join(o.dataDir, 'audit.log')), false);
  } finally {
    await cleanup(o);
  }
});

test('an empty --audit-log-path turns auditing off', async () => {
  const o = await startOpaque({ args: ['--audit-log-path', ''] });
  try {
    assert.equal((await http(o, 'GET', secretsPath('default'))).status, 200);
    assert.equal(await o.stop(), 0);
    assert.equal(existsSync(join(o.dataDir, 'audit.log')), false);
  } finally {
    await cleanup(o);
  }
});
