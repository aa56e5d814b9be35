// managedFields and server-side apply, following k8s.io/apimachinery/pkg/util/managedfields/internal
// (the manager chain NewDefaultFieldManager builds) on top of structured-merge-diff's merge.Updater:
//   versionCheck → lastAppliedUpdater → lastAppliedManager → capManagers(10) → buildManagerInfo →
//   managedFieldsUpdater (times) → stripMeta → structuredMerge (Updater.Update / Updater.Apply).
// Objects are plain JSON; ownership is computed on the object as the caller hands it over (for
// Secrets: after stringData was folded into data for writes, before folding for apply).

import { isDeepStrictEqual } from 'node:util';
import { errors, StatusError } from '../errors.js';
import type { JsonObject, KObject, ManagedFieldsEntry, StatusCause } from '../types.js';
import { FieldSet, compareStrings, field, goJson, goQuote, pathString, type Path } from './fieldpath.js';
import { hintsFor, isObject, type PatchHints } from './schema.js';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from './typed.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_UPDATE_MANAGERS = 10;
const ANNOTATIONS_LIMIT = 256 * 1024;

interface VersionedSet { set: FieldSet; apiVersion: string; applied: boolean }
interface Managed { fields: Map<string, VersionedSet>; times: Map<string, string | undefined> }

/** Paths no manager ever owns (stripmeta.go); removed exactly, not with what lies below. */
const STRIP = FieldSet.of(...['apiVersion', 'kind', 'metadata'].map((f) => [field(f)]),
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f) => [field('metadata'), field(f)]));

export interface ManagerIdentity { manager: string; operation: 'Apply' | 'Update'; apiVersion?: string; subresource?: string }

