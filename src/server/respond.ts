// Writing responses: objects in the negotiated format, Warning headers, and Status errors.

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { stringify as yamlStringify } from 'yaml';
import type { KObject, Status } from '../api/types.js';
import type { Output } from './negotiation.js';
import { beforeLargeWrite } from './socket-read-path.js';

/**
 * RFC 7234 warn-text: a quoted string with `"` and `\` escaped, as kube writes Warning headers. Go
 * sends header bytes as UTF-8; Node takes header strings as Latin-1, so the UTF-8 bytes are passed
 * through one per character, and control characters (which Go turns into spaces) become spaces.
 */
export function warningHeader(text: string): string {
  const quoted = `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return Buffer.from(quoted.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' '), 'utf8').toString('latin1');
}

export function addWarnings(reply: FastifyReply, warnings: string[]): void {
  if (!warnings.length) return;
  // Keep warnings added earlier in the request (e.g. by authentication).
  const prev = reply.getHeader('Warning');
  const before = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('Warning', [...new Set([...before, ...warnings.map(warningHeader)])]);
}

// Frozen objects come from the storage cache and never change: serialize each once.
const serialized = new WeakMap<object, string>();

function toJson(body: object): string {
  if (!Object.isFrozen(body)) return JSON.stringify(body);
  let text = serialized.get(body);
  if (text === undefined) {
    text = JSON.stringify(body);
    serialized.set(body, text);
  }
  return text;
}

export function sendObject(reply: FastifyReply, code: number, body: KObject | Status, out: Output = { kind: 'json' }): FastifyReply {
  reply.code(code);
  reply.request.audit?.response(body, code);
  if (out.kind === 'yaml') {
    return reply.type('application/yaml').send(yamlStringify(body));
  }
  return reply.type('application/json').send(toJson(body));
}

/**
 * Takes the response over from fastify for a stream of any length (watch, re-encryption progress,
 * backup): the socket leaves Node's native read path first (socket-read-path.ts), and the headers
 * go out at once.
 */
export function openStream(reply: FastifyReply, headers: Record<string, string>): ServerResponse {
  const raw = reply.raw;
  reply.hijack();
  beforeLargeWrite(raw.socket);
  raw.writeHead(200, { ...headers, 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  raw.flushHeaders();
  return raw;
}
