// Label and field selectors: parsing, matching, canonical strings and the exact 400 texts
// kube-apiserver returns (apimachinery pkg/labels, pkg/fields, core/v1 field-label conversions).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';
import {
  DEFAULT_FIELD_LABELS,
  EVERYTHING,
  NAMESPACE_FIELD_LABELS,
  NOTHING,
  SECRET_FIELD_LABELS,
  assertSelectorMatchesName,
  escapeFieldValue,
  exactNameFromSelector,
  fieldsMatch,
  formatFieldSelector,
  formatLabelSelector,
  isEmpty,
  isEmptyFieldSelector,
  labelsMatch,
  matches,
  matchesFields,
  newRequirement,
  oneTermEqualSelector,
  parseFieldSelector,
  parseLabelSelector,
  requirements,
  requiresExactFieldMatch,
  requiresExactLabelMatch,
  selectorFromLabelSelectorObject,
  validateFieldSelector,
} from '../../src/api/selectors/index.js';
import { goQuote } from '../../src/api/selectors/go-format.js';

// Written out literally so a wording change in the code fails these tests.
const QNAME_RE = "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', " +
  QNAME_RE + ')';
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const OPS = 'in, notin, =, ==, !=, gt, lt';

/** Asserts fn throws a 400 BadRequest with exactly `message`. */
function bad(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.equal(e.message, message);
    return true;
  });
}

const fmt = (s: string) => formatLabelSelector(parseLabelSelector(s));
const m = (s: string, labels?: Record<string, string>) => matches(parseLabelSelector(s), labels);

// ---------------------------------------------------------------------------------------------
// Label selectors: parsing and canonical form

test('label: every operator parses and prints canonically', () => {
  assert.equal(fmt('a=b'), 'a=b');
  assert.equal(fmt('a==b'), 'a==b');
  assert.equal(fmt('a!=b'), 'a!=b');
  assert.equal(fmt('a in (b,c)'), 'a in (b,c)');
  assert.equal(fmt('a notin (b,c)'), 'a notin (b,c)');
  assert.equal(fmt('a'), 'a');
  assert.equal(fmt('!a'), '!a');
  assert.equal(fmt('a>5'), 'a>5');
  assert.equal(fmt('a<5'), 'a<5');
  assert.equal(fmt('example.com/app=web'), 'example.com/app=web');
  const reqs = parseLabelSelector('a in (y,x),b>3,!c').requirements;
  assert.deepEqual(reqs.map((r) => [r.key, r.operator, r.values]), [['a', 'in', ['x', 'y']], ['b', 'gt', ['3']], ['c', '!', []]]);
});

test('label: requirements are sorted by key; set values sorted and de-duplicated', () => {
  assert.equal(fmt('z=1,a=2,m'), 'a=2,m,z=1');
  assert.equal(fmt('a in (c,b,a,b)'), 'a in (a,b,c)');
  // Duplicate keys keep their input order (stable sort).
  assert.equal(fmt('a!=2,a=1'), 'a!=2,a=1');
});

test('label: empty and blank selectors select everything', () => {
  for (const s of ['', '   ', '\t\n']) {
    const sel = parseLabelSelector(s);
    assert.equal(isEmpty(sel), true);
    assert.equal(formatLabelSelector(sel), '');
    assert.equal(matches(sel, undefined), true);
  }
  assert.equal(isEmpty(parseLabelSelector('a')), false);
});

test('label: whitespace around tokens is ignored (space, tab, CR, LF)', () => {
  assert.equal(fmt(' a = b , c '), 'a=b,c');
  assert.equal(fmt('a\tin\t(\tb ,\nc\r)'), 'a in (b,c)');
  assert.equal(fmt('a in(b)'), 'a in (b)');
  assert.equal(fmt('a notin(b)'), 'a notin (b)');
  assert.equal(fmt('! a'), '!a');
  assert.equal(fmt('a !=  b'), 'a!=b');
});

test('label: set-based edge forms follow upstream ("" is a value)', () => {
  assert.equal(fmt('x in (foo,,baz),y,z notin ()'), 'x in (,baz,foo),y,z notin ()');
  assert.deepEqual(parseLabelSelector('a in ()').requirements[0]!.values, ['']);
  assert.deepEqual(parseLabelSelector('a in (,b)').requirements[0]!.values, ['', 'b']);
  assert.deepEqual(parseLabelSelector('a in (b,)').requirements[0]!.values, ['', 'b']);
  assert.deepEqual(parseLabelSelector('a in (,)').requirements[0]!.values, ['']);
  assert.deepEqual(parseLabelSelector('a=').requirements[0]!.values, ['']);
  assert.deepEqual(parseLabelSelector('a=,b').requirements.map((r) => r.key), ['a', 'b']);
  // `in` and `notin` are ordinary identifiers as keys and values.
  assert.equal(fmt('in in (in,notin)'), 'in in (in,notin)');
  assert.equal(fmt('notin=in'), 'notin=in');
  assert.equal(fmt('!in'), '!in');
});

