// Fuzzing label and field selectors as a list or watch request's query carries them: any text
// parses or is a 400; what parses prints to a canonical string that parses back to a selector
// that prints the same and selects the same objects; metav1.LabelSelector objects convert or 400.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  fieldsMatch, formatFieldSelector, formatLabelSelector, labelsMatch, parseFieldSelector, parseLabelSelector,
  SECRET_FIELD_LABELS, selectorFromLabelSelectorObject, validateFieldSelector,
} from '../../src/api/selectors/index.js';
import { check, outcome, Reach } from '../fuzz/harness.js';
import { assertNotSuperLinear, quietly } from '../fuzz/timing.js';

const FILE = 'fuzz-selectors';

const labelKey = fc.oneof(
  fc.constantFrom('app', 'tier', 'example.com/team', 'kubernetes.io/x', 'a.b-c_d', 'in', 'notin', 'x'.repeat(63), 'p/'.repeat(3), '', '-a', '9'),
  fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/),
  fc.string({ maxLength: 8 }),
);
const labelValue = fc.oneof(fc.constantFrom('v', '', 'prod', '1', '-1', '9223372036854775808', 'a_b.c-d', 'x'.repeat(64), 'in'), fc.string({ maxLength: 6 }));
const op = fc.constantFrom('=', '==', '!=', ' in ', ' notin ', '>', '<', '', '!', ' ', '=!', '(', ')', ',');

/** A selector as a person types one: terms of key, operator and values, with noise between them. */
const selectorText = fc.array(fc.tuple(labelKey, op, fc.array(labelValue, { maxLength: 3 }), fc.constantFrom('', ' ', '\t', '\n', '\0')), { maxLength: 5 })
  .map((terms) => terms.map(([k, o, vs, ws]) => {
    if (o === '!') return `!${k}`;
    if (o === '') return k;
    const body = o.trim() === 'in' || o.trim() === 'notin' ? `(${vs.join(',')})` : (vs[0] ?? '');
    return `${ws}${k}${o}${body}${ws}`;
  }).join(','));
const validKey = fc.oneof(fc.constantFrom('app', 'tier', 'example.com/team', 'in'), fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/));
const validValue = fc.oneof(fc.constantFrom('v', '', 'prod', '1', '-1', 'in'), fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/));
/** Selectors that parse, so the round trip and matching properties have something to work on. */
const validText = fc.array(fc.oneof(
  fc.tuple(validKey, fc.constantFrom('=', '==', '!=')).chain(([k, o]) => validValue.map((v) => `${k}${o}${v}`)),
  fc.tuple(validKey, fc.constantFrom(' in ', ' notin ')).chain(([k, o]) => fc.array(validValue, { minLength: 1, maxLength: 3 }).map((vs) => `${k}${o}(${vs.join(',')})`)),
  fc.tuple(validKey, fc.constantFrom('>', '<'), fc.integer({ min: -99, max: 99 })).map(([k, o, n]) => `${k}${o}${n}`),
  validKey.map((k) => k), validKey.map((k) => `!${k}`),
), { minLength: 1, maxLength: 4 }).map((ts) => ts.join(','));
const anyText = fc.oneof({ weight: 3, arbitrary: validText }, { weight: 4, arbitrary: selectorText }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) });
const labelSets = fc.array(fc.dictionary(labelKey, labelValue, { maxKeys: 4 }), { minLength: 1, maxLength: 4 });

const fieldTerm = fc.tuple(
  fc.oneof(fc.constantFrom('metadata.name', 'metadata.namespace', 'type', 'status.phase', 'spec.x', ''), fc.string({ maxLength: 6 })),
  fc.constantFrom('=', '==', '!=', '', '!', '=='),
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a\\,b', 'a\\=b', '\\\\', '\\', 'x\\y', 'a,b', 'a=b')),
).map(([f, o, v]) => `${f}${o}${v}`);
const fieldText = fc.oneof({ weight: 4, arbitrary: fc.array(fieldTerm, { maxLength: 4 }).map((ts) => ts.join(',')) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });

