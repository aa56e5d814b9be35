// Resolves a request path into kube-apiserver's RequestInfo (resource vs non-resource, verb, group,
// version, namespace, resource, subresource, name). Routing and authorization both read it.

import { exactNameFromSelector, parseFieldSelector } from '../api/selectors/index.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = {
  POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete',
};

/**
 * strings.Trim(path, "/"). Not a /\/+$/ regex: V8 retries it at every slash of a run, so a URL of
 * n slashes followed by one other character cost n² steps (16k slashes fit in a request line).
 */
function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 0x2f) start++;
  while (end > start && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(start, end);
}

export function resolveRequestInfo(method: string, rawPath: string, query: URLSearchParams): RequestInfo {
  const path = rawPath;
  const info: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', parts: [],
  };
  let parts = trimSlashes(path).split('/').filter((p, i, a) => p !== '' || i < a.length - 1);
  if (parts.length < 1 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    if (parts.length < 1) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  if (parts.length < 1) return info;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);
  if (parts.length < 1) return info;

  info.isResourceRequest = true;
  info.verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (parts[0] === 'watch') {
    parts = parts.slice(1);
    // Only GET can become a watch through the legacy /watch/ prefix.
    if (info.verb === 'get') info.verb = 'watch';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  } else {
    info.namespace = '';
  }
  info.parts = parts;
  if (parts.length >= 3) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (!info.name && info.verb === 'get') {
    const w = query.get('watch');
    info.verb = w === 'true' || w === '1' ? 'watch' : 'list';
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  // A list or watch pinned to one name by field selector is authorized as that name.
  if ((info.verb === 'list' || info.verb === 'watch') && !info.name) {
    const fs = query.get('fieldSelector');
    if (fs) {
      try {
        const n = exactNameFromSelector(parseFieldSelector(fs), { forAuthorization: true });
        if (n) info.name = n;
      } catch {
        // A malformed selector is reported by the list handler with a proper 400.
      }
    }
  }
  return info;
}
