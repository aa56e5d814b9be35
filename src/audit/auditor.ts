// The audit stage of the request pipeline. The app asks the Auditor to begin a request right after
// authentication (the policy sees the authenticated user, before impersonation, as in kube where
// WithAudit wraps WithImpersonation); a RequestAudit then collects the authorization decision, the
// request and response objects, and emits the stages: RequestReceived, ResponseStarted (long-running
// requests: watch), ResponseComplete, or Panic. Requests the policy puts at None cost one evaluation.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Decision } from '../auth/types.js';
import { auditUser, microTime, nowMicros, sourceIPs, statusOf, userAgent } from './event.js';
import { jsonLine, legacyLine, type LogFormat } from './format.js';
import type { PolicyEvaluator, RequestAuditConfig } from './policy.js';
import { levelRank, type AuditEvent, type ResponseStatus, type Stage } from './types.js';
import type { LogWriter } from './log-writer.js';
import type { AuditMetrics } from './metrics.js';
import { boundedLine, DEFAULT_MAX_EVENT_BYTES } from './truncate.js';

const METADATA = levelRank('Metadata');
const REQUEST = levelRank('Request');
const REQUEST_RESPONSE = levelRank('RequestResponse');

export interface AuditSink {
  write(line: string): void;
}

export class Auditor {
  private readonly line: (ev: AuditEvent) => string;
  /** Requests whose final stage is not written yet (see settle). */
  private readonly open = new Set<RequestAudit>();

  constructor(
    readonly policy: PolicyEvaluator,
    private readonly sink: LogWriter | AuditSink,
    format: LogFormat = 'json',
    private readonly metrics?: AuditMetrics,
    /** Events over this many bytes are truncated (0: never). */
    private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
  ) {
    this.line = format === 'legacy' ? legacyLine : jsonLine;
  }

  /** A request wrote its last stage. */
  finished(ra: RequestAudit): void {
    this.open.delete(ra);
  }

  /**
   * At shutdown, after the HTTP server closed: a response can be on the wire while its socket's
   * 'close' (which writes the final stage) is still queued, or never comes when the server destroyed
   * the connection. Waits up to `ms` for those events, then writes the final stage of the rest, so
   * every answered request is in the log.
   */
  async settle(ms = 2_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.open.size && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    for (const ra of [...this.open]) ra.complete();
  }

  emit(ev: AuditEvent): void {
    this.metrics?.event();
    this.sink.write(boundedLine(ev, this.maxEventBytes, this.line));
  }

  /**
   * Starts auditing a request whose user is known (authenticated, or undefined when authentication
   * failed). Returns undefined when the policy says None.
   */
  begin(req: FastifyRequest, reply: FastifyReply, receivedAt: number, failedAuthentication = false): RequestAudit | undefined {
    const i = req.kinfo;
    const user = failedAuthentication ? undefined : (req.authenticatedUser ?? req.user);
    const config = this.policy.evaluate({
      user, verb: i.verb, isResourceRequest: i.isResourceRequest, path: i.path, namespace: i.namespace,
      apiGroup: i.apiGroup, resource: i.resource, subresource: i.subresource, name: i.name,
    });
    this.metrics?.level(config.level);
    if (config.level === 'None') return undefined;
    const ra = new RequestAudit(this, req, reply, config, receivedAt, failedAuthentication);
    this.open.add(ra);
    reply.raw.once('close', () => ra.complete());
    if (!failedAuthentication) ra.stage('RequestReceived');
    return ra;
  }
}

export class RequestAudit {
  private readonly ev: AuditEvent;
  private readonly received: number;
  private readonly rank: number;
  private annotations: Record<string, string> | undefined;
  private status: ResponseStatus | undefined;
  private statusFixed = false;
  private requestObj: unknown;
  private responseObj: unknown;
  private started = false;
  private done = false;
  private readonly longRunning: boolean;

  constructor(
    private readonly auditor: Auditor,
    private readonly req: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly config: RequestAuditConfig,
    receivedAt: number,
    private readonly failedAuthentication: boolean,
  ) {
    this.received = receivedAt;
    this.rank = levelRank(config.level);
    const i = req.kinfo;
    this.longRunning = i.isResourceRequest && i.verb === 'watch';
    const ts = microTime(this.received);
    const ips = sourceIPs(req.raw);
    const ua = userAgent(req.raw);
    // Every key is present from the start, in kube's field order; JSON.stringify leaves out the
    // undefined ones, as Go's omitempty does.
    this.ev = {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: config.level, auditID: String(req.id), stage: 'RequestReceived',
      requestURI: req.raw.url ?? req.url, verb: i.verb, user: {}, impersonatedUser: undefined,
      sourceIPs: ips.length ? ips : undefined, userAgent: ua || undefined,
      objectRef: i.isResourceRequest
        ? {
            resource: i.resource || undefined, namespace: i.namespace || undefined, name: i.name || undefined, uid: undefined,
            apiGroup: i.apiGroup || undefined, apiVersion: i.apiVersion || undefined, resourceVersion: undefined,
            subresource: i.subresource || undefined,
          }
        : undefined,
      responseStatus: undefined, requestObject: undefined, responseObject: undefined,
      requestReceivedTimestamp: ts, stageTimestamp: ts, annotations: undefined,
    };
  }

