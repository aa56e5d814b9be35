// Field selectors with apimachinery's semantics (pkg/fields/selector.go) plus the apiserver's
// field-label check (pkg/apis/core/v1/conversion.go via handlers/get.go ListResource), so the 400s
// kubectl prints read exactly like kube-apiserver's. Field selectors are plain text: no whitespace
// trimming, `\` escapes only `\`, `,` and `=` in values, and the first operator wins in the key.

import { errors } from '../errors.js';
import { isValidPathSegmentName } from '../validation/names.js';
import { goCompare, goQuote } from './go-format.js';

/** selection.Operator of a field requirement: `==` is folded into `=` as upstream's hasTerm does. */
export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  /** Unescaped value. */
  readonly value: string;
}

export interface FieldSelector {
  /** AND of terms, in upstream's order: the raw terms sorted byte-wise before parsing. */
  readonly terms: readonly FieldRequirement[];
}

export const EVERYTHING_FIELDS: FieldSelector = Object.freeze({ terms: Object.freeze([]) });

/** Field labels each resource accepts (SelectableFields / AddFieldLabelConversionsFor*). */
export const SECRET_FIELD_LABELS: readonly string[] = Object.freeze(['metadata.name', 'metadata.namespace', 'type']);
export const NAMESPACE_FIELD_LABELS: readonly string[] = Object.freeze(['metadata.name', 'status.phase']);
/** runtime.DefaultMetaV1FieldSelectorConversion: kinds without their own conversion func. */
export const DEFAULT_FIELD_LABELS: readonly string[] = Object.freeze(['metadata.name', 'metadata.namespace']);

// ---------------------------------------------------------------------------------------------
// Escaping

/** fields.EscapeValue: makes an arbitrary string safe as a field selector value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class FieldParseError extends Error {}

/** fields.UnescapeValue; throws with upstream's message on a bad escape or a bare `=`/`,`. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new FieldParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Upstream formats the rune with %v, i.e. as its decimal code point ("61" for '=').
      throw new FieldParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new FieldParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Splits on commas not preceded by an escaping backslash; the backslashes stay in the terms. */
function splitTerms(sel: string): string[] {
  if (sel.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < sel.length; i++) {
    const c = sel[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(sel.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(sel.slice(start));
  return terms;
}

// `!=` and `==` are tried before `=` at each position so neither leaves a stray `=` in the value.
const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: (typeof TERM_OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector. "" (or only commas) selects everything. Throws a 400 BadRequest with
 * upstream's message. Terms are sorted first, so the term an error names is the first bad one in
 * sorted order, as upstream reports it.
 */
export function parseFieldSelector(text: string): FieldSelector {
  const parts = splitTerms(text).sort(goCompare);
  const terms: FieldRequirement[] = [];
  try {
    for (const part of parts) {
      if (part === '') continue;
      const t = splitTerm(part);
      if (!t) throw new FieldParseError(`invalid selector: '${text}'; can't understand '${part}'`);
      terms.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value: unescapeValue(t.rhs) });
    }
  } catch (e) {
    if (e instanceof FieldParseError) throw errors.badRequest(e.message);
    throw e;
  }
  return terms.length ? { terms } : EVERYTHING_FIELDS;
}

/** fields.OneTermEqualSelector. */
export function oneTermEqualSelector(field: string, value: string): FieldSelector {
  return { terms: [{ field, operator: '=', value }] };
}

// ---------------------------------------------------------------------------------------------
// Matching and inspection

/** Selector.Matches: a missing field reads as "" (so `f!=x` matches objects without `f`). */
export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  return sel.terms.every((t) => {
    const actual = Object.prototype.hasOwnProperty.call(fields, t.field) ? fields[t.field]! : '';
    return t.operator === '=' ? actual === t.value : actual !== t.value;
  });
}

/** Alias used by the registry. */
export const fieldsMatch = matchesFields;

export function isEmptyFieldSelector(sel: FieldSelector): boolean {
  return sel.terms.length === 0;
}

/** Selector.Requirements(). */
export function requirements(sel: FieldSelector): FieldRequirement[] {
  return sel.terms.map((t) => ({ ...t }));
}

/** Selector.RequiresExactMatch: the value of the first `=`/`==` term on `field`, in sorted order. */
export function requiresExactFieldMatch(sel: FieldSelector, field: string): string | undefined {
  return sel.terms.find((t) => t.operator === '=' && t.field === field)?.value;
}

/**
 * The name a selector pins with `metadata.name=<n>` (or `==`), else undefined. May be '' for
 * `metadata.name=`. With `forAuthorization`, applies the request-info rule RBAC sees: the name
 * counts only if it is a valid path segment (not `.`/`..`, no `/` or `%`) and non-empty.
 */
export function exactNameFromSelector(sel: FieldSelector, opts: { forAuthorization?: boolean } = {}): string | undefined {
  const name = requiresExactFieldMatch(sel, 'metadata.name');
  if (name === undefined || !opts.forAuthorization) return name;
  return name !== '' && isValidPathSegmentName(name).length === 0 ? name : undefined;
}

/**
 * ListResource on a single-object URL (watch by name): a non-empty field selector must pin the
 * same name, else upstream's 400.
 */
export function assertSelectorMatchesName(sel: FieldSelector, name: string): void {
  if (isEmptyFieldSelector(sel)) return;
  if (requiresExactFieldMatch(sel, 'metadata.name') !== name) {
    throw errors.badRequest("fieldSelector metadata.name doesn't match requested name");
  }
}

/** Selector.String(): terms in order, values re-escaped. */
export function formatFieldSelector(sel: FieldSelector): string {
  return sel.terms.map((t) => `${t.field}${t.operator}${escapeFieldValue(t.value)}`).join(',');
}

// ---------------------------------------------------------------------------------------------
// Field-label support

// Kinds with their own field-label conversion func in pkg/apis/core/v1 (keyed by resource and by
// Kind, lower-cased): they reject with "field label not supported". Everything else falls back to
// runtime.DefaultMetaV1FieldSelectorConversion and its different wording.
const CONVERTED = new Set([
  'pods', 'pod', 'nodes', 'node', 'replicationcontrollers', 'replicationcontroller', 'events', 'event',
  'namespaces', 'namespace', 'secrets', 'secret', 'services', 'service',
]);

/** A resource name (`secrets`), a Kind (`Secret`), or a ResourceInfo-like object. */
export type ResourceLabel = string | { readonly group?: string; readonly kind?: string; readonly resource?: string };

function hasOwnConversion(r: ResourceLabel): boolean {
  if (typeof r === 'string') return CONVERTED.has(r.toLowerCase());
  if (r.group) return false; // only core/v1 kinds register conversion funcs
  return [r.resource, r.kind].some((x) => x !== undefined && CONVERTED.has(x.toLowerCase()));
}

/** The error text upstream's conversion func gives for an unsupported field label. */
export function unsupportedFieldLabelMessage(label: string, resourceLabel: ResourceLabel): string {
  if (hasOwnConversion(resourceLabel)) return `field label not supported: ${label}`;
  return `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/**
 * The apiserver's field-label conversion step: every term's field must be in `supported`, checked
 * in the selector's (sorted) order; the first miss is a 400 whose message is the conversion error
 * verbatim. `resourceLabel` identifies the resource and picks the wording.
 */
export function validateFieldSelector(sel: FieldSelector, supported: readonly string[], resourceLabel: ResourceLabel): void {
  for (const t of sel.terms) {
    if (!supported.includes(t.field)) throw errors.badRequest(unsupportedFieldLabelMessage(t.field, resourceLabel));
  }
}
