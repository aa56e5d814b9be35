// The label-selector lexer (pkg/labels/lexer.go): byte-for-byte the same token boundaries as
// upstream's Lexer. Used only by the parser in labels.ts; the error literal of a Tok.Error item is
// part of the 400 message kubectl shows, so it follows upstream exactly.

export const enum Tok { Error, EOS, ClosedPar, Comma, DoesNotExist, DoubleEquals, Equals, GreaterThan, Identifier, In, LessThan, NotEquals, NotIn, OpenPar }

const LITERALS: ReadonlyMap<string, Tok> = new Map([
  [')', Tok.ClosedPar], [',', Tok.Comma], ['!', Tok.DoesNotExist], ['==', Tok.DoubleEquals],
  ['=', Tok.Equals], ['>', Tok.GreaterThan], ['in', Tok.In], ['<', Tok.LessThan],
  ['!=', Tok.NotEquals], ['notin', Tok.NotIn], ['(', Tok.OpenPar],
]);

export interface Item { tok: Tok; lit: string }

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c) && c !== '';

export function lex(s: string): Item[] {
  let pos = 0;
  // Upstream's read() yields byte 0 at end of input, and a literal NUL is indistinguishable from
  // it; '' plays that role here so a NUL in the query ends a token exactly as it does upstream.
  const read = (): string => {
    if (pos < s.length) {
      const c = s[pos++]!;
      return c === '\0' ? '' : c;
    }
    pos++; // upstream does not advance past the end, but unread() never follows an end read
    return '';
  };
  const unread = () => { pos--; };
  const items: Item[] = [];
  for (;;) {
    let c = read();
    while (isWhitespace(c)) c = read();
    if (c === '') { items.push({ tok: Tok.EOS, lit: '' }); return items; }
    unread();
    if (isSpecial(c)) {
      // Longest run of special characters that still forms a known operator.
      let buf = '';
      let last: Item | undefined;
      for (;;) {
        const ch = read();
        if (ch === '') break;
        if (isSpecial(ch)) {
          buf += ch;
          const t = LITERALS.get(buf);
          if (t !== undefined) last = { tok: t, lit: buf };
          else if (last) { unread(); break; }
        } else { unread(); break; }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      for (;;) {
        const ch = read();
        if (ch === '') break;
        if (isSpecial(ch) || isWhitespace(ch)) { unread(); break; }
        buf += ch;
      }
      items.push({ tok: LITERALS.get(buf) ?? Tok.Identifier, lit: buf });
    }
  }
}
