// Label selectors with apimachinery's semantics (pkg/labels/selector.go, metav1 helpers.go).
// kubectl sends `labelSelector` verbatim and shows the server's 400 message, so the lexer, the
// parser's quirks (stale literals, `in`/`notin` usable as keys and values, `()` meaning {""}) and
// every error string follow upstream exactly. The parser is a port of the algorithm, not the code.
// The lexer is in label-lexer.ts.

import { errors } from '../errors.js';
import { isQualifiedName, isValidLabelValue } from '../validation/names.js';
import { aggregateText, goCompare, goQuote, goStringSliceRepr, invalidText, parseInt64 } from './go-format.js';
import { type Item, Tok, lex } from './label-lexer.js';

/** selection.Operator values, spelled as upstream (they appear in error messages). */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** In/NotIn values; for parsed selectors sorted and de-duplicated (upstream uses a string set). */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** AND of requirements, stably sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** labels.Nothing(): what a nil metav1.LabelSelector converts to; matches no object. */
  readonly nothing?: boolean;
}

/** metav1.LabelSelector as it appears in JSON. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] | null }> | null;
}

export const EVERYTHING: LabelSelector = Object.freeze({ requirements: Object.freeze([]) });
export const NOTHING: LabelSelector = Object.freeze({ requirements: Object.freeze([]), nothing: true });

// The order of binaryOperators in selector.go; printed in "expected: ..." messages.
const BINARY_OPERATORS: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

// ---------------------------------------------------------------------------------------------
// Requirement construction (labels.NewRequirement)

/** Upstream's (path, value) pair for messages; `value` already rendered the Go way. */
const keyError = (path: string, key: string): string | undefined => {
  const errs = isQualifiedName(key);
  return errs.length ? invalidText(path, goQuote(key), errs.join('; ')) : undefined;
};

/**
 * NewRequirement: validates and returns the requirement, or the aggregate error text.
 * `path` is the field.Path prefix ('' = nil path, which upstream renders as `key`, `values[0]`).
 * `values === null` models a nil Go slice (matters only for how an empty list is printed).
 */
