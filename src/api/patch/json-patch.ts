// RFC 6902 JSON patch with the semantics and error texts of gopkg.in/evanphx/json-patch.v4 (v4.13),
// which kube-apiserver uses: negative array indices count from the end, a missing parent is
// "doc is missing path", and every failure while applying is a 422 (`NewGenericServerResponse(422…)`,
// rendered by kubectl as "The request is invalid: <message>"). The mutations happen here, on the
// container already resolved, with own-property writes: "__proto__" is an ordinary key to Go (and a
// valid Secret data key), so it is neither refused (fast-json-patch's guard threw a TypeError, a
// 500) nor assigned (which would replace a prototype). fast-json-patch supplies deep equality.

import jsonpatch from 'fast-json-patch';
import { errors, StatusError } from '../errors.js';
import { isObject, setOwn } from './schema.js';

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

interface Target { container: Container; key: string }

/** evanphx findObject: walk to the parent of the last token; undefined when any step is missing. */
function findObject(doc: unknown, path: string): Target | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: unknown = doc;
  for (const raw of split.slice(1, -1)) {
    const part = decodeToken(raw);
    let next: unknown;
    if (Array.isArray(cur)) {
      let idx: number;
      try { idx = atoi(part); } catch { return undefined; }
      if (idx < 0) idx += cur.length;
      if (idx < 0 || idx >= cur.length) return undefined;
      next = cur[idx];
    } else if (isObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      next = cur[part];
    } else {
      return undefined;
    }
    if (!Array.isArray(next) && !isObject(next)) return undefined;
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  return { container: cur, key: decodeToken(split[split.length - 1]!) };
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

// The document is our own copy (applyJsonPatch clones it), so containers are changed in place.
function add(doc: unknown, t: Target, value: unknown): unknown {
  if (Array.isArray(t.container)) {
    if (t.key === '-') { t.container.push(value); return doc; }
    let idx: number;
    try { idx = atoi(t.key); } catch (e) { return fail(`value was not a proper array index: '${t.key}': ${(e as Error).message}`); }
    const size = t.container.length + 1;
    if (idx >= size || idx < -size) fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    if (idx < 0) idx += size;
    t.container.splice(idx, 0, value);
    return doc;
  }
  setOwn(t.container, t.key, value);
  return doc;
}

function remove(doc: unknown, t: Target): unknown {
  if (Array.isArray(t.container)) {
    t.container.splice(existingIndex(t.container, t.key, true), 1);
    return doc;
  }
  if (!Object.prototype.hasOwnProperty.call(t.container, t.key)) fail(`unable to remove nonexistent key: ${t.key}: ${MISSING}`);
  delete t.container[t.key];
  return doc;
}

function replace(doc: unknown, t: Target, value: unknown): unknown {
  if (Array.isArray(t.container)) t.container[existingIndex(t.container, t.key)] = value;
  else setOwn(t.container, t.key, value);
  return doc;
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
      try { get(t); } catch { fail(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`); }
      return replace(doc, t, value ?? null);
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
    throw e;
  }
  return cur as T;
}

