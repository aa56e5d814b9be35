// `opaque encryption status` and `opaque encryption reencrypt`: ask the running server what key each
// stored object is under, and rewrite everything not under the current write key.

import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { IncomingMessage } from 'node:http';
import { call, connect, findKubeconfig, getJson, readJson } from './client.js';
import { Progress } from './progress.js';

interface ResourceStatus {
  resource: string;
  rule: string | null;
  writeKey: string;
  providers: { type: string; keys: string[] }[];
  stored: number;
  byKey: Record<string, number>;
  stale: number;
}

function printStatus(s: { configFile: string; lastReloadError: string | null; resources: ResourceStatus[] }): void {
  const out: string[] = [`Configuration: ${s.configFile}`];
  if (s.lastReloadError) out.push(`Last reload FAILED (the previous configuration is in force): ${s.lastReloadError}`);
  for (const r of s.resources) {
    out.push('', `${r.resource}${r.rule ? ` (rule "${r.rule}")` : ' (no rule: stored unencrypted)'}`);
    out.push(`  writes with: ${r.writeKey}`);
    out.push(`  providers:   ${r.providers.map((p) => (p.keys.length ? `${p.type}[${p.keys.join(', ')}]` : p.type)).join(', ')}`);
    out.push(`  stored:      ${r.stored}${r.stale ? ` (${r.stale} not under the write key: run \`opaque encryption reencrypt\`)` : ''}`);
    for (const [k, n] of Object.entries(r.byKey).sort()) out.push(`    ${k.padEnd(48)} ${n}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** Shows the server's NDJSON progress as a bar (terminal) or lines, then the final count. */
async function followReencrypt(res: IncomingMessage): Promise<void> {
  const progress = new Progress(process.stdout, 'reencrypt');
  let final: { total: number; scanned: number; rewritten: number; failed: number } | undefined;
  for await (const line of createInterface({ input: res })) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line);
    if (ev.phase === 'progress') progress.update(ev.scanned, ev.total, `rewritten ${ev.rewritten}`);
    else if (ev.phase === 'error') process.stderr.write(`\ncannot re-encrypt ${ev.key}: ${ev.error}\n`);
    else if (ev.phase === 'done' || ev.phase === 'aborted') final = ev;
  }
  if (!final) throw new Error('the server ended the re-encryption early (it may have stopped); run the command again to resume');
  progress.finish(`reencrypt: ${final.scanned} objects checked, ${final.rewritten} rewritten under the current key, ${final.failed} failed`);
  if (final.failed) process.exitCode = 1;
}

export function registerEncryptionCommand(program: Command): void {
  const enc = program.command('encryption').description('encryption at rest: what is stored under which key, and re-encryption');

  enc.command('status')
    .description('the providers in force and how many stored objects each key holds')
    .option('--kubeconfig <file>', 'kubeconfig of an admin (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (opts) => {
      const status = await getJson(connect(findKubeconfig(opts.kubeconfig)), '/opaque/v1/encryption/status');
      if (opts.output === 'json') process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else printStatus(status);
    });

  enc.command('reencrypt')
    .description('rewrite every stored object not under the current write key, online (safe to re-run: it resumes)')
    .option('--kubeconfig <file>', 'kubeconfig of an admin (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig)')
    .option('--rate <objects-per-second>', 'check at most this many objects a second (default: as fast as storage allows)', '0')
    .action(async (opts) => {
      const rate = Number(opts.rate);
      if (!Number.isFinite(rate) || rate < 0) throw new Error('--rate must be a non-negative number');
      const res = await call(connect(findKubeconfig(opts.kubeconfig)), 'POST', `/opaque/v1/encryption/reencrypt${rate ? `?rate=${rate}` : ''}`);
      await followReencrypt(res);
    });

  enc.command('rotate')
    .argument('<step>', 'prepare | promote | reencrypt | cleanup')
    .description('guided rotation of the key that encrypts Secrets: prepare (add a new key as a reader), promote (make it the writer), reencrypt (rewrite everything under it), cleanup (drop the old keys). Each step is safe to repeat and refuses to run out of order.')
    .option('--kubeconfig <file>', 'kubeconfig of an admin (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig)')
    .action(async (step: string, opts) => {
      const res = await call(connect(findKubeconfig(opts.kubeconfig)), 'POST', `/opaque/v1/encryption/rotate?step=${encodeURIComponent(step)}`);
      if (step === 'reencrypt') return followReencrypt(res);
      process.stdout.write(`${(await readJson(res)).message}\n`);
    });
}