function buildRequirement(key: string, op: LabelOperator, values: readonly string[] | null): LabelRequirement | string {
  const errs: string[] = [];
  const vals = values ?? [];
  const kErr = keyError('key', key);
  if (kErr) errs.push(kErr);
  const listRepr = () => goStringSliceRepr(values);
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalidText('values', listRepr(), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalidText('values', listRepr(), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalidText('values', listRepr(), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalidText('values', listRepr(), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalidText(`values[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
  }
  vals.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(invalidText(`values[${i}][${key}]`, goQuote(v), vErrs.join('; ')));
  });
  if (errs.length) return aggregateText(errs);
  return { key, operator: op, values: [...vals] };
}

/** labels.NewRequirement; throws a 400 with upstream's aggregate message on invalid input. */
export function newRequirement(key: string, op: LabelOperator, values: readonly string[]): LabelRequirement {
  const r = buildRequirement(key, op, values);
  if (typeof r === 'string') throw errors.badRequest(r);
  return r;
}

const byKey = (reqs: LabelRequirement[]): LabelRequirement[] =>
  reqs.sort((a, b) => goCompare(a.key, b.key)); // Array#sort is stable, so equal keys keep input order

// ---------------------------------------------------------------------------------------------
// Parser

class ParseError extends Error {}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  // In the Values context `in`/`notin` are plain identifiers (so `x in (in)` and a key `in` work).
  private look(values: boolean): Item {
    const it = this.items[this.position]!;
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  private take(values: boolean): Item {
    const it = this.look(values);
    this.position++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === Tok.EOS) return reqs;
      if (tok !== Tok.Identifier && tok !== Tok.DoesNotExist) {
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const next = this.take(true);
      if (next.tok === Tok.EOS) return reqs;
      if (next.tok !== Tok.Comma) throw new ParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.look(true);
      if (after.tok !== Tok.Identifier && after.tok !== Tok.DoesNotExist) {
        throw new ParseError(`found '${after.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let op: LabelOperator | undefined;
    let t = this.take(true);
    if (t.tok === Tok.DoesNotExist) {
      op = '!';
      t = this.take(true);
    }
    if (t.tok !== Tok.Identifier) throw new ParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    // The parser validates the key with a nil field path, which Go prints as "<nil>".
    const kErr = keyError('<nil>', key);
    if (kErr) throw new ParseError(kErr);
    const la = this.look(true).tok;
    if ((la === Tok.EOS || la === Tok.Comma) && op === undefined) op = 'exists';
    // `!key` followed by anything is still DoesNotExist; the caller then trips over the leftover.
    if (op === 'exists' || op === '!') return this.finish(key, op, []);

    op = this.operator();
    let values: string[];
    if (op === 'in' || op === 'notin') values = this.setValues();
    else values = this.exactValue();
    // sets.String.List(): sorted, unique.
    values = [...new Set(values)].sort(goCompare);
    return this.finish(key, op, values);
  }

  private finish(key: string, op: LabelOperator, values: string[]): LabelRequirement {
    const r = buildRequirement(key, op, values);
    if (typeof r === 'string') throw new ParseError(r);
    return r;
  }

  private operator(): LabelOperator {
    const { tok, lit } = this.take(false);
    switch (tok) {
      case Tok.In: return 'in';
      case Tok.Equals: return '=';
      case Tok.DoubleEquals: return '==';
      case Tok.GreaterThan: return 'gt';
      case Tok.LessThan: return 'lt';
      case Tok.NotIn: return 'notin';
      case Tok.NotEquals: return '!=';
      default: throw new ParseError(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private setValues(): string[] {
    const open = this.take(true);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`); // sic: no colon
    const { tok, lit } = this.look(true);
    if (tok === Tok.Identifier || tok === Tok.Comma) {
      const s = this.identifierList();
      // Upstream reports the literal seen before the list here (unreachable in practice).
      if (this.take(true).tok !== Tok.ClosedPar) throw new ParseError(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === Tok.ClosedPar) {
      this.take(true);
      return ['']; // "()" is the set {""}
    }
    throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  // A comma-separated list in which empty entries mean "" (`(,a)`, `(a,)`, `(a,,b)`).
  private identifierList(): string[] {
    const s: string[] = [];
    for (;;) {
      const { tok, lit } = this.take(true);
      if (tok === Tok.Identifier) {
        s.push(lit);
        const n = this.look(true);
        if (n.tok === Tok.Comma) continue;
        if (n.tok === Tok.ClosedPar) return s;
        throw new ParseError(`found '${n.lit}', expected: ',' or ')'`);
      }
      if (tok === Tok.Comma) {
        if (s.length === 0) s.push('');
        const n = this.look(true).tok;
        if (n === Tok.ClosedPar) { s.push(''); return s; }
        if (n === Tok.Comma) { this.take(true); s.push(''); }
        continue;
      }
      throw new ParseError(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string[] {
    const la = this.look(true).tok;
    if (la === Tok.EOS || la === Tok.Comma) return ['']; // `k=` means k equals ""
    const { tok, lit } = this.take(true);
    if (tok === Tok.Identifier) return [lit];
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/** labels.Parse. Throws a 400 BadRequest with upstream's message (what kube-apiserver returns). */
export function parseLabelSelector(text: string): LabelSelector {
  try {
    const reqs = new Parser(lex(text)).parse();
    return reqs.length ? { requirements: byKey(reqs) } : EVERYTHING;
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Matching, inspection, formatting

const has = (labels: Record<string, string> | undefined, k: string): labels is Record<string, string> =>
  labels !== undefined && labels !== null && Object.prototype.hasOwnProperty.call(labels, k);

export function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(labels, r.key) && r.values.includes(labels[r.key]!);
    case 'notin':
    case '!=':
      // An absent key satisfies a negative requirement.
      return !has(labels, r.key) || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels[r.key]!);
      const want = parseInt64(r.values[0]!);
      if (actual === undefined || want === undefined) return false; // non-integer label never matches
      return r.operator === 'gt' ? actual > want : actual < want;
    }
  }
}

export function matches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  if (sel.nothing) return false;
  return sel.requirements.every((r) => requirementMatches(r, labels));
}

/** Alias used by the registry. */
export const labelsMatch = matches;

/** Selector.Empty(): true only for a selector that selects everything (Nothing is not empty). */
export function isEmpty(sel: LabelSelector): boolean {
  return !sel.nothing && sel.requirements.length === 0;
}

/** Selector.RequiresExactMatch: the value a `=`, `==` or single-value `in` requirement pins. */
export function requiresExactLabelMatch(sel: LabelSelector, key: string): string | undefined {
  const r = sel.requirements.find((x) => x.key === key);
  if (!r || !['=', '==', 'in'].includes(r.operator) || r.values.length !== 1) return undefined;
  return r.values[0];
}

/** Requirement.String(). Multi-valued sets print sorted, as upstream's safeSort does. */
export function formatRequirement(r: LabelRequirement): string {
  const prefix = r.operator === '!' ? '!' : '';
  if (r.operator === 'exists' || r.operator === '!') return `${prefix}${r.key}`;
  const opText: Record<string, string> = { '=': '=', '==': '==', '!=': '!=', in: ' in ', notin: ' notin ', gt: '>', lt: '<' };
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort(goCompare).join(',');
  const body = r.operator === 'in' || r.operator === 'notin' ? `(${vals})` : vals;
  return `${r.key}${opText[r.operator]}${body}`;
}

/** Selector.String(): requirements (already key-sorted) joined by ','; "" for Everything/Nothing. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.nothing ? '' : sel.requirements.map(formatRequirement).join(',');
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector

const OBJECT_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything.
 * matchLabels are checked in sorted key order (Go's map order is random; any order is faithful).
 * Throws a 400 BadRequest carrying upstream's error text.
 */
export function selectorFromLabelSelectorObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (obj === null || obj === undefined) return NOTHING;
  const ml = obj.matchLabels ?? {};
  const me = obj.matchExpressions ?? [];
  const keys = Object.keys(ml).sort(goCompare);
  if (keys.length + me.length === 0) return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  for (const k of keys) reqs.push(newRequirement(k, '=', [ml[k]!]));
  for (const e of me) {
    const op = Object.prototype.hasOwnProperty.call(OBJECT_OPERATORS, e.operator) ? OBJECT_OPERATORS[e.operator] : undefined;
    if (!op) throw errors.badRequest(`${goQuote(String(e.operator ?? ''))} is not a valid pod selector operator`);
    // Upstream copies into a nil slice, so an empty list prints as []string(nil).
    const values = e.values && e.values.length ? [...e.values] : null;
    const r = buildRequirement(e.key, op, values);
    if (typeof r === 'string') throw errors.badRequest(r);
    reqs.push(r);
  }
  return { requirements: byKey(reqs) };
}
