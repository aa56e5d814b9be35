// The HTTPS front door. Every request runs the same stages in order, as in kube-apiserver's filter
// chain: request info → authentication → authorization → (handler: decode → admission → registry).
// Health and version endpoints are public so probes and kubectl's version check need no credentials.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { errors, StatusError, toStatus } from '../api/errors.js';
import type { Auditor, RequestAudit } from '../audit/auditor.js';
import { nowMicros } from '../audit/event.js';
import { ANONYMOUS, type AuthenticatorChain } from '../auth/chain.js';
import { takeAuthenticationWarnings } from '../auth/token.js';
import { forbiddenError } from '../auth/authorizer.js';
import { impersonate } from '../auth/impersonation.js';
import type { Authorizer, Decision } from '../auth/types.js';
import type { Registry } from '../registry/index.js';
import type { UserInfo } from '../registry/types.js';
import { openapiV3DocumentJSON, openapiV3Root } from '../api/schema/index.js';
import { sendOpenAPIV2 } from './openapi-v2.js';
import {
  aggregatedContentType, aggregatedList, aggregatedVersion, apiGroupList, apiGroupObject, apiResourceList, apiVersions,
  VERSION_INFO, type GroupVersions,
} from './discovery.js';
import { guardBodyDepth } from './body-guard.js';
import { dispatchResource } from './handlers/dispatch.js';
import { encryptionStatus, reencrypt } from './admin/encryption.js';
import { rotate } from './admin/rotation.js';
import { beforeLargeWrite, isLarge } from './socket-read-path.js';
import { InflightLimiter, TOO_MANY_REQUESTS } from './inflight.js';
import type { ConnectionGuard } from './connections.js';
import { leavesTooMuchUnread, lingerOnClose } from './unread-body.js';
import { streamBackup } from './admin/backup.js';
import type { LiveEncryption } from '../encryption/live.js';
import type { HealthChecks } from './health.js';
import type { OidcDiscovery } from './oidc.js';
import type { ServerMetrics } from './metrics.js';
import { resolveRequestInfo, type RequestInfo } from './request-info.js';
import { addWarnings, sendObject } from './respond.js';
import { secureContextOptions, type TlsPolicy } from './tls-policy.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

export interface AppOptions {
  tls: { key: string; cert: string; clientCA: string };
  /** --tls-min-version and --tls-cipher-suites, resolved. */
  tlsPolicy: TlsPolicy;
  inflight: InflightLimiter;
  /** Limits on connections without credentials; shutdown. */
  connections: ConnectionGuard;
  timeouts: ListenerTimeouts;
  authn: AuthenticatorChain;
  authz: Authorizer;
  registry: Registry;
  health: HealthChecks;
  metrics: ServerMetrics;
  log: Logger;
  /** host:port clients use, for /api's serverAddressByClientCIDRs. */
  externalAddress: () => string;
  shuttingDown: AbortSignal;
  encryption: LiveEncryption;
  /** Service-account issuer discovery (/.well-known/openid-configuration, /openid/v1/jwks). */
  oidc?: OidcDiscovery;
  /** The audit stage; undefined when auditing is off. */
  audit?: Auditor;
}

declare module 'fastify' {
  interface FastifyRequest {
    kinfo: RequestInfo;
    kquery: URLSearchParams;
    /** The effective user (the impersonated one when impersonation happened). */
    user?: UserInfo;
    /** Set only under impersonation: the user who actually authenticated. */
    authenticatedUser?: UserInfo;
    /** This request's audit record, when the audit policy logs it. */
    audit?: RequestAudit;
  }
}

const PUBLIC = /^\/(healthz|livez|readyz)(\/.*)?$|^\/version\/?$/;

function groupVersions(registry: Registry): GroupVersions[] {
  const map = new Map<string, GroupVersions>();
  for (const info of registry.infos()) {
    const k = `${info.group}/${info.version}`;
    if (!map.has(k)) map.set(k, { group: info.group, version: info.version, resources: [] });
    map.get(k)!.resources.push(info);
  }
  for (const gv of map.values()) gv.resources.sort((a, b) => a.resource.localeCompare(b.resource));
  return [...map.values()];
}

