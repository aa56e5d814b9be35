// GET /openapi/v2 as kube-openapi's handler answers it: the first Accept clause (by q, then order)
// that names JSON or gnostic protobuf decides; protobuf is asked for with an '@' in the subtype
// (client-go's spelling) or a '.', and always labelled with the '.' form, since '@' is not a legal
// media-type character and client-go's own parser rejects it; nothing acceptable → 406. One ETag for
// both encodings (the JSON's), 304 when If-None-Match has it.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { encodeOpenAPIV2, OPENAPI_V2_PROTOBUF, openapiV2 } from '../api/openapi-v2/index.js';
import { errors } from '../api/errors.js';
import type { GroupVersion } from '../api/schema/model.js';
import { parseMediaType } from './negotiation.js';

const PROTOBUF_SUBTYPES = ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'];

let proto: { hash: string; bytes: Buffer } | undefined;

function negotiate(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const clauses = (accept?.trim() ? accept : '*/*').split(',').map((c, i) => {
    const mt = parseMediaType(c);
    const q = Number(mt.params.q ?? 1);
    const [type = '', subtype = ''] = mt.type.split('/');
    return { type, subtype, q: Number.isFinite(q) ? q : 0, i };
  }).filter((c) => c.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const c of clauses) {
    if (c.type !== 'application' && c.type !== '*') continue;
    if (c.subtype === 'json' || c.subtype === '*') return 'json';
    if (PROTOBUF_SUBTYPES.includes(c.subtype)) return 'protobuf';
  }
  return undefined;
}

export function sendOpenAPIV2(req: FastifyRequest, reply: FastifyReply, gvs: GroupVersion[]): FastifyReply {
  const format = negotiate(req.headers.accept);
  if (!format) throw errors.notAcceptable(`only the following media types are accepted: application/json, application/${PROTOBUF_SUBTYPES[1]}`);
  const v2 = openapiV2(gvs);
  const etag = `"${v2.hash}"`;
  reply.header('Etag', etag).header('Vary', 'Accept').type(format === 'json' ? 'application/json' : OPENAPI_V2_PROTOBUF);
  if (req.headers['if-none-match']?.includes(v2.hash)) return reply.code(304).send();
  if (format === 'json') return reply.code(200).send(v2.json);
  if (proto?.hash !== v2.hash) proto = { hash: v2.hash, bytes: Buffer.from(encodeOpenAPIV2(v2.doc)) };
  return reply.code(200).send(proto.bytes);
}
