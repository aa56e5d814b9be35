// Shared helpers for the audit e2e tests: read a server's audit log, client certificates for other
// users, and the `opaque audit` command. Not a test file itself.

import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { issueCertificate, loadCA } from '../../src/pki/certs.js';
import { ROOT, run, type Opaque, type RunResult } from '../helpers/opaque.js';

export const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function readAudit(path: string): any[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** An HTTPS agent presenting a client certificate for `user` (groups as O=) issued by the server's CA. */
export async function userAgent(o: Opaque, user: string, groups: string[] = []): Promise<Agent> {
  const pki = join(o.dataDir, 'pki');
  const ca = await loadCA(readFileSync(join(pki, 'ca.crt'), 'utf8'), readFileSync(join(pki, 'ca.key'), 'utf8'));
  const pair = await issueCertificate(ca, { commonName: user, organizations: groups, usage: 'client' });
  return new Agent({ ca: readFileSync(join(pki, 'ca.crt')), cert: pair.cert, key: pair.key, keepAlive: false });
}

export function opaqueAudit(args: string[]): Promise<RunResult> {
  return run(process.execPath, [join(ROOT, 'bin', 'opaque.js'), 'audit', ...args]);
}

export const eventsOf = (events: any[], auditID: string): any[] => events.filter((e) => e.auditID === auditID);