/** BuildManagerIdentifier: Go's JSON of the entry without fields/time (and apiVersion for appliers). */
function identifier(e: ManagerIdentity): string {
  const o: Record<string, string> = {};
  if (e.manager) o.manager = e.manager;
  o.operation = e.operation;
  if (e.operation !== 'Apply' && e.apiVersion) o.apiVersion = e.apiVersion;
  if (e.subresource) o.subresource = e.subresource;
  return JSON.stringify(o).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function rfc3339(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function decodeManaged(entries: unknown): Managed {
  const m: Managed = { fields: new Map(), times: new Map() };
  if (!Array.isArray(entries)) return m;
  entries.forEach((raw, i) => {
    const e = (raw ?? {}) as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (!e.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${goQuote(String(e.fieldsType))} in managed fields entry ${i}`);
    const id = identifier({ manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion, subresource: e.subresource });
    m.fields.set(id, { set: FieldSet.fromFieldsV1(e.fieldsV1), apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    m.times.set(id, e.time);
  });
  return m;
}

const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);

/** encodeManagedFields + sortEncodedManagedFields: Apply before Update, then oldest first. */
function encodeManaged(m: Managed): ManagedFieldsEntry[] | undefined {
  if (!m.fields.size) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const who = JSON.parse(id) as ManagerIdentity;
    const e: ManagedFieldsEntry = { manager: who.manager ?? '', operation: vs.applied ? 'Apply' : 'Update', apiVersion: vs.apiVersion };
    if (!e.manager) delete e.manager;
    const t = m.times.get(id);
    if (t) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1() as JsonObject;
    if (who.subresource) e.subresource = who.subresource;
    out.push(e);
  }
  return out.sort((p, q) =>
    compareStrings(p.operation!, q.operation!) || seconds(p.time) - seconds(q.time) || compareStrings(p.manager ?? '', q.manager ?? '')
    || compareStrings(p.apiVersion!, q.apiVersion!) || compareStrings(p.subresource ?? '', q.subresource ?? ''));
}

function cloneManaged(m: Managed): Managed {
  return { fields: new Map([...m.fields].map(([k, v]) => [k, { ...v }])), times: new Map(m.times) };
}

/** capManagersManager: fold the oldest Update entries into "ancient-changes" beyond 10. */
function capUpdateManagers(m: Managed): void {
  const updaters = [...m.fields].filter(([, v]) => !v.applied).map(([k]) => k);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(m.times.get(a)) - seconds(m.times.get(b)) || compareStrings(a, b));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i]!, vs = m.fields.get(id)!, time = m.times.get(id);
    const bucket = identifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) { firstByVersion.set(vs.apiVersion, id); continue; }
    if (!m.fields.has(bucket)) {
      m.fields.set(bucket, m.fields.get(first)!);
      m.fields.delete(first);
    }
    m.fields.set(bucket, { set: vs.set.union(m.fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    m.fields.delete(id);
    m.times.set(bucket, time);
    length--;
  }
}

/** A copy without metadata.managedFields, for merging: the result may share parts of it and be changed. */
function withoutManagedFields(o: unknown): KObject {
  const c = structuredClone(o ?? {}) as KObject;
  if (isObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

/** The same for compare(), which only reads: a view that copies the two top levels, not the object. */
function comparedView(o: KObject): KObject {
  if (!isObject(o.metadata) || !('managedFields' in o.metadata)) return o;
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** The object kube's field manager compares a create against: the kind's zero value. */
function zeroObject(h: PatchHints): KObject {
  return h.kind === 'Namespace' ? { metadata: {}, spec: {}, status: {} } : { metadata: {} };
}

function ignoredSet(h: PatchHints, subresource: string, reset?: readonly string[]): FieldSet {
  const fields = reset ?? (subresource === '' ? h.resetFields ?? []
    : h.kind === 'Namespace' ? (subresource === 'status' ? ['spec'] : subresource === 'finalize' ? ['status'] : []) : []);
  return FieldSet.of(...fields.map((f) => f.split('.').map(field)));
}

const exclude = (c: Comparison, ignored: FieldSet): Comparison => ({
  added: c.added.recursiveDifference(ignored), modified: c.modified.recursiveDifference(ignored), removed: c.removed.recursiveDifference(ignored),
});

interface Conflict { manager: string; path: Path }

/**
 * Updater.update: other managers lose what this change modified, added (their "conflicts", fatal
 * for a non-forced apply) or removed; emptied entries disappear.
 */
function takeOwnership(m: Managed, cmp: Comparison, workflow: string, force: boolean): Conflict[] {
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  const ids = [...m.fields.keys()].filter((id) => id !== workflow).sort(compareStrings);
  for (const id of ids) {
    for (const path of m.fields.get(id)!.set.intersection(changed).paths()) conflicts.push({ manager: id, path });
  }
  if (!force && conflicts.length) return conflicts;
  for (const id of ids) {
    const vs = m.fields.get(id)!;
    const set = vs.set.difference(changed).difference(cmp.removed);
    if (set.isEmpty()) { m.fields.delete(id); m.times.delete(id); } else m.fields.set(id, { ...vs, set });
  }
  return conflicts;
}

export interface ManagedFieldsOptions {
  /** Schema; looked up from the object's apiVersion/kind when absent. */
  hints?: PatchHints;
  /** The resource's group/version, e.g. "v1"; defaults to the object's apiVersion. */
  apiVersion?: string;
  subresource?: string;
  /** Overrides the kind's reset fields (top-level field names). */
  resetFields?: readonly string[];
}

/**
 * managedFields after a create/update/patch by `manager` (FieldManager.UpdateNoErrors). `oldObj`
 * is null on create. The entries are read from newObj when it carries any (a client may rewrite
 * them; `[]` resets them), else from oldObj. Returns undefined when no entry remains — or when the
 * object cannot be walked, where kube also drops managedFields rather than keep wrong ones.
 */
export function updateManagedFields(oldObj: KObject | null, newObj: KObject, manager: string, operation: 'Update', now: Date,
  opts: ManagedFieldsOptions = {}): ManagedFieldsEntry[] | undefined {
  const hints = opts.hints ?? hintsFor(newObj.apiVersion, newObj.kind);
  const subresource = opts.subresource ?? '';
  const apiVersion = opts.apiVersion ?? (typeof newObj.apiVersion === 'string' && newObj.apiVersion ? newObj.apiVersion : 'v1');
  try {
    const m = decodeLiveOrNew(oldObj, newObj, subresource !== '');
    const cmp = compare(comparedView(oldObj ?? zeroObject(hints)), comparedView(newObj), hints.schema);
    const ignored = ignoredSet(hints, subresource, opts.resetFields);
    takeOwnership(m, exclude(cmp, ignored), '', true);
    const mine = cmp.modified.union(cmp.added).difference(cmp.removed).recursiveDifference(ignored).difference(STRIP);
    if (!mine.isEmpty()) {
      const id = identifier({ manager: manager || 'unknown', operation, apiVersion, subresource });
      const prev = m.fields.get(id);
      m.fields.set(id, { set: prev ? mine.union(prev.set) : mine, apiVersion, applied: false });
      m.times.set(id, rfc3339(now));
    }
    capUpdateManagers(m);
    return encodeManaged(m);
  } catch {
    return undefined;
  }
}

function decodeLiveOrNew(oldObj: KObject | null, newObj: KObject, fromLive: boolean): Managed {
  const safe = (e: unknown): Managed => { try { return decodeManaged(e); } catch { return { fields: new Map(), times: new Map() }; } };
  const live = oldObj?.metadata?.managedFields;
  if (fromLive) return safe(live);
  const given = newObj.metadata?.managedFields as unknown;
  if (Array.isArray(given) && (given.length === 0 || (given.length === 1 && isObject(given[0]) && !Object.keys(given[0]).length))) {
    return { fields: new Map(), times: new Map() };
  }
  let m: Managed | undefined;
  try { m = decodeManaged(given); } catch { m = undefined; }
  return m && m.fields.size ? m : safe(live);
}

// ---- server-side apply ------------------------------------------------------------------------

/** Updater.prune: drop what this applier owned last time, no longer applies, and nobody else owns. */
function prune(merged: unknown, m: Managed, last: VersionedSet | undefined, h: PatchHints): unknown {
  if (!last || last.set.isEmpty()) return merged;
  const s = h.schema;
  const named = (x: FieldSet): FieldSet => ensureNamedFieldsAreMembers(x, s);
  const lastNamed = named(last.set);
  let pruned = removeItems(merged, lastNamed, s);
  let owned = new FieldSet();
  for (const vs of m.fields.values()) owned = owned.union(vs.set);
  const mergedSet = named(toFieldSet(merged, s));
  pruned = removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, s)).union(named(owned))), s);
  const prunedSet = named(toFieldSet(pruned, s));
  return removeItems(merged, mergedSet.difference(prunedSet).intersection(lastNamed), s);
}

class ApplyConflicts extends Error {
  constructor(readonly conflicts: Conflict[]) { super('apply conflicts'); }
}

function printManager(id: string): string {
  let who: ManagerIdentity;
  try { who = JSON.parse(id) as ManagerIdentity; } catch { return goQuote(id); }
  let s = goQuote(who.manager ?? '');
  if (who.subresource) s += ` with subresource ${goQuote(who.subresource)}`;
  return who.operation === 'Update' ? `${s} using ${who.apiVersion ?? ''}` : s;
}

/** internal/conflict.go NewConflictError. */
function conflictError(conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, Path[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort(compareStrings)) {
      lines.push(`conflicts with ${printManager(id)}:`, ...byManager.get(id)!.map((p) => `- ${pathString(p)}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

export interface ApplyOptions extends ManagedFieldsOptions {
  force?: boolean;
  /** The resource's kind (defaults to the live object's, then the hints'). */
  kind?: string;
}

export interface ApplyResult {
  /** Live object merged with the applied configuration, managedFields updated. */
  object: KObject;
  /** Conflicts that force=true overrode (empty otherwise). */
  conflicts: { manager: string; field: string }[];
  /** Whether anything but managedFields changed. */
  changed: boolean;
}

/** GroupVersionKind.String() of an applied object, "" parts when unparseable. */
function gvkOf(obj: Record<string, unknown>): { group: string; version: string; kind: string } {
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const parts = av.split('/');
  if (av === '') return { group: '', version: '', kind };
  if (parts.length === 1) return { group: '', version: av, kind };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]!, kind };
  return { group: '', version: '', kind: '' };
}

/**
 * Server-side apply of `config` by `manager` (FieldManager.Apply). Throws 400 for a config of the
 * wrong type or carrying managedFields, and the 409 apply conflict unless `force`.
 */
export function applyPatch(live: KObject | null, config: unknown, manager: string, opts: ApplyOptions, now: Date): ApplyResult {
  if (!isObject(config)) throw errors.badRequest('error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
  const hints = opts.hints ?? hintsFor(opts.apiVersion ?? live?.apiVersion ?? config.apiVersion, opts.kind ?? live?.kind ?? config.kind);
  const apiVersion = opts.apiVersion ?? (typeof live?.apiVersion === 'string' ? live.apiVersion : hints.group ? `${hints.group}/v1` : 'v1');
  const want = gvkOf({ apiVersion, kind: opts.kind ?? live?.kind ?? hints.kind });
  const got = gvkOf(config);
  if (got.group !== want.group || got.version !== want.version || got.kind !== want.kind) {
    throw errors.badRequest(`invalid object type: ${got.group}/${got.version}, Kind=${got.kind}`);
  }
  if (isObject(config.metadata) && Array.isArray(config.metadata.managedFields)) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  let managed: Managed;
  try { managed = decodeManaged(live?.metadata?.managedFields); } catch (e) {
    throw errors.internal(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const liveObj = withoutManagedFields(live ?? zeroObject(hints));
  const subresource = opts.subresource ?? '';
  const ignored = ignoredSet(hints, subresource, opts.resetFields);
  const applier = identifier({ manager: manager || 'unknown', operation: 'Apply', subresource });

  const attempt = (force: boolean) => {
    const m = cloneManaged(managed);
    const merged = merge(liveObj, config, hints.schema);
    const last = m.fields.get(applier);
    m.fields.set(applier, { set: toFieldSet(config, hints.schema).recursiveDifference(ignored), apiVersion, applied: true });
    const result = prune(merged, m, last, hints) as KObject;
    const conflicts = takeOwnership(m, exclude(compare(liveObj, result, hints.schema), ignored), applier, force);
    if (!force && conflicts.length) throw new ApplyConflicts(conflicts);
    const mine = m.fields.get(applier)!.set.difference(STRIP);
    if (mine.isEmpty()) m.fields.delete(applier); else m.fields.set(applier, { set: mine, apiVersion, applied: true });
    const changed = !isDeepStrictEqual(liveObj, result);
    // managedFieldsUpdater: the applier's time moves only when the object changed.
    if (changed) m.times.set(applier, rfc3339(now));
    return { result, m, conflicts, changed };
  };

  let out: ReturnType<typeof attempt>;
  try {
    out = attempt(!!opts.force);
  } catch (e) {
    if (!(e instanceof ApplyConflicts)) throw e;
    // lastAppliedManager: kubectl upgrading from client-side apply may take over the fields its
    // last-applied annotation still describes truthfully.
    const allowed = manager === 'kubectl' ? allowedFromLastApplied(live, liveObj, apiVersion, hints) : undefined;
    const remaining = allowed ? e.conflicts.filter((c) => !allowed.has(c.path)) : e.conflicts;
    if (remaining.length) throw conflictError(remaining);
    out = attempt(true);
  }

  // A created object reads in the order the client wrote it, type fields first.
  const object = live ? out.result : orderLike(out.result, ['apiVersion', 'kind', 'metadata', ...Object.keys(config)]);
  if (manager === 'kubectl') syncLastApplied(object, config);
  const entries = encodeManaged(out.m);
  const meta = (isObject(object.metadata) ? object.metadata : (object.metadata = {}));
  if (entries) meta.managedFields = entries; else delete meta.managedFields;
  return {
    object,
    conflicts: out.conflicts.map((c) => ({ manager: printManager(c.manager), field: pathString(c.path) })),
    changed: out.changed,
  };
}

function orderLike(o: KObject, keys: string[]): KObject {
  const out: KObject = {};
  for (const k of keys) if (k in o && !(k in out)) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
  return out;
}

/** Fields the last-applied annotation lists with the value the live object still has. */
function allowedFromLastApplied(live: KObject | null, liveObj: KObject, apiVersion: string, h: PatchHints): FieldSet | undefined {
  const text = live?.metadata?.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  let last: unknown;
  try { last = JSON.parse(text); } catch { return undefined; }
  if (!isObject(last) || typeof last.kind !== 'string' || !last.kind || last.apiVersion !== apiVersion) return undefined;
  try {
    const cmp = compare(last, liveObj, h.schema);
    return toFieldSet(last, h.schema).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/** lastAppliedUpdater: keep an existing client-side-apply annotation in step with kubectl's apply. */
function syncLastApplied(object: KObject, config: Record<string, unknown>): void {
  const ann = object.metadata?.annotations;
  if (!ann?.[LAST_APPLIED]) return;
  const copy = structuredClone(config);
  if (isObject(copy.metadata) && isObject(copy.metadata.annotations)) delete copy.metadata.annotations[LAST_APPLIED];
  ann[LAST_APPLIED] = `${goJson(copy)}\n`;
  let size = 0;
  for (const [k, v] of Object.entries(ann)) size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  if (size > ANNOTATIONS_LIMIT) delete ann[LAST_APPLIED];
}