test('label: invalid syntax gives upstream messages', () => {
  const cases: Array<[string, string]> = [
    ['a b', `unable to parse requirement: found 'b', expected: ${OPS}`],
    ['a!', `unable to parse requirement: found '!', expected: ${OPS}`],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['(a)', "found '(', expected: !, identifier, or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b!', "found '!', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a===b', "unable to parse requirement: found '=', expected: identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in', "unable to parse requirement: found '' expected: '('"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
  ];
  for (const [input, msg] of cases) bad(() => parseLabelSelector(input), msg);
});

test('label: keys and values are validated with upstream field paths', () => {
  bad(() => parseLabelSelector('a*b*c=d'), `unable to parse requirement: <nil>: Invalid value: "a*b*c": ${NAME_PART_MSG}`);
  bad(() => parseLabelSelector('app:monolith'), `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART_MSG}`);
  bad(
    () => parseLabelSelector('a/b/c=d'),
    "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', " +
      QNAME_RE + ") with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  );
  bad(
    () => parseLabelSelector('Example.com/a'),
    "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  );
  bad(() => parseLabelSelector(`${'k'.repeat(64)}`), `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`);
  bad(() => parseLabelSelector('a=b-'), `unable to parse requirement: values[0][a]: Invalid value: "b-": ${LABEL_VALUE_MSG}`);
  bad(() => parseLabelSelector('a in (ok,-x)'), `unable to parse requirement: values[0][a]: Invalid value: "-x": ${LABEL_VALUE_MSG}`);
  bad(() => parseLabelSelector(`a=${'v'.repeat(64)}`), `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`);
  // Values are quoted with Go's %q, not JSON.
  bad(() => parseLabelSelector('k=\u0001x'), `unable to parse requirement: values[0][k]: Invalid value: "\\x01x": ${LABEL_VALUE_MSG}`);
});

test('label: > and < require int64 values', () => {
  bad(() => parseLabelSelector('a>x'), "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer");
  bad(() => parseLabelSelector('a<'), "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer");
  bad(() => parseLabelSelector('a>9223372036854775808'), "unable to parse requirement: values[0]: Invalid value: \"9223372036854775808\": for 'Gt', 'Lt' operators, the value must be an integer");
  bad(() => parseLabelSelector('a>1_000'), "unable to parse requirement: values[0]: Invalid value: \"1_000\": for 'Gt', 'Lt' operators, the value must be an integer");
  // Both checks fail: aggregated as [a, b].
  bad(
    () => parseLabelSelector('a>-x'),
    "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, " +
      `values[0][a]: Invalid value: "-x": ${LABEL_VALUE_MSG}]`,
  );
  assert.equal(fmt('a>9223372036854775807'), 'a>9223372036854775807');
  // The operand is also a label value, so signed integers are rejected even though they parse.
  bad(() => parseLabelSelector('a<-5'), `unable to parse requirement: values[0][a]: Invalid value: "-5": ${LABEL_VALUE_MSG}`);
  bad(() => parseLabelSelector('a<+3'), `unable to parse requirement: values[0][a]: Invalid value: "+3": ${LABEL_VALUE_MSG}`);
});

test('label: a NUL byte ends a token as in upstream\'s lexer', () => {
  assert.equal(fmt('a=b,\u0000c'), 'a=b,c');
  bad(() => parseLabelSelector('a=b\u0000c'), "found 'c', expected: ',' or 'end of string'");
});

// ---------------------------------------------------------------------------------------------
// Label selectors: matching

test('label: matching semantics per operator', () => {
  const l = { app: 'web', tier: 'front', n: '10', s: 'ten' };
  assert.equal(m('app=web', l), true);
  assert.equal(m('app==web', l), true);
  assert.equal(m('app=db', l), false);
  assert.equal(m('missing=', l), false); // = needs the key present, even for ""
  assert.equal(m('app!=db', l), true);
  assert.equal(m('app!=web', l), false);
  assert.equal(m('missing!=x', l), true); // != is true when the key is absent
  assert.equal(m('app in (db,web)', l), true);
  assert.equal(m('app in (db)', l), false);
  assert.equal(m('missing in (x)', l), false);
  assert.equal(m('app notin (db)', l), true);
  assert.equal(m('app notin (web)', l), false);
  assert.equal(m('missing notin (x)', l), true); // notin is true when the key is absent
  assert.equal(m('app', l), true);
  assert.equal(m('missing', l), false);
  assert.equal(m('!missing', l), true);
  assert.equal(m('!app', l), false);
  assert.equal(m('n>9', l), true);
  assert.equal(m('n>10', l), false);
  assert.equal(m('n<11', l), true);
  assert.equal(m('n<10', l), false);
  assert.equal(m('n<1', { n: '-4' }), true); // label values may not be negative, but compare anyway
  assert.equal(m('s>1', l), false); // non-integer label value never matches
  assert.equal(m('s<1', l), false);
  assert.equal(m('missing>1', l), false);
  assert.equal(m('app=web,tier=front,n>1', l), true); // comma is AND
  assert.equal(m('app=web,tier=back', l), false);
  assert.equal(labelsMatch(parseLabelSelector('app'), l), true);
});

test('label: undefined labels behave as an empty set', () => {
  assert.equal(m('a!=b'), true);
  assert.equal(m('a notin (b)'), true);
  assert.equal(m('!a'), true);
  assert.equal(m('a'), false);
  assert.equal(m('a=b'), false);
  assert.equal(m('a>1'), false);
  assert.equal(m('hasOwnProperty', {}), false); // no prototype leakage
});

test('label: large integers compare exactly', () => {
  assert.equal(m('n>9007199254740992', { n: '9007199254740993' }), true);
  assert.equal(m('n<0', { n: '9223372036854775808' }), false); // out of int64 range: no match
});

test('label: requiresExactLabelMatch', () => {
  assert.equal(requiresExactLabelMatch(parseLabelSelector('a=1,b'), 'a'), '1');
  assert.equal(requiresExactLabelMatch(parseLabelSelector('a in (1)'), 'a'), '1');
  assert.equal(requiresExactLabelMatch(parseLabelSelector('a in (1,2)'), 'a'), undefined);
  assert.equal(requiresExactLabelMatch(parseLabelSelector('a!=1'), 'a'), undefined);
  assert.equal(requiresExactLabelMatch(parseLabelSelector('b=1'), 'a'), undefined);
});

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector

test('LabelSelectorAsSelector: nil selects nothing, {} everything', () => {
  for (const v of [null, undefined]) {
    const sel = selectorFromLabelSelectorObject(v);
    assert.equal(sel, NOTHING);
    assert.equal(matches(sel, {}), false);
    assert.equal(isEmpty(sel), false);
    assert.equal(formatLabelSelector(sel), '');
  }
  const all = selectorFromLabelSelectorObject({});
  assert.equal(all, EVERYTHING);
  assert.equal(matches(all, undefined), true);
  assert.equal(isEmpty(selectorFromLabelSelectorObject({ matchLabels: {}, matchExpressions: [] })), true);
});

test('LabelSelectorAsSelector: matchLabels and matchExpressions', () => {
  const sel = selectorFromLabelSelectorObject({
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['a'] },
      { key: 'owner', operator: 'Exists', values: [] },
    ],
  });
  assert.equal(formatLabelSelector(sel), 'app=web,!canary,env in (dev,prod),owner,tier=front,zone notin (a)');
  assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'prod', owner: 'x' }), true);
  assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'prod', owner: 'x', canary: '1' }), false);
  assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'qa', owner: 'x' }), false);
});

