// Typed API errors. Every failure the server reports is one of these; `toStatus` is the single place
// that turns any thrown value into a Kubernetes Status (unknown errors become a 500 without details,
// so nothing internal, and never a secret value, leaks into a response).

import { type FieldError, errorBody, formatFieldError } from './field-errors.js';
import type { Status, StatusCause, StatusDetails } from './types.js';

export interface GroupResource {
  group: string;
  resource: string;
}

/** `secrets`, `roles.rbac.authorization.k8s.io` as apimachinery prints a GroupResource. */
export function grString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: StatusDetails;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Record<string, string>;
  /** What went wrong underneath, when kube's response does not carry it; never sent to clients. */
  detail?: string;
  /** The message the audit log records when `message` echoes request bytes (which may be secret). */
  auditMessage?: string;
  /** Status.metadata (e.g. a fresh continue token on an expired list). */
  listMeta?: { continue?: string };
  constructor(code: number, reason: string, message: string, details?: StatusDetails, headers?: Record<string, string>) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }
  toStatus(): Status {
    // Field order follows kube's JSON encoding so responses read the same.
    const st: Partial<Status> = { kind: 'Status', apiVersion: 'v1', metadata: { ...this.listMeta }, status: 'Failure', message: this.message };
    if (this.reason) st.reason = this.reason;
    if (this.details) st.details = this.details;
    st.code = this.code;
    return st as Status;
  }
}

const det = (gr: GroupResource, name?: string, extra: Partial<StatusDetails> = {}): StatusDetails => {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return { ...d, ...extra };
};

/**
 * Bounds on one 422: kube lists every field error, so a 3 MB body of invalid keys made a 61 MB answer.
 * Opaque reports the first errors (the message says how many more) and answers in kilobytes.
 */
export const MAX_MESSAGE_ERRORS = 100;
export const MAX_CAUSES = 1000;

export const errors = {
  notFound(gr: GroupResource, name: string): StatusError {
    return new StatusError(404, 'NotFound', `${grString(gr)} "${name}" not found`, det(gr, name));
  },
  /** Router-level 404 for an unknown path or resource. */
  pathNotFound(): StatusError {
    return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  alreadyExists(gr: GroupResource, name: string, prefix = ''): StatusError {
    return new StatusError(409, 'AlreadyExists', `${prefix}${grString(gr)} "${name}" already exists`, det(gr, name));
  },
  generateNameConflict(gr: GroupResource, name: string): StatusError {
    return new StatusError(
      409, 'AlreadyExists',
      `${grString(gr)} "${name}" already exists, the server was not able to generate a unique name for the object`,
      det(gr, name, { retryAfterSeconds: 1 }),
    );
  },
  conflict(gr: GroupResource, name: string, why: string): StatusError {
    return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${grString(gr)} "${name}": ${why}`, det(gr, name));
  },
  /** A failed uid/resourceVersion precondition, worded as kube's storage layer reports it. */
  preconditionFailed(gr: GroupResource, name: string, key: string, detail: string): StatusError {
    return errors.conflict(gr, name, `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${detail}`);
  },
  modified(gr: GroupResource, name: string): StatusError {
    return errors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
  },
  /** 422 with causes; `kind` is the Kind (Secret), `group` its API group. */
  invalid(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
    // Deduplicated as apimachinery's aggregate does (a set), so the cost stays linear in the errors.
    const unique = [...new Set(errs.map(formatFieldError))];
    const shown = unique.length > MAX_MESSAGE_ERRORS
      ? [...unique.slice(0, MAX_MESSAGE_ERRORS), `and ${unique.length - MAX_MESSAGE_ERRORS} more errors`]
      : unique;
    const list = shown.length === 1 ? shown[0] : `[${shown.join(', ')}]`;
    const causes: StatusCause[] = errs.slice(0, MAX_CAUSES).map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
    const gk = group ? `${kind}.${group}` : kind;
    // Go omits empty strings in StatusDetails.
    const d: StatusDetails = name ? { name } : {};
    if (group) d.group = group;
    d.kind = kind;
    d.causes = causes;
    return new StatusError(422, 'Invalid', `${gk} "${name}" is invalid: ${list}`, d);
  },
  /**
   * 422 for a request the server could not apply (e.g. a failing JSON patch). kube-apiserver builds it
   * with NewGenericServerResponse(422, …, isUnexpectedResponse=false): a fixed message, empty details,
   * and the underlying error is not returned — kubectl prints "The request is invalid: the server
   * rejected our request due to an error in our request".
   */
  invalidRequest(detail: string): StatusError {
    const e = new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
    e.detail = detail;
    return e;
  },
  badRequest(message: string): StatusError {
    return new StatusError(400, 'BadRequest', message);
  },
  unauthorized(message = 'Unauthorized'): StatusError {
    return new StatusError(401, 'Unauthorized', message);
  },
  forbidden(gr: GroupResource, name: string | undefined, why: string, causes?: StatusCause[]): StatusError {
    const subject = name ? `${grString(gr)} "${name}"` : grString(gr);
    return new StatusError(403, 'Forbidden', `${subject} is forbidden: ${why}`, det(gr, name, causes ? { causes } : {}));
  },
  gone(message: string): StatusError {
    return new StatusError(410, 'Gone', message);
  },
  expired(message: string): StatusError {
    return new StatusError(410, 'Expired', message);
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): StatusError {
    return new StatusError(405, 'MethodNotAllowed', message, {});
  },
  notAcceptable(message: string): StatusError {
    return new StatusError(406, 'NotAcceptable', message);
  },
  tooLarge(limit: number): StatusError {
    return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  },
  unsupportedMediaType(accepted: string[]): StatusError {
    return new StatusError(
      415, 'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  },
  tooManyRequests(message: string, retryAfter = 1): StatusError {
    return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds: retryAfter }, { 'Retry-After': String(retryAfter) });
  },
  /** A plain error kube reports as 500 with no reason or details (e.g. storage precondition bugs). */
  rawInternal(message: string): StatusError {
    return new StatusError(500, '', message);
  },
  internal(message: string): StatusError {
    return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
  serviceUnavailable(message: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', message);
  },
  timeout(message: string, causes?: StatusCause[]): StatusError {
    return new StatusError(504, 'Timeout', `Timeout: ${message}`, causes ? { causes, retryAfterSeconds: 1 } : { retryAfterSeconds: 1 });
  },
};

/** The one mapping from anything thrown to a Status. */
export function toStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.toStatus();
  return errors.internal('an unexpected error occurred while serving the request').toStatus();
}
