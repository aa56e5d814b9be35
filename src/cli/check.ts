// `opaque check`: is the server up, and will it stay reachable? Through the kubeconfig an operator or
// a cron job already uses: the TLS handshake (serving certificate trusted, days left), who the
// credentials are (SelfSubjectReview; client certificate or token expiry), /livez and /readyz with
// every check, the storage engine and etcd members answering, the controllers' leader, and
// encryption at rest (write key, objects not yet under it). Exit 0 when everything holds, 1 when
// something fails, 2 when only warnings (a certificate or token within --warn-days of expiry).

import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { Command } from 'commander';
import { call, connect, findKubeconfig, readJson, readText, ServerError, type Connection } from './client.js';
import { daysOption } from './options.js';

type Level = 'ok' | 'warn' | 'fail' | 'info';

export interface Finding {
  check: string;
  level: Level;
  detail: string;
}

const DAY = 86_400_000;

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function timeLeft(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 120) return `${min} min`;
  if (ms < 2 * DAY) return `${Math.floor(min / 60)} h`;
  return `${Math.floor(ms / DAY)} days`;
}

/** ok, warn (within warnDays of it) or fail for what expires at `ms`. */
function expiry(check: string, what: string, ms: number, warnDays: number): Finding {
  const left = ms - Date.now();
  const when = left < 2 * DAY ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : dateOf(ms);
  if (left <= 0) return { check, level: 'fail', detail: `${what} EXPIRED at ${when}` };
  return { check, level: left < warnDays * DAY ? 'warn' : 'ok', detail: `${what}, expires ${when} (in ${timeLeft(left)})` };
}

const subjectOf = (x: X509Certificate) => x.subject.split('\n').join(', ');

/** The handshake the kubeconfig's settings give: is the serving certificate trusted, and for how long. */
function tlsFindings(conn: Connection, warnDays: number): Promise<Finding[]> {
  const url = new URL(conn.server);
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), servername: /^[\d.:[\]]+$/.test(url.hostname) ? undefined : url.hostname,
      ca: conn.tls.ca, cert: conn.tls.cert, key: conn.tls.key, rejectUnauthorized: false,
    }, () => {
      const peer = s.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
      const leaf = s.getPeerX509Certificate();
      const out: Finding[] = [];
      if (!leaf) out.push({ check: 'serving certificate', level: 'fail', detail: 'the server presented none' });
      else {
        const trusted = s.authorized || conn.tls.rejectUnauthorized === false;
        const why = s.authorized ? 'trusted by the kubeconfig' : conn.tls.rejectUnauthorized === false ? 'NOT verified (insecure-skip-tls-verify)' : `NOT trusted: ${s.authorizationError}`;
        const f = expiry('serving certificate', `${subjectOf(leaf)}, ${why}`, Date.parse(leaf.validTo), warnDays);
        out.push(trusted ? f : { ...f, level: 'fail' });
      }
      // The CA that vouched for the server (the kubeconfig's, unless the chain ends elsewhere).
      const issuer = peer?.issuerCertificate;
      if (issuer && issuer !== peer && issuer.valid_to) {
        const note = s.authorized ? '' : ' (in the chain the server sent, not trusted)';
        out.push(expiry('CA', `CN=${issuer.subject?.CN ?? ''}${note}`, Date.parse(issuer.valid_to), warnDays));
      } else if (conn.tls.ca) {
        const x = new X509Certificate(conn.tls.ca as Buffer);
        out.push(expiry('CA', `${subjectOf(x)} (from the kubeconfig)`, Date.parse(x.validTo), warnDays));
      }
      s.destroy();
      resolve(out);
    });
    s.setTimeout(10_000, () => s.destroy(new Error('no TLS handshake within 10 s')));
    s.on('error', (err) => resolve([{ check: 'connection', level: 'fail', detail: `cannot reach ${conn.server}: ${err.message}` }]));
  });
}

