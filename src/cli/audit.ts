// `opaque audit`: who read this Secret, when and from where; what did this user touch. Reads the audit
// log the server writes (and its rotated backups) and prints one row per request, or NDJSON events.

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logFiles, scan, type AuditQuery } from '../audit/query.js';
import type { AuditEvent } from '../audit/types.js';
import { parseDuration } from './duration.js';
import { Progress } from './progress.js';

/** kubectl-style names for the resources Opaque serves; anything else is taken as a plural. */
const ALIASES: Record<string, string> = {
  secret: 'secrets', ns: 'namespaces', namespace: 'namespaces', sa: 'serviceaccounts', serviceaccount: 'serviceaccounts',
  role: 'roles', rolebinding: 'rolebindings', clusterrole: 'clusterroles', clusterrolebinding: 'clusterrolebindings',
  tokenreview: 'tokenreviews', cm: 'configmaps', configmap: 'configmaps',
};

/** `secrets`, `secret`, `roles.rbac.authorization.k8s.io` → resource (and group when given). */
export function parseResource(text: string): { resource: string; group?: string } {
  const dot = text.indexOf('.');
  const head = (dot >= 0 ? text.slice(0, dot) : text).toLowerCase();
  const resource = ALIASES[head] ?? head;
  return dot >= 0 ? { resource, group: text.slice(dot + 1) } : { resource };
}

/** A duration back from now (1h, 30m, 7d) or an RFC 3339 time. */
export function parseTime(text: string, now = Date.now()): number {
  const days = /^(\d+)d$/.exec(text);
  if (days) return now - Number(days[1]) * 86_400_000;
  try {
    return now - parseDuration(text);
  } catch {
    // not a duration: try a time
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new InvalidArgumentError(`"${text}" is neither a duration (30m, 1h, 7d) nor an RFC 3339 time (2026-11-30T13:40:00Z)`);
}

function shortTime(ts: string): string {
  return ts.replace(/\.\d+Z$/, 'Z');
}

function row(ev: AuditEvent): string[] {
  const ref = ev.objectRef;
  let user = ev.user?.username ?? '<unauthenticated>';
  if (ev.impersonatedUser) user += ` (as ${ev.impersonatedUser.username ?? ''})`;
  let resource: string;
  let target = '-';
  if (ref) {
    resource = `${ref.resource ?? ''}${ref.subresource ? `/${ref.subresource}` : ''}${ref.apiGroup ? `.${ref.apiGroup}` : ''}`;
    const name = ref.name ?? (ev.verb === 'create' ? '' : '*');
    target = ref.namespace ? `${ref.namespace}/${name}` : name || '-';
  } else {
    resource = ev.requestURI.split('?')[0]!;
  }
  const code = ev.responseStatus?.code !== undefined ? String(ev.responseStatus.code) : '-';
  return [shortTime(ev.requestReceivedTimestamp), user, ev.verb, resource, target, code, (ev.sourceIPs ?? []).join(',') || '-', ev.userAgent ?? '-'];
}

const HEADERS = ['TIME', 'USER', 'VERB', 'RESOURCE', 'NAMESPACE/NAME', 'CODE', 'SOURCE IP', 'USER AGENT'];
const BATCH = 1000;

/** Aligned columns, sized on the first rows and widened as longer cells come (the log may be huge). */
class TablePrinter {
  private widths = HEADERS.map((h) => h.length);
  private buffered: string[][] = [HEADERS];
  private flushed = false;

  add(cells: string[]): void {
    this.buffered.push(cells);
    if (this.buffered.length >= BATCH) this.flush();
  }

  flush(): void {
    for (const r of this.buffered) r.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i]!, c.length)));
    const lines = this.buffered.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.widths[i]!))).join('   ').trimEnd());
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    this.buffered = [];
    this.flushed = true;
  }

  get empty(): boolean {
    return !this.flushed && this.buffered.length <= 1;
  }
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit [target]')
    .description('who did what to which object, from the audit log: `opaque audit secret/<namespace>/<name>`, `opaque audit --user alice`')
    .option('--data-dir <dir>', "the server's data dir (its audit log is <data-dir>/audit.log)", './opaque-data')
    .option('--audit-log-path <file>', 'the audit log, when the server wrote it elsewhere')
    .option('--user <name>', 'requests by this user (as authenticated, or as impersonated)')
    .option('-n, --namespace <ns>', 'objects in this namespace')
    .option('--name <name>', 'this object (lists and watches of its namespace are included: they read it too)')
    .option('--resource <resource>', 'e.g. secrets, namespaces, roles.rbac.authorization.k8s.io')
    .option('--verb <verbs>', 'comma-separated: get,list,watch,create,update,patch,delete,deletecollection')
    .option('--since <when>', 'from this time: a duration back from now (1h, 7d) or RFC 3339')
    .option('--until <when>', 'up to this time: a duration back from now or RFC 3339')
    .option('--all-stages', 'every stage of each request, not only its final one', false)
    .option('-o, --output <format>', 'table, or json (the events, one per line)', 'table')
    .action(async (target: string | undefined, opts) => {
      if (opts.output !== 'table' && opts.output !== 'json') throw new Error(`--output must be table or json, not "${opts.output}"`);
      const q: AuditQuery = { user: opts.user, namespace: opts.namespace, name: opts.name, allStages: opts.allStages };
      if (opts.resource) Object.assign(q, parseResource(opts.resource));
      if (target) {
        const parts = target.split('/');
        if (parts.length > 3 || parts.some((p) => !p)) throw new Error(`"${target}" is not <type>/<namespace>/<name> or <type>/<name>`);
        Object.assign(q, parseResource(parts[0]!));
        if (parts.length === 3) [q.namespace, q.name] = [parts[1], parts[2]];
        else if (parts.length === 2) q.name = parts[1];
      }
      if (opts.verb) q.verbs = new Set(String(opts.verb).split(',').map((v) => v.trim()).filter(Boolean));
      if (opts.since) q.since = parseTime(opts.since);
      if (opts.until) q.until = parseTime(opts.until);
      const path: string = opts.auditLogPath ?? join(opts.dataDir, 'audit.log');
      if (!existsSync(path)) throw new Error(`no audit log at ${path} (use --data-dir or --audit-log-path)`);

      const files = logFiles(path, q.since);
      const progress = new Progress(process.stderr, 'reading');
      const table = new TablePrinter();
      let found = 0;
      let scanned = 0;
      let fileCount = 0;
      let shown = false;
      for await (const f of scan(files, q, (p, final) => {
        scanned = p.events;
        fileCount = p.files;
        // Progress goes to stderr (a bar on a terminal, a line a second otherwise) once a read takes a while.
        if (!final || shown) {
          shown = true;
          progress.update(Math.round(p.bytes / 1048576), Math.round(p.totalBytes / 1048576), 'MB read');
        }
      })) {
        found++;
        if (opts.output === 'json') process.stdout.write(f.line + '\n');
        else table.add(row(f.event));
      }
      if (opts.output === 'table') {
        if (found) table.flush();
        else process.stdout.write('No matching requests.\n');
      }
      const summary = `${found} request${found === 1 ? '' : 's'} found (${scanned} events read from ${fileCount} file${fileCount === 1 ? '' : 's'})`;
      if (shown) progress.finish(summary);
      else process.stderr.write(`${summary}\n`);
    });
}
