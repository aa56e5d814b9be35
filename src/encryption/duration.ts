// Go's time.ParseDuration and time.Duration.String, for the KMS `timeout` field (a metav1.Duration).
// Durations are carried as nanoseconds.

import { goQuote } from '../api/field-errors.js';

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration: "300ms", "-1.5h", "2h45m"; errors carry Go's wording. */
export function parseGoDuration(input: string): number {
  const invalid = () => new Error(`time: invalid duration ${goQuote(input)}`);
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw invalid();
    let i = 0;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    const intPart = s.slice(0, i);
    s = s.slice(i);
    let fracPart = '';
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      while (j < s.length && s[j]! >= '0' && s[j]! <= '9') j++;
      fracPart = s.slice(0, j);
      post = j > 0;
      s = s.slice(j);
    }
    if (intPart === '' && !post) throw invalid();
    let u = 0;
    while (u < s.length && s[u] !== '.' && !(s[u]! >= '0' && s[u]! <= '9')) u++;
    const unit = s.slice(0, u);
    s = s.slice(u);
    if (unit === '') throw new Error(`time: missing unit in duration ${goQuote(input)}`);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(input)}`);
    total += Number(intPart || '0') * scale + (fracPart ? Number(`0.${fracPart}`) * scale : 0);
  }
  if (total > 9223372036854775807) throw invalid();
  return neg ? -total : total;
}

function fmtFrac(v: bigint, prec: number): { text: string; rest: bigint } {
  let text = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) text = `${digit}${text}`;
    v /= 10n;
  }
  return { text: print ? `.${text}` : '', rest: v };
}

/** time.Duration.String: "3s", "1m30s", "1h0m0s", "1.5ms", "0s". */
export function formatGoDuration(ns: number): string {
  let u = BigInt(Math.round(Math.abs(ns)));
  const neg = ns < 0;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let unit: string;
    let prec: number;
    if (u < 1000n) {
      unit = 'ns';
      prec = 0;
    } else if (u < 1_000_000n) {
      unit = 'µs';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const f = fmtFrac(u, prec);
    out = `${f.rest}${f.text}${unit}`;
  } else {
    const f = fmtFrac(u, 9);
    u = f.rest;
    out = `${u % 60n}${f.text}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