/** Expiry of what the kubeconfig authenticates with (a client certificate, a JWT's exp). */
function credentialFindings(conn: Connection, warnDays: number): Finding[] {
  const out: Finding[] = [];
  if (conn.tls.cert) {
    const x = new X509Certificate(conn.tls.cert as Buffer);
    out.push(expiry('client certificate', subjectOf(x), Date.parse(x.validTo), warnDays));
  }
  const token = conn.headers['Authorization']?.replace(/^Bearer /, '');
  const parts = token?.split('.');
  if (parts?.length === 3) {
    try {
      const exp = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')).exp;
      // Short-lived by design: only an expired token is a finding.
      if (typeof exp === 'number') out.push(expiry('token', 'bearer token (JWT)', exp * 1000, 0));
    } catch {
      // not a JWT: nothing to say about its expiry
    }
  }
  return out;
}

/** Each request's answer, 429 retries included, within this: a server that stalls is a finding. */
const STEP_MS = 30_000;
const within = () => AbortSignal.timeout(STEP_MS);

async function text(conn: Connection, path: string): Promise<{ ok: boolean; body: string }> {
  try {
    return { ok: true, body: await readText(await call(conn, 'GET', path, within())) };
  } catch (err) {
    if (err instanceof ServerError) return { ok: false, body: err.statusMessage };
    throw err;
  }
}

/** /livez or /readyz?verbose: the failing checks by name, or all passing. */
async function healthFinding(conn: Connection, endpoint: 'livez' | 'readyz'): Promise<Finding> {
  const { ok, body } = await text(conn, `/${endpoint}?verbose`);
  const lines = body.split('\n');
  const failed = lines.filter((l) => l.startsWith('[-]')).map((l) => l.slice(3).replace(/ failed: .*/, ''));
  const passed = lines.filter((l) => l.startsWith('[+]')).map((l) => l.slice(3).replace(/ ok$/, '').replace(/ ok \((.*)\)$/, ' ($1)'));
  if (ok) return { check: endpoint, level: 'ok', detail: passed.join(', ') || body.trim() };
  return { check: endpoint, level: 'fail', detail: failed.length ? `failing: ${failed.join(', ')}` : body.trim() };
}

/** The server's own metrics about storage and controllers, when the caller may read /metrics. */
async function metricFindings(conn: Connection): Promise<Finding[]> {
  const { ok, body } = await text(conn, '/metrics');
  if (!ok) return [{ check: 'storage', level: 'info', detail: `not shown: /metrics refused (${body.trim()})` }];
  const engine = /^opaque_storage_engine\{engine="([^"]+)"\} 1$/m.exec(body)?.[1] ?? 'unknown';
  const members = [...body.matchAll(/^opaque_etcd_member_answering\{member="([^"]+)"\} (\d)$/gm)];
  if (!members.length) return [{ check: 'storage', level: 'ok', detail: engine === 'sqlite' ? 'embedded SQLite' : engine }];
  const silent = members.filter((m) => m[2] !== '1').map((m) => m[1]);
  const detail = `etcd, ${members.length - silent.length} of ${members.length} members answering${silent.length ? ` (not: ${silent.join(', ')})` : ''}`;
  return [{ check: 'storage', level: silent.length ? 'warn' : 'ok', detail }];
}

async function encryptionFinding(conn: Connection): Promise<Finding> {
  try {
    const s = await readJson(await call(conn, 'GET', '/opaque/v1/encryption/status', within()));
    const secrets = s.resources.find((r: { resource: string }) => r.resource === 'secrets') ?? s.resources[0];
    if (s.lastReloadError) return { check: 'encryption', level: 'fail', detail: `the last reload of ${s.configFile} failed: ${s.lastReloadError}` };
    if (!secrets) return { check: 'encryption', level: 'info', detail: 'no resources configured' };
    const plain = secrets.writeKey === 'identity';
    const stale = secrets.stale ? `; ${secrets.stale} stored objects not under it (run \`opaque encryption reencrypt\`)` : '';
    return { check: 'encryption', level: plain ? 'warn' : secrets.stale ? 'warn' : 'ok', detail: `secrets written with ${secrets.writeKey}${plain ? ' (NOT encrypted)' : ''}${stale}` };
  } catch (err) {
    if (!(err instanceof ServerError)) throw err; // no answer: step() reports it as failing
    return { check: 'encryption', level: 'info', detail: `not shown: ${err.statusMessage}` };
  }
}