describe('fuzz: label selectors', () => {
  test('any text: a selector or a 400; the canonical form is a fixed point that selects the same', () => {
    const reach = new Reach();
    check(FILE, 'label-selector', fc.tuple(anyText, labelSets), ([text, sets]) => {
      const sel = outcome(`parseLabelSelector(${JSON.stringify(text)})`, () => parseLabelSelector(text));
      reach.note(sel !== undefined && sel.requirements.length > 0);
      if (!sel) return;
      const canonical = formatLabelSelector(sel);
      const again = outcome(`parseLabelSelector of canonical ${JSON.stringify(canonical)} (from ${JSON.stringify(text)})`, () => parseLabelSelector(canonical));
      assert.ok(again, `the canonical form ${JSON.stringify(canonical)} of ${JSON.stringify(text)} does not parse`);
      assert.equal(formatLabelSelector(again), canonical);
      for (const labels of sets) {
        assert.equal(labelsMatch(again, labels), labelsMatch(sel, labels), `${JSON.stringify(text)} and ${JSON.stringify(canonical)} disagree on ${JSON.stringify(labels)}`);
      }
    }, 3000);
    reach.assertAtLeast('label selectors', 0.1);
  });

  test('metav1.LabelSelector objects (aggregation rules): a selector or a 400', () => {
    const obj = fc.record({
      matchLabels: fc.dictionary(labelKey, labelValue, { maxKeys: 3 }),
      matchExpressions: fc.array(fc.record({
        key: labelKey, operator: fc.oneof(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'in', '', 'Gt', 'toString', '__proto__', 'constructor'), fc.string({ maxLength: 5 })),
        values: fc.array(labelValue, { maxLength: 3 }),
      }, { requiredKeys: ['key', 'operator'] }), { maxLength: 3 }),
    }, { requiredKeys: [] });
    check(FILE, 'label-selector-object', fc.option(obj, { nil: undefined }), (o) => {
      outcome(`selectorFromLabelSelectorObject(${JSON.stringify(o)})`, () => selectorFromLabelSelectorObject(o));
    }, 2000);
  });
});

describe('fuzz: field selectors', () => {
  test('any text: a selector or a 400; the canonical form parses back to the same terms', () => {
    const reach = new Reach();
    check(FILE, 'field-selector', fc.tuple(fieldText, fc.dictionary(fc.constantFrom(...SECRET_FIELD_LABELS), fc.string({ maxLength: 6 }))), ([text, fields]) => {
      const sel = outcome(`parseFieldSelector(${JSON.stringify(text)})`, () => parseFieldSelector(text));
      reach.note(sel !== undefined && sel.terms.length > 0);
      if (!sel) return;
      outcome('validateFieldSelector', () => validateFieldSelector(sel, SECRET_FIELD_LABELS, { group: '', kind: 'Secret', resource: 'secrets' }));
      const canonical = formatFieldSelector(sel);
      const again = outcome(`parseFieldSelector of canonical ${JSON.stringify(canonical)} (from ${JSON.stringify(text)})`, () => parseFieldSelector(canonical));
      assert.ok(again, `the canonical form ${JSON.stringify(canonical)} of ${JSON.stringify(text)} does not parse`);
      // The same terms, not necessarily in the same order: kube sorts the raw terms before
      // unescaping, so an escape can reorder them (fields.ParseSelector does the same).
      const key = (t: { field: string; operator: string; value: string }) => JSON.stringify([t.field, t.operator, t.value]);
      assert.deepEqual(again.terms.map(key).sort(), sel.terms.map(key).sort());
      assert.equal(fieldsMatch(again, fields), fieldsMatch(sel, fields));
    }, 3000);
    reach.assertAtLeast('field selectors', 0.1);
  });
});

describe('selector parsing time grows linearly with the selector', () => {
  test('label selector: many requirements', () => {
    assertNotSuperLinear('label requirements', (n) => Array.from({ length: n }, (_, i) => `k${i} in (a,b,c${i})`).join(','), (s) => quietly(() => parseLabelSelector(s)));
  });
  test('label selector: one long value set', () => {
    assertNotSuperLinear('label set values', (n) => `k in (${Array.from({ length: n }, (_, i) => `v${i}`).join(',')})`, (s) => quietly(() => parseLabelSelector(s)));
  });
  test('label selector: a long run of operator characters', () => {
    assertNotSuperLinear('label operators', (n) => `k${'=!<>'.repeat(n)}v`, (s) => quietly(() => parseLabelSelector(s)), { start: 1024 });
  });
  test('field selector: many terms and escapes', () => {
    assertNotSuperLinear('field terms', (n) => Array.from({ length: n }, (_, i) => `metadata.name!=a\\,b\\=${i}`).join(','), (s) => quietly(() => parseFieldSelector(s)));
  });
  test('field selector: one long term without an operator', () => {
    assertNotSuperLinear('field no operator', (n) => 'x'.repeat(n * 16), (s) => quietly(() => parseFieldSelector(s)), { start: 1024 });
  });
});
