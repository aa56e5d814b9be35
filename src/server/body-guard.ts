// Refuses request bodies nested deeper than any object we serve, before a parser sees them. Parsers
// and every recursive step after them (validation, field ownership, cloning) recurse per level, and
// deeply nested flow YAML drives V8 into an unrecoverable out-of-memory abort — so the check must
// come first and be exact: a byte scanner for JSON bodies, the yaml package's iterative lexer (which
// keeps quoted scalars whole) for YAML bodies. kube-apiserver's decoders stop at depth 10000; no
// served kind comes near our limit.

import { Lexer } from 'yaml';
import { errors } from '../api/errors.js';
import { parseMediaType } from './negotiation.js';

export const MAX_BODY_DEPTH = 256;

function tooDeep(): never {
  throw errors.badRequest(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep: exceeded max depth`);
}

/** Exact for JSON: brackets inside strings do not count. */
export function jsonDepth(body: Uint8Array, limit = MAX_BODY_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Flow-collection depth of a YAML document; block nesting is bounded by the body size limit. */
export function yamlFlowDepth(text: string, limit = MAX_BODY_DEPTH): number {
  let depth = 0;
  let max = 0;
  for (const tok of new Lexer().lex(text)) {
    if (tok === '[' || tok === '{') {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (tok === ']' || tok === '}') depth--;
  }
  return max;
}

/** Throws 400 when a body of this content type nests too deeply for its parser. */
export function guardBodyDepth(contentType: string | undefined, body: Buffer): void {
  if (!body.length) return;
  const type = parseMediaType(contentType ?? '').type;
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    if (jsonDepth(body) > MAX_BODY_DEPTH) tooDeep();
  } else if (type === 'application/yaml' || type.endsWith('+yaml')) {
    if (yamlFlowDepth(body.toString('utf8')) > MAX_BODY_DEPTH) tooDeep();
  }
}
