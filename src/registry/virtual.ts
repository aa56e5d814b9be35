// Resources and subresources that are answered by a function instead of being stored: access
// reviews, TokenReview and SelfSubjectReview (kube's create-only REST storages), and subresources
// such as serviceaccounts/token. The server decodes the body as the declared kind and hands it
// over; what comes back is sent as the response (201 for a create, as kube answers).

import type { KObject } from '../api/types.js';
import type { ResourceInfo, UserInfo } from './types.js';

export interface VirtualRequest {
  verb: string;
  user: UserInfo;
  /** The namespace from the URL (namespaced kinds only). */
  namespace?: string;
  /** The object name from the URL (subresources). */
  name?: string;
  /** The decoded request body (create/update), already checked against the kind's schema. */
  body?: KObject;
  dryRun: boolean;
  /** Warnings to send as Warning headers. */
  warnings: string[];
}

export interface VirtualResponse {
  code: number;
  object: KObject;
}

/** A resource that accepts only POST on its collection and stores nothing. */
export interface VirtualResource {
  info: ResourceInfo;
  create(req: VirtualRequest): Promise<VirtualResponse> | VirtualResponse;
}

/** A subresource of a stored resource, e.g. serviceaccounts/token (TokenRequest). */
export interface SubresourceHandler {
  /** The parent resource. */
  group: string;
  version: string;
  resource: string;
  /** The subresource name, e.g. "token". */
  name: string;
  /** The kind its body and response carry (decoded with this kind's schema). */
  kind: { group: string; version: string; kind: string };
  verbs: string[];
  handle(req: VirtualRequest): Promise<VirtualResponse> | VirtualResponse;
}