/**
 * kube-apiserver's http.Server has ReadHeaderTimeout 32 s (also the TLS handshake's, as in Go) and
 * IdleTimeout 90 s. Node's requestTimeout is the time for a request's headers and body to arrive:
 * answers, watches and streams are not limited by it (kube's --request-timeout, 60 s, bounds the
 * body read the same way there, as it runs inside the handler).
 */
export interface ListenerTimeouts {
  readHeaderMs: number;
  requestReadMs: number;
}
export const DEFAULT_TIMEOUTS: ListenerTimeouts = { readHeaderMs: 32_000, requestReadMs: 60_000 };
const IDLE_TIMEOUT_MS = 90_000;
/** How often Node checks requests against those deadlines (its default, 30 s, is as long as they are). */
const TIMEOUT_CHECK_MS = 1_000;

export function buildApp(o: AppOptions): FastifyInstance {
  const t = o.timeouts;
  const app = Fastify({
    https: {
      ...secureContextOptions(o.tls, o.tlsPolicy), requestCert: true, rejectUnauthorized: false,
      handshakeTimeout: t.readHeaderMs, headersTimeout: t.readHeaderMs, requestTimeout: t.requestReadMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    requestTimeout: t.requestReadMs,
    keepAliveTimeout: IDLE_TIMEOUT_MS,
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    logger: false,
    // kube's WithAuditInit: an Audit-ID set by a front server is kept, else a fresh UUID.
    genReqId: (req) => {
      const h = req.headers['audit-id'];
      return typeof h === 'string' && h !== '' ? h : randomUUID();
    },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  o.connections.attach(app.server as unknown as TlsServer);
  // Before a large answer, its socket leaves Node's native read path (see socket-read-path.ts).
  // An answer that leaves much of the body unread, or comes during shutdown, closes its connection.
  app.addHook('onSend', (req, reply, payload, done) => {
    const socket = req.raw.socket;
    if (socket && isLarge(payload, socket.writableHighWaterMark)) beforeLargeWrite(socket);
    if (socket && (leavesTooMuchUnread(req.raw) || o.connections.closing)) {
      reply.header('Connection', 'close');
      lingerOnClose(socket);
    }
    done(null, payload);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BODY_BYTES }, (req, body, done) => {
    try {
      guardBodyDepth(req.headers['content-type'], body as Buffer);
      done(null, body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.decorateRequest('kinfo', null as unknown as RequestInfo);
  app.decorateRequest('kquery', null as unknown as URLSearchParams);
  app.decorateRequest('audit', undefined);
  const audit = o.audit;

  // Callback style, and synchronous when authentication and authorization are (client certificates,
  // system:masters): no promise per request on the hot path.
  app.addHook('onRequest', (req, reply, done) => {
    const receivedAt = audit ? nowMicros() : 0;
    try {
      reply.header('Audit-Id', req.id);
      reply.header('X-Content-Type-Options', 'nosniff');
      const q = req.url.indexOf('?');
      const path = q >= 0 ? req.url.slice(0, q) : req.url;
      req.kquery = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
      req.kinfo = resolveRequestInfo(req.method, path.includes('%') ? decodeURIComponentSafe(path) : path, req.kquery);
      if (PUBLIC.test(path)) {
        if (audit) {
          // Probes need no credentials, but the policy still sees who asked when it can tell.
          req.user = publicUser(o.authn, req);
          req.audit = audit.begin(req, reply, receivedAt);
        }
        return done();
      }
      const authorize = (user: UserInfo) => {
        if (user.username !== ANONYMOUS.username) o.connections.authenticated(req.raw.socket);
        if (hasImpersonation(req.raw)) {
          impersonate(req.raw, user, o.authz).then((as) => {
            if (as) req.authenticatedUser = user;
            authorizeAs(as ?? user);
          }, (err: Error) => {
            // A refused impersonation is audited as the caller who asked for it.
            req.user = user;
            if (audit && !req.audit) req.audit = audit.begin(req, reply, receivedAt);
            done(err);
          });
          return;
        }
        authorizeAs(user);
      };
      const authorizeAs = (user: UserInfo) => {
        req.user = user;
        if (audit) req.audit = audit.begin(req, reply, receivedAt);
        const i = req.kinfo;
        // kube's order: the in-flight limit applies to the (impersonated) user, before authorization.
        const release = o.inflight.admit(i.verb, longRunning(i), user);
        if (!release) {
          reply.code(429).header('Retry-After', '1').type('text/plain; charset=utf-8').send(TOO_MANY_REQUESTS);
          return;
        }
        reply.raw.once('close', release);
        const warned = takeAuthenticationWarnings(req.raw);
        if (warned) addWarnings(reply, warned);
        const attrs = {
          user, verb: i.verb, isResourceRequest: i.isResourceRequest, path: i.path,
          namespace: i.namespace, apiGroup: i.apiGroup, apiVersion: i.apiVersion, resource: i.resource, subresource: i.subresource, name: i.name,
        };
        const decide = (d: Decision) => {
          req.audit?.authorized(d);
          return d.decision === 'allow' ? done() : done(forbiddenError(attrs, d.reason));
        };
        const d = o.authz.authorize(attrs);
        if (d instanceof Promise) {
          d.then(decide, (err: Error) => {
            req.audit?.authorizationError();
            done(err);
          });
        } else decide(d);
      };
      const failed = (err: Error) => {
        // kube's WithFailedAuthenticationAudit: a rejected credential is audited without a user.
        if (audit && !req.audit && (err as { code?: number }).code === 401) req.audit = audit.begin(req, reply, receivedAt, true);
        done(err);
      };
      let user;
      try {
        user = o.authn.authenticate(req.raw);
      } catch (err) {
        return failed(err as Error);
      }
      if (user instanceof Promise) user.then(authorize, failed);
      else authorize(user);
    } catch (err) {
      done(err as Error);
    }
  });

  app.addHook('onResponse', (req, reply, done) => {
    const i = req.kinfo;
    if (i?.isResourceRequest) o.metrics.observe(i.verb, i.apiGroup, i.apiVersion, i.resource, i.subresource, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    let status: StatusError;
    if (err instanceof StatusError) status = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') status = errors.tooLarge(MAX_REQUEST_BODY_BYTES);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') status = errors.unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    else if (err.code?.startsWith('FST_ERR_CTP') || err.statusCode === 400) status = errors.badRequest(err.message);
    else {
      o.log.error({ err: { message: err.message, stack: err.stack }, method: req.method, path: req.kinfo?.path }, 'request failed');
      status = errors.internal('an unexpected error occurred while serving the request');
      req.audit?.panic(err);
    }
    req.audit?.failure(status.toStatus() as never, status.code, status.auditMessage ?? status.message);
    if (status.code >= 500 && status.reason !== 'InternalError') o.log.warn({ path: req.kinfo?.path, code: status.code }, status.message);
    for (const [k, v] of Object.entries(status.headers ?? {})) reply.header(k, v);
    reply.header('X-Content-Type-Options', 'nosniff');
    if (reply.sent || reply.raw.headersSent) return;
    sendObject(reply, status.code, toStatus(status));
  });

  app.setNotFoundHandler((_req, reply) => sendObject(reply, 404, errors.pathNotFound().toStatus()));

  app.all('*', async (req: FastifyRequest, reply: FastifyReply) => {
    const i = req.kinfo;
    if (i.isResourceRequest) {
      return dispatchResource(req, reply, i, req.kquery, req.user!, o.registry, o.authz, o.shuttingDown);
    }
    return nonResource(req, reply, o);
  });

  return app;
}

/** Requests that stay open for as long as the client wants: never counted against the in-flight limits. */
function longRunning(i: RequestInfo): boolean {
  return i.verb === 'watch' || (!i.isResourceRequest && STREAMING.test(i.path));
}
const STREAMING = /^\/opaque\/v1\/(backup|encryption\/(reencrypt|rotate))\/?$/;

function hasImpersonation(req: FastifyRequest['raw']): boolean {
  for (const h of Object.keys(req.headers)) if (h.startsWith('impersonate-')) return true;
  return false;
}

/** The caller of a public endpoint, for the audit policy: a client certificate's user, else anonymous. */
function publicUser(authn: AuthenticatorChain, req: FastifyRequest): UserInfo {
  try {
    return authn.identify(req.raw) ?? ANONYMOUS;
  } catch {
    return ANONYMOUS; // a bad credential does not block a probe
  }
}

function decodeURIComponentSafe(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw errors.badRequest(`invalid path: ${p}`);
  }
}

async function nonResource(req: FastifyRequest, reply: FastifyReply, o: AppOptions): Promise<unknown> {
  const path = req.kinfo.path.replace(/\/+$/, '') || '/';
  const method = req.method;
  if (path === '/opaque/v1/encryption/rotate') {
    if (method !== 'POST') throw errors.methodNotAllowed();
    return rotate(o.registry, o.encryption, reply, req.kquery.get('step') ?? '', o.shuttingDown);
  }
  if (path === '/opaque/v1/encryption/reencrypt') {
    if (method !== 'POST') throw errors.methodNotAllowed();
    const rate = Number(req.kquery.get('rate') ?? 0);
    if (!Number.isFinite(rate) || rate < 0) throw errors.badRequest('rate must be a non-negative number of objects per second');
    return reencrypt(o.registry, o.encryption, reply, o.shuttingDown, rate);
  }
  if (path === '/opaque/v1/backup') {
    if (method !== 'GET') throw errors.methodNotAllowed();
    return streamBackup(o.registry, o.encryption, reply, o.shuttingDown);
  }
  if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed();
  const discovery = o.oidc?.handle(path, reply);
  if (discovery) return discovery;
  if (path === '/opaque/v1/encryption/status') {
    return reply.code(200).type('application/json').send(JSON.stringify(await encryptionStatus(o.registry, o.encryption)));
  }
  const gvs = groupVersions(o.registry);
  const accept = req.headers.accept;
  const json = (body: unknown, type = 'application/json') => reply.code(200).type(type).send(JSON.stringify(body));

  const health = /^\/(healthz|livez|readyz)(\/|$)/.exec(path);
  if (health) {
    const res = await o.health.run(health[1]!, path, req.kquery);
    if (res.failures.length) o.log.warn({ endpoint: health[1], failures: res.failures }, 'health check failed');
    return reply.code(res.code).type('text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff').send(res.body);
  }
  if (path === '/version') return json(VERSION_INFO);
  if (path === '/metrics') return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  if (path === '/api' || path === '/apis') {
    const v = aggregatedVersion(accept);
    const selected = gvs.filter((g) => (path === '/api' ? g.group === '' : g.group !== ''));
    if (v) return json(aggregatedList(v, selected), aggregatedContentType(v));
    return json(path === '/api' ? apiVersions(o.externalAddress()) : apiGroupList(gvs));
  }
  if (path === '/api/v1') {
    const core = gvs.find((g) => g.group === '' && g.version === 'v1');
    if (core) return json(apiResourceList(core));
  }
  let m = /^\/apis\/([^/]+)$/.exec(path);
  if (m) {
    const g = apiGroupObject(m[1]!, gvs);
    if (g) return json(g);
  }
  m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) {
    const gv = gvs.find((g) => g.group === m![1] && g.version === m![2]);
    if (gv) return json(apiResourceList(gv));
  }
  if (path === '/openapi/v2') return sendOpenAPIV2(req, reply, gvs.map((g) => ({ group: g.group, version: g.version })));
  if (path === '/openapi/v3') return json(openapiV3Root(gvs.map((g) => ({ group: g.group, version: g.version }))));
  m = /^\/openapi\/v3\/(.+)$/.exec(path);
  if (m && gvs.some((g) => (g.group ? `apis/${g.group}/${g.version}` : `api/${g.version}`) === m![1])) {
    const doc = openapiV3DocumentJSON(m[1]!);
    if (doc) {
      const asked = req.kquery.get('hash');
      if (asked && asked !== doc.hash) {
        // A stale hash means the client's index is out of date: send it to the current document.
        return reply.code(301).header('Location', `/openapi/v3/${m[1]}?hash=${doc.hash}`).send();
      }
      reply.header('Cache-Control', asked ? 'public, immutable, max-age=31536000' : 'no-cache, private');
      reply.header('Etag', `"${doc.hash}"`);
      return reply.code(200).type('application/json').send(doc.json);
    }
  }
  throw errors.pathNotFound();
}
