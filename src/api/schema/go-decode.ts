// Error texts of two Go decoders that run inside kube's JSON decoding and whose messages reach the
// client verbatim: encoding/base64 (StdEncoding, for []byte fields such as Secret.data) and
// time.Parse with the RFC 3339 layout (metav1.Time.UnmarshalJSON). Same algorithms, same offsets.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int16Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;
const isNewline = (c: number | undefined) => c === 0x0a || c === 0x0d;

/**
 * base64.StdEncoding.Decode's error for the UTF-8 bytes of `s`, or null when it decodes.
 * Offsets are byte offsets, as in Go's CorruptInputError ("illegal base64 data at input byte N").
 * Like Go, '\r' and '\n' are skipped and padding is required.
 */
export function goBase64Error(s: string): string | null {
  const src = Buffer.from(s, 'utf8');
  const corrupt = (n: number) => `illegal base64 data at input byte ${n}`;
  let si = 0;
  while (si < src.length) {
    // One quantum: up to four symbols, as encoding/base64's decodeQuantum.
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return null;
        return corrupt(si - j); // StdEncoding pads, so a short final quantum is corrupt
      }
      const c = src[si]!;
      si++;
      if (B64_VALUE[c]! >= 0) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) return corrupt(si - 1);
      // Padding: only legal as the 3rd or 4th symbol of the last quantum.
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== 0x3d) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      return si < src.length ? corrupt(si) : null;
    }
  }
  return null;
}

/** time's quote(): ASCII kept (with \" and \\ escaped), every other byte as \xNN. */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80 || c < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      out += c === 0x22 || c === 0x5c ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const isDigitAt = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39;

/** time's getnum: one or two digits; `fixed` demands two. */
function getnum(s: string, fixed: boolean): [number, string] | null {
  if (!isDigitAt(s, 0)) return null;
  if (!isDigitAt(s, 1)) return fixed ? null : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The error time.Parse(time.RFC3339, value) returns, or null if it parses. Walks the layout's
 * chunks ("2006" "-" "01" "-" "02" "T" "15" ":" "04" ":" "05" "Z07:00") the way Go's parser does,
 * so the "cannot parse X as Y" and "… out of range" texts match.
 */
export function goTimeParseError(value: string): string | null {
  const whole = timeQuote(value);
  const cannot = (rest: string, elem: string) => `parsing time ${whole} as ${timeQuote(RFC3339)}: cannot parse ${timeQuote(rest)} as ${timeQuote(elem)}`;
  const range = (what: string) => `parsing time ${whole}: ${what} out of range`;
  const chunks: [string, string][] = [['', '2006'], ['-', '01'], ['-', '02'], ['T', '15'], [':', '04'], [':', '05'], ['', 'Z07:00']];
  let v = value;
  let year = 0;
  let month = 0;
  let day = 0;
  for (const [prefix, std] of chunks) {
    if (prefix) {
      if (!v.startsWith(prefix)) return cannot(v, prefix);
      v = v.slice(prefix.length);
    }
    const hold = v;
    switch (std) {
      case '2006': {
        if (!/^\d{4}$/.test(v.slice(0, 4))) return cannot(hold, std);
        year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      }
      case '01': case '02': case '15': case '04': case '05': {
        const r = getnum(v, std !== '15');
        if (!r) return cannot(hold, std);
        [, v] = r;
        const n = r[0];
        if (std === '01') {
          month = n;
          if (n < 1 || n > 12) return range('month');
        } else if (std === '02') {
          day = n;
        } else if (std === '15' && n >= 24) {
          return range('hour');
        } else if (std === '04' && n >= 60) {
          return range('minute');
        } else if (std === '05') {
          if (n >= 60) return range('second');
          // A fraction the layout does not mention is still accepted after seconds.
          if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigitAt(v, 1)) {
            let k = 2;
            while (isDigitAt(v, k)) k++;
            v = v.slice(k);
          }
        }
        break;
      }
      case 'Z07:00': {
        if (v.startsWith('Z')) {
          v = v.slice(1);
          break;
        }
        if (v.length < 6 || v[3] !== ':') return cannot(hold, std);
        const sign = v[0];
        const hh = getnum(v.slice(1, 3), true);
        const mm = hh ? getnum(v.slice(4, 6), true) : null;
        v = v.slice(6);
        // Go records range problems before the syntax error and the later check overwrites.
        if (mm && mm[0] > 60) return range('time zone offset minute');
        if (hh && hh[0] > 24) return range('time zone offset hour');
        if (!hh || !mm || (sign !== '+' && sign !== '-')) return cannot(hold, std);
        break;
      }
    }
  }
  if (v.length) return `parsing time ${whole}: extra text: ${timeQuote(v)}`;
  if (day < 1 || day > daysIn(month, year)) return range('day');
  return null;
}
