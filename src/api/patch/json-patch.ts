// RFC 6902 JSON patch with the semantics and error texts of gopkg.in/evanphx/json-patch.v4 (v4.13),
// which kube-apiserver uses: negative array indices count from the end, a missing parent is
// "doc is missing path", and every failure while applying is a 422 (`NewGenericServerResponse(422…)`,
// rendered by kubectl as "The request is invalid: <message>"). fast-json-patch performs the actual
// mutations on pointers we have already resolved, with its prototype-pollution guard on.

import jsonpatch from 'fast-json-patch';
import { errors, StatusError } from '../errors.js';
import { isObject } from './schema.js';

/** kube-apiserver's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

type Container = Record<string, unknown> | unknown[];

class PatchFailure extends Error {}

const fail = (msg: string): never => { throw new PatchFailure(msg); };
const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** Go's strconv.Atoi, which accepts a sign. */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) fail(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  const n = Number(key);
  if (!Number.isSafeInteger(n)) fail(`strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`);
  return n;
}

const decodeToken = (t: string): string => t.replace(/~1/g, '/').replace(/~0/g, '~');
const encodeToken = (t: string): string => t.replace(/~/g, '~0').replace(/\//g, '~1');

interface Target { container: Container; key: string; pointer: string }

/** evanphx findObject: walk to the parent of the last token; undefined when any step is missing. */
function findObject(doc: unknown, path: string): Target | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: unknown = doc;
  let pointer = '';
  for (const raw of split.slice(1, -1)) {
    const part = decodeToken(raw);
    let next: unknown;
    if (Array.isArray(cur)) {
      let idx: number;
      try { idx = atoi(part); } catch { return undefined; }
      if (idx < 0) idx += cur.length;
      if (idx < 0 || idx >= cur.length) return undefined;
      next = cur[idx];
      pointer += `/${idx}`;
    } else if (isObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      next = cur[part];
      pointer += `/${encodeToken(part)}`;
    } else {
      return undefined;
    }
    if (!Array.isArray(next) && !isObject(next)) return undefined;
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  return { container: cur, key: decodeToken(split[split.length - 1]!), pointer };
}

/** Index of an existing array element (get/set/remove), negative counting from the end. */
function existingIndex(a: unknown[], key: string, forRemove = false): number {
  let idx = atoi(key);
  if (forRemove && idx >= a.length) fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  if (idx < 0) {
    if (idx < -a.length) fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    idx += a.length;
  }
  if (idx >= a.length) fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return idx;
}

function get(t: Target): unknown {
  if (Array.isArray(t.container)) return t.container[existingIndex(t.container, t.key)];
  if (!Object.prototype.hasOwnProperty.call(t.container, t.key)) fail(`unable to get nonexistent key: ${t.key}: ${MISSING}`);
  return (t.container as Record<string, unknown>)[t.key];
}

function run(doc: unknown, op: jsonpatch.Operation): unknown {
  return jsonpatch.applyOperation(doc, op, false, true, true).newDocument;
}

function add(doc: unknown, t: Target, value: unknown): unknown {
  if (Array.isArray(t.container)) {
    if (t.key === '-') return run(doc, { op: 'add', path: `${t.pointer}/-`, value });
    let idx: number;
    try { idx = atoi(t.key); } catch (e) { return fail(`value was not a proper array index: '${t.key}': ${(e as Error).message}`); }
    const size = t.container.length + 1;
    if (idx >= size || idx < -size) fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    if (idx < 0) idx += size;
    return run(doc, { op: 'add', path: `${t.pointer}/${idx}`, value });
  }
  return run(doc, { op: 'add', path: `${t.pointer}/${encodeToken(t.key)}`, value });
}

function remove(doc: unknown, t: Target): unknown {
  if (Array.isArray(t.container)) {
    return run(doc, { op: 'remove', path: `${t.pointer}/${existingIndex(t.container, t.key, true)}` });
  }
  if (!Object.prototype.hasOwnProperty.call(t.container, t.key)) fail(`unable to remove nonexistent key: ${t.key}: ${MISSING}`);
  return run(doc, { op: 'remove', path: `${t.pointer}/${encodeToken(t.key)}` });
}

function pointerOf(t: Target): string {
  return Array.isArray(t.container) ? `${t.pointer}/${existingIndex(t.container, t.key)}` : `${t.pointer}/${encodeToken(t.key)}`;
}

/** Wraps an inner failure the way pkg/errors.Wrapf does ("outer: inner"). */
function wrap<T>(prefix: string, f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof PatchFailure) throw new PatchFailure(`${prefix}: ${e.message}`);
    throw e;
  }
}