test('LabelSelectorAsSelector: upstream errors', () => {
  bad(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), '"Gt" is not a valid pod selector operator');
  bad(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'in', values: ['1'] }] }), '"in" is not a valid pod selector operator');
  bad(
    () => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
  );
  bad(
    () => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
  );
  bad(() => selectorFromLabelSelectorObject({ matchLabels: { 'a b': 'x' } }), `key: Invalid value: "a b": ${NAME_PART_MSG}`);
  bad(() => selectorFromLabelSelectorObject({ matchLabels: { a: 'x y' } }), `values[0][a]: Invalid value: "x y": ${LABEL_VALUE_MSG}`);
  bad(
    () => selectorFromLabelSelectorObject({ matchExpressions: [{ key: '-k', operator: 'NotIn', values: ['-v'] }] }),
    `[key: Invalid value: "-k": ${NAME_PART_MSG}, values[0][-k]: Invalid value: "-v": ${LABEL_VALUE_MSG}]`,
  );
});

test('newRequirement validates like labels.NewRequirement', () => {
  assert.deepEqual(newRequirement('a', 'in', ['x']), { key: 'a', operator: 'in', values: ['x'] });
  bad(() => newRequirement('a', '=', ['x', 'y']), 'values: Invalid value: []string{"x", "y"}: exact-match compatibility requires one single value');
  bad(() => newRequirement('a', 'gt', []), "values: Invalid value: []string{}: for 'Gt', 'Lt' operators, exactly one value is required");
});