async function identityFinding(conn: Connection): Promise<Finding> {
  try {
    const review = await readJson(await call(conn, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', within(), {
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
    }));
    const u = review.status?.userInfo ?? {};
    return { check: 'identity', level: 'ok', detail: `${u.username}${u.groups?.length ? ` (groups ${u.groups.join(', ')})` : ''}` };
  } catch (err) {
    if (!(err instanceof ServerError)) throw err; // no answer: step() reports it as failing
    if (err.code === 401) return { check: 'identity', level: 'fail', detail: 'the credentials were refused (401)' };
    return { check: 'identity', level: 'info', detail: err.message };
  }
}

/** A step that cannot reach the server (dropped connection, no answer in time) is a failing finding. */
async function step(check: string, f: () => Promise<Finding | Finding[]>): Promise<Finding[]> {
  try {
    const r = await f();
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return [{ check, level: 'fail', detail: timedOut ? `no answer within ${STEP_MS / 1000} s` : e.message }];
  }
}

export async function runCheck(conn: Connection, warnDays: number): Promise<Finding[]> {
  const findings = await tlsFindings(conn, warnDays);
  if (findings.some((f) => f.check === 'connection')) return findings;
  findings.push(...credentialFindings(conn, warnDays));
  if (findings.some((f) => f.check === 'serving certificate' && f.level === 'fail')) {
    findings.push({ check: 'api', level: 'info', detail: 'not checked: the server is not trusted, so no request was sent' });
    return findings;
  }
  findings.unshift(...(await step('server', async () => {
    const version = await text(conn, '/version');
    const v = version.ok ? JSON.parse(version.body).gitVersion : `unknown (/version: ${version.body.trim()})`;
    return { check: 'server', level: 'info', detail: `${conn.server}, Kubernetes API ${v}` };
  })));
  findings.push(...(await step('identity', () => identityFinding(conn))));
  for (const endpoint of ['livez', 'readyz'] as const) findings.push(...(await step(endpoint, () => healthFinding(conn, endpoint))));
  findings.push(...(await step('storage', () => metricFindings(conn))));
  findings.push(...(await step('encryption', () => encryptionFinding(conn))));
  return findings;
}

const MARK: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: '    ' };

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check a running server through a kubeconfig: TLS, credentials, health, storage, encryption, certificate expiry (exit 0 ok, 1 failing, 2 warnings)')
    .option('--kubeconfig <file>', 'kubeconfig to check with (default: $KUBECONFIG, then ./opaque-data/admin.kubeconfig, then ~/.kube/config)')
    .option('--warn-days <n>', 'warn when a certificate or token expires within this many days', daysOption(0, 3650), 30)
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (o: { kubeconfig?: string; warnDays: number; output: string }) => {
      if (o.output !== 'text' && o.output !== 'json') throw new Error('--output must be text or json');
      const kubeconfig = findKubeconfig(o.kubeconfig);
      const findings = await runCheck(connect(kubeconfig), o.warnDays);
      const failing = findings.filter((f) => f.level === 'fail').length;
      const warnings = findings.filter((f) => f.level === 'warn').length;
      const result = failing ? 'failing' : warnings ? 'warnings' : 'ok';
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify({ kubeconfig, result, findings }, null, 2) + '\n');
      } else {
        const width = Math.max(...findings.map((f) => f.check.length));
        const lines = findings.map((f) => `${MARK[f.level]}  ${f.check.padEnd(width)}  ${f.detail}`);
        const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
        lines.push('', failing ? `${failing} failing, ${n(warnings, 'warning')}` : warnings ? n(warnings, 'warning') : 'all checks pass');
        process.stdout.write(lines.join('\n') + '\n');
      }
      process.exitCode = failing ? 1 : warnings ? 2 : 0;
    });
}