function strField(op: Record<string, unknown>, name: 'path' | 'from'): string | undefined {
  const v = op[name];
  return typeof v === 'string' ? v : undefined;
}

function applyOne(doc: unknown, op: Record<string, unknown>): unknown {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const path = strField(op, 'path');
  const hasValue = Object.prototype.hasOwnProperty.call(op, 'value');
  const value = op.value;
  switch (kind) {
    case 'add': {
      if (path === undefined) fail(`add operation failed to decode path: ${MISSING}`);
      const t = findObject(doc, path!) ?? fail(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      return wrap(`error in add for path: '${path}'`, () => add(doc, t, value ?? null));
    }
    case 'remove': {
      if (path === undefined) fail(`remove operation failed to decode path: ${MISSING}`);
      const t = findObject(doc, path!) ?? fail(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      return wrap(`error in remove for path: '${path}'`, () => remove(doc, t));
    }
    case 'replace': {
      if (path === undefined) fail(`replace operation failed to decode path: operation missing path field: ${MISSING}`);
      if (path === '') {
        if (!Array.isArray(value) && !isObject(value)) fail('replace operation value must be object or array');
        return structuredClone(value);
      }
      const t = findObject(doc, path!) ?? fail(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      let ptr = '';
      try { get(t); ptr = pointerOf(t); } catch { fail(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`); }
      return run(doc, { op: 'replace', path: ptr, value: value ?? null });
    }
    case 'move': case 'copy': {
      const from = strField(op, 'from');
      if (from === undefined) fail(`${kind} operation failed to decode from: operation, missing from field: ${MISSING}`);
      const src = findObject(doc, from!) ?? fail(`${kind} operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      const val = kind === 'move'
        ? wrap(`error in move for path: '${src.key}'`, () => get(src))
        : wrap(`error in copy for from: '${from}'`, () => get(src));
      let cur = doc;
      if (kind === 'move') cur = wrap(`error in move for path: '${src.key}'`, () => remove(doc, src));
      if (path === undefined) fail(`${kind} operation failed to decode path: ${kind === 'move' ? 'operation missing path field: ' : ''}${MISSING}`);
      const dst = findObject(cur, path!) ?? fail(`${kind} operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      return wrap(kind === 'move' ? `error in move for path: '${path}'` : 'error while adding value during copy',
        () => add(cur, dst, structuredClone(val)));
    }
    case 'test': {
      if (path === undefined) fail(`test operation failed to decode path: operation missing path field: ${MISSING}`);
      if (path === '') {
        if (!jsonpatch._areEquals(doc, value)) fail(`testing value ${path} failed: test failed`);
        return doc;
      }
      const t = findObject(doc, path!) ?? fail(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let cur: unknown;
      try { cur = get(t); } catch (e) {
        if (!Array.isArray(t.container)) cur = undefined;
        else fail(`error in test for path: '${path}': ${(e as Error).message}`);
      }
      // A missing value only matches an explicit null.
      if (cur === undefined) {
        if (hasValue && value === null) return doc;
        fail(`testing value ${path} failed: test failed`);
      }
      if (!hasValue || !jsonpatch._areEquals(cur, value)) fail(`testing value ${path} failed: test failed`);
      return doc;
    }
    default:
      return fail(`Unexpected kind: ${kind}`);
  }
}

/** Go's json error for decoding the body into []Operation. */
function decodeError(body: unknown): string | undefined {
  const t = (v: unknown): string =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : 'string';
  if (body === null) return undefined;
  if (!Array.isArray(body)) return `json: cannot unmarshal ${t(body)} into Go value of type jsonpatch.Patch`;
  const bad = body.find((op) => op !== null && !isObject(op));
  return bad === undefined ? undefined : `json: cannot unmarshal ${t(bad)} into Go value of type jsonpatch.Operation`;
}

/**
 * Applies an RFC 6902 patch (already parsed from JSON) to a copy of `doc`. A body that is not an
 * array of operation objects is a 400; a failing operation (including `test`) is a 422.
 */
export function applyJsonPatch<T = unknown>(doc: T, patchBody: unknown): T {
  const bad = decodeError(patchBody);
  if (bad) throw errors.badRequest(bad);
  const ops = (patchBody ?? []) as (Record<string, unknown> | null)[];
  if (ops.length > MAX_OPERATIONS) {
    throw new StatusError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${ops.length}`);
  }
  let cur: unknown = structuredClone(doc);
  try {
    for (const op of ops) cur = applyOne(cur, op ?? {});
  } catch (e) {
    if (e instanceof PatchFailure) throw errors.invalidRequest(e.message);
    if (e instanceof jsonpatch.JsonPatchError) throw errors.invalidRequest(e.message);
    throw e;
  }
  return cur as T;
}

