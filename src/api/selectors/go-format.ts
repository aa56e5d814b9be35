// Small Go-compatibility helpers for the selector parsers. Selector errors embed values printed with
// Go's %q / %#v and apimachinery sorts with Go's byte-wise string order; reproducing both keeps our
// 400 messages and canonical strings byte-identical to kube-apiserver's.

/** Go's `a < b` on strings: UTF-8 byte order, which equals code-point order (not UTF-16 order). */
export function goCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

// strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote (what %q prints for a string). JSON.stringify differs for control characters. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    switch (r) {
      case 0x07: out += '\\a'; continue;
      case 0x08: out += '\\b'; continue;
      case 0x0c: out += '\\f'; continue;
      case 0x0a: out += '\\n'; continue;
      case 0x0d: out += '\\r'; continue;
      case 0x09: out += '\\t'; continue;
      case 0x0b: out += '\\v'; continue;
      case 0x5c: out += '\\\\'; continue;
      case 0x22: out += '\\"'; continue;
    }
    if (r >= 0xd800 && r <= 0xdfff) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go
    else if (printable.test(ch)) out += ch;
    else if (r < 0x20 || r === 0x7f) out += `\\x${r.toString(16).padStart(2, '0')}`;
    else if (r < 0x10000) out += `\\u${r.toString(16).padStart(4, '0')}`;
    else out += `\\U${r.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** %#v of a []string; nil and empty slices print differently in Go. */
export function goStringSliceRepr(xs: readonly string[] | null): string {
  if (xs === null) return '[]string(nil)';
  return `[]string{${xs.map(goQuote).join(', ')}}`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): optional sign, decimal digits only, must fit int64. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** field.Error.Error() for an Invalid error: `<path>: Invalid value: <value>: <detail>`. */
export function invalidText(path: string, renderedValue: string, detail: string): string {
  return `${path}: Invalid value: ${renderedValue}${detail ? `: ${detail}` : ''}`;
}

/**
 * field.ErrorList.ToAggregate().Error(): duplicates dropped, one message alone, several as
 * `[a, b]`.
 */
export function aggregateText(msgs: readonly string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