// ---------------------------------------------------------------------------------------------
// Field selectors

test('field: operators, AND, sorting and canonical form', () => {
  assert.deepEqual(requirements(parseFieldSelector('metadata.name=foo')), [{ field: 'metadata.name', operator: '=', value: 'foo' }]);
  assert.deepEqual(requirements(parseFieldSelector('type==Opaque')), [{ field: 'type', operator: '=', value: 'Opaque' }]);
  assert.deepEqual(requirements(parseFieldSelector('type!=Opaque')), [{ field: 'type', operator: '!=', value: 'Opaque' }]);
  const sel = parseFieldSelector('type!=Opaque,metadata.name==foo');
  assert.deepEqual(requirements(sel).map((r) => r.field), ['metadata.name', 'type']); // raw terms sorted
  assert.equal(formatFieldSelector(sel), 'metadata.name=foo,type!=Opaque');
  assert.equal(formatFieldSelector(parseFieldSelector('a=')), 'a=');
  // Only the first operator splits; the key takes no escapes.
  bad(() => parseFieldSelector('a!==b'), 'invalid field selector: unescaped character in value: 61');
  assert.deepEqual(requirements(parseFieldSelector('a!=\\=b')), [{ field: 'a', operator: '!=', value: '=b' }]);
});

test('field: empty selectors select everything', () => {
  for (const s of ['', ',', ',,']) {
    const sel = parseFieldSelector(s);
    assert.equal(isEmptyFieldSelector(sel), true);
    assert.equal(matchesFields(sel, {}), true);
    assert.equal(formatFieldSelector(sel), '');
  }
});

test('field: whitespace is significant', () => {
  assert.deepEqual(requirements(parseFieldSelector('metadata.name = x')), [{ field: 'metadata.name ', operator: '=', value: ' x' }]);
  bad(() => validateFieldSelector(parseFieldSelector('metadata.name = x'), SECRET_FIELD_LABELS, 'secrets'), 'field label not supported: metadata.name ');
});

test('field: escaping of \\, = and , in values', () => {
  assert.deepEqual(requirements(parseFieldSelector('a=b\\,c')), [{ field: 'a', operator: '=', value: 'b,c' }]);
  assert.deepEqual(requirements(parseFieldSelector('a=b\\=c')), [{ field: 'a', operator: '=', value: 'b=c' }]);
  assert.deepEqual(requirements(parseFieldSelector('a=b\\\\c')), [{ field: 'a', operator: '=', value: 'b\\c' }]);
  assert.deepEqual(requirements(parseFieldSelector('a=x\\,y,b=z')).map((r) => r.value), ['x,y', 'z']);
  assert.equal(escapeFieldValue('a\\b,c=d'), 'a\\\\b\\,c\\=d');
  const odd = 'x,=\\y';
  const sel = parseFieldSelector(`f=${escapeFieldValue(odd)}`);
  assert.deepEqual(requirements(sel), [{ field: 'f', operator: '=', value: odd }]);
  assert.equal(formatFieldSelector(sel), 'f=x\\,\\=\\\\y');
});