  private annotate(key: string, value: string): void {
    (this.annotations ??= {})[key] = value;
  }

  /** kube's WithAuthorization annotations. */
  authorized(d: Decision): void {
    this.annotate('authorization.k8s.io/decision', d.decision === 'allow' ? 'allow' : 'forbid');
    this.annotate('authorization.k8s.io/reason', d.reason);
  }

  authorizationError(): void {
    this.annotate('authorization.k8s.io/reason', 'internal error');
  }

  /**
   * The decoded request body (create, update, patch, delete options). Its metadata completes the
   * objectRef at every level; the body itself is kept from Request level on, copied now because the
   * handler goes on to change the object.
   */
  requestObject(obj: unknown): void {
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      const m = (obj as { metadata?: Record<string, unknown> }).metadata;
      const ref = this.ev.objectRef;
      if (m && ref) {
        if (!ref.namespace && typeof m['namespace'] === 'string' && m['namespace']) ref.namespace = m['namespace'];
        if (!ref.name && typeof m['name'] === 'string' && m['name']) ref.name = m['name'];
        if (!ref.uid && typeof m['uid'] === 'string' && m['uid']) ref.uid = m['uid'];
        if (!ref.resourceVersion && typeof m['resourceVersion'] === 'string' && m['resourceVersion']) ref.resourceVersion = m['resourceVersion'];
      }
    }
    if (this.rank >= REQUEST) this.requestObj = this.withoutManagedFields(structuredClone(obj));
  }

  /** What the handler sent: a Status fills responseStatus; any object is kept at RequestResponse. */
  response(body: unknown, code: number): void {
    if (body && typeof body === 'object' && (body as { kind?: string }).kind === 'Status' && !this.statusFixed) {
      this.status = statusOf(body as Record<string, unknown>, code);
    }
    if (this.rank >= REQUEST_RESPONSE) this.responseObj = body;
  }

  /** A failure answered with a Status; `message` is what the log may show (no echo of request bytes). */
  failure(body: Record<string, unknown>, code: number, message: string): void {
    this.status = statusOf(body, code, message);
    this.statusFixed = true;
  }

  /** An unexpected error: kube's Panic stage replaces ResponseComplete. */
  panic(err: Error): void {
    if (this.done) return;
    this.status = { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${err.message}`, reason: 'InternalError', code: 500 };
    this.statusFixed = true;
    this.stage('Panic');
    this.done = true;
    this.auditor.finished(this);
  }

  /** Headers of a long-running response are out (a watch has started streaming). */
  responseStarted(code: number): void {
    if (this.started || !this.longRunning) return;
    this.started = true;
    this.status ??= { metadata: {}, code };
    this.stage('ResponseStarted');
  }

  /** The response ended (or the connection closed): emits the final stage once. */
  complete(): void {
    if (this.done) return;
    this.done = true;
    this.auditor.finished(this);
    const raw = this.reply.raw;
    const code = raw.headersSent ? raw.statusCode : undefined;
    if (code !== undefined) {
      if (!this.status) this.status = { metadata: {}, code };
      else this.status.code = code;
    }
    if (this.failedAuthentication) {
      // kube's WithFailedAuthenticationAudit: one event, at ResponseStarted.
      this.status ??= { metadata: {}, message: 'Authentication failed', code: 401 };
      this.stage('ResponseStarted');
      return;
    }
    // Connection closed before anything was written: kube fakes a success "Connection closed early".
    this.status ??= { metadata: {}, status: 'Success', message: 'Connection closed early', code: 200 };
    if (this.longRunning && !this.started) {
      this.started = true;
      this.stage('ResponseStarted');
    }
    this.stage('ResponseComplete');
  }

  stage(stage: Stage): void {
    if (this.config.omitStages.has(stage)) return;
    const ev = this.ev;
    ev.stage = stage;
    ev.stageTimestamp = stage === 'RequestReceived' ? ev.requestReceivedTimestamp : microTime(nowMicros());
    if (!this.failedAuthentication) {
      const original = this.req.authenticatedUser;
      ev.user = auditUser(original ?? this.req.user);
      if (original) ev.impersonatedUser = auditUser(this.req.user);
    }
    if (this.status) ev.responseStatus = this.status;
    if (stage !== 'RequestReceived') {
      if (this.requestObj !== undefined) ev.requestObject = this.requestObj;
      if (this.responseObj !== undefined && stage !== 'ResponseStarted') ev.responseObject = this.withoutManagedFields(this.responseObj);
    }
    if (this.annotations && this.rank >= METADATA) ev.annotations = { ...this.annotations };
    this.auditor.emit(ev);
  }

  private withoutManagedFields(obj: unknown): unknown {
    if (!this.config.omitManagedFields || !obj || typeof obj !== 'object') return obj;
    const strip = (o: unknown): unknown => {
      const m = (o as { metadata?: Record<string, unknown> } | null)?.metadata;
      if (!m || !('managedFields' in m)) return o;
      const { managedFields: _mf, ...rest } = m;
      return { ...(o as object), metadata: rest };
    };
    const o = obj as { items?: unknown[] };
    const top = strip(obj) as { items?: unknown[] };
    return Array.isArray(o.items) ? { ...top, items: o.items.map(strip) } : top;
  }
}