test('field: invalid selectors give upstream messages', () => {
  bad(() => parseFieldSelector('foo'), "invalid selector: 'foo'; can't understand 'foo'");
  bad(() => parseFieldSelector('a=b,c'), "invalid selector: 'a=b,c'; can't understand 'c'");
  bad(() => parseFieldSelector('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  bad(() => parseFieldSelector('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  bad(() => parseFieldSelector('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
  // Terms are sorted before parsing, so the first bad term in sorted order is reported.
  bad(() => parseFieldSelector('z,a=b\\q'), 'invalid field selector: invalid escape sequence: \\q');
  bad(() => parseFieldSelector('zz,yy'), "invalid selector: 'zz,yy'; can't understand 'yy'");
});

test('field: matching (a missing field reads as "")', () => {
  const f = { 'metadata.name': 'foo', 'metadata.namespace': 'ns', type: 'Opaque' };
  assert.equal(matchesFields(parseFieldSelector('metadata.name=foo'), f), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name==foo,type=Opaque'), f), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name=foo,type!=Opaque'), f), false);
  assert.equal(matchesFields(parseFieldSelector('type!=kubernetes.io/tls'), f), true);
  assert.equal(matchesFields(parseFieldSelector('other='), f), true);
  assert.equal(matchesFields(parseFieldSelector('other!=x'), f), true);
  assert.equal(fieldsMatch(parseFieldSelector('metadata.namespace=other'), f), false);
});

test('field: unsupported field labels are rejected with the apiserver text', () => {
  bad(() => validateFieldSelector(parseFieldSelector('spec.foo=bar'), SECRET_FIELD_LABELS, 'secrets'), 'field label not supported: spec.foo');
  bad(() => validateFieldSelector(parseFieldSelector('=x'), SECRET_FIELD_LABELS, 'Secret'), 'field label not supported: ');
  // The first unsupported label in sorted order is named.
  bad(() => validateFieldSelector(parseFieldSelector('z=1,b=2,type=x'), SECRET_FIELD_LABELS, 'secrets'), 'field label not supported: b');
  validateFieldSelector(parseFieldSelector('metadata.name=a,metadata.namespace!=b,type=Opaque'), SECRET_FIELD_LABELS, 'secrets');
  // Namespaces: metadata.name and status.phase only.
  validateFieldSelector(parseFieldSelector('status.phase=Active'), NAMESPACE_FIELD_LABELS, 'namespaces');
  bad(() => validateFieldSelector(parseFieldSelector('metadata.namespace=x'), NAMESPACE_FIELD_LABELS, 'namespaces'), 'field label not supported: metadata.namespace');
  // Kinds without a conversion func use runtime.DefaultMetaV1FieldSelectorConversion's text.
  bad(
    () => validateFieldSelector(parseFieldSelector('type=x'), DEFAULT_FIELD_LABELS, 'serviceaccounts'),
    '"type" is not a known field selector: only "metadata.name", "metadata.namespace"',
  );
  // A ResourceInfo-like object is accepted; a non-core group never has core's conversion funcs.
  const secretInfo = { group: '', kind: 'Secret', resource: 'secrets' };
  bad(() => validateFieldSelector(parseFieldSelector('x=1'), SECRET_FIELD_LABELS, secretInfo), 'field label not supported: x');
  const roleInfo = { group: 'rbac.authorization.k8s.io', kind: 'Role', resource: 'roles' };
  bad(() => validateFieldSelector(parseFieldSelector('x=1'), DEFAULT_FIELD_LABELS, roleInfo), '"x" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('field: exactNameFromSelector', () => {
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=foo')), 'foo');
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name==foo,type=Opaque')), 'foo');
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name!=foo')), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('type=Opaque')), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('')), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=')), '');
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=b,metadata.name=a')), 'a'); // first in sorted order
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=a\\,b')), 'a,b');
  assert.equal(exactNameFromSelector(oneTermEqualSelector('metadata.name', 'x')), 'x');
  // For authorization, only names that are valid path segments count (request-info rule).
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=foo'), { forAuthorization: true }), 'foo');
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=..'), { forAuthorization: true }), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=a/b'), { forAuthorization: true }), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name=a%b'), { forAuthorization: true }), undefined);
  assert.equal(exactNameFromSelector(parseFieldSelector('metadata.name='), { forAuthorization: true }), undefined);
  assert.equal(requiresExactFieldMatch(parseFieldSelector('type=Opaque'), 'type'), 'Opaque');
});

test('field: single-object URLs need a selector restating the name', () => {
  assertSelectorMatchesName(parseFieldSelector(''), 'foo');
  assertSelectorMatchesName(parseFieldSelector(','), 'foo');
  assertSelectorMatchesName(parseFieldSelector('metadata.name=foo'), 'foo');
  assertSelectorMatchesName(parseFieldSelector('metadata.name=foo,type=Opaque'), 'foo');
  const msg = "fieldSelector metadata.name doesn't match requested name";
  bad(() => assertSelectorMatchesName(parseFieldSelector('metadata.name=bar'), 'foo'), msg);
  bad(() => assertSelectorMatchesName(parseFieldSelector('type=Opaque'), 'foo'), msg);
  bad(() => assertSelectorMatchesName(parseFieldSelector('metadata.name!=bar'), 'foo'), msg);
});

test('goQuote matches strconv.Quote', () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('\n\t\u0000\u007f'), '"\\n\\t\\x00\\x7f"');
  assert.equal(goQuote('é☃'), '"é☃"');
  assert.equal(goQuote('\u00a0\u200b'), '"\\u00a0\\u200b"');
});
