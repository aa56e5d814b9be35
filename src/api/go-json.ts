// The error text Go's encoding/json.Unmarshal gives when decoding bytes into map[string]interface{}.
// kube-apiserver puts that text verbatim into dockercfg/dockerconfigjson validation errors, so we
// reproduce it: Go first runs a byte-level syntax scanner over the whole input (first error wins,
// worded by scanner context), then reports a type mismatch if the top-level value is not an object.
// This is a small state machine with the same states and wording as Go's scanner.

type Ctx = 'objectKey' | 'objectValue' | 'arrayValue';
type Step = (c: number) => void;

class SyntaxErr extends Error {}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: the byte as a rune, quoted like strconv.Quote but between single quotes. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  return `'${goQuoteRuneBody(c)}'`;
}

function goQuoteRuneBody(r: number): string {
  switch (r) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x0b: return '\\v';
    case 0x5c: return '\\\\';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, '0')}`;
  // Latin-1 range: C1 controls, NBSP and soft hyphen are not printable for strconv.IsPrint.
  if ((r >= 0x80 && r < 0xa0) || r === 0xa0 || r === 0xad) return `\\u${r.toString(16).padStart(4, '0')}`;
  return String.fromCodePoint(r);
}

function scanError(c: number, context: string): never {
  throw new SyntaxErr(`invalid character ${goQuoteChar(c)} ${context}`);
}

/** Returns the syntax error message, or null when the input is one well-formed JSON value. */
export function goJsonSyntaxError(data: Uint8Array): string | null {
  const stack: Ctx[] = [];
  let endTop = false;
  let pendingTopError: string | null = null;

  const literal = (rest: string, name: string, next: Step): Step => {
    const want = rest.charCodeAt(0);
    return (c) => {
      if (c !== want) scanError(c, `in literal ${name} (expecting ${goQuoteChar(want)})`);
      step = rest.length > 1 ? literal(rest.slice(1), name, next) : next;
    };
  };

  const endTopState: Step = (c) => {
    // Go records the first non-space byte after the value and reports it once scanning stops.
    if (!isSpace(c) && pendingTopError === null) pendingTopError = `invalid character ${goQuoteChar(c)} after top-level value`;
  };

  const pop = () => {
    stack.pop();
    if (stack.length === 0) {
      step = endTopState;
      endTop = true;
    } else {
      step = endValue;
    }
  };

  const endValue: Step = (c) => {
    if (stack.length === 0) {
      step = endTopState;
      endTop = true;
      endTopState(c);
      return;
    }
    if (isSpace(c)) {
      step = endValue;
      return;
    }
    const top = stack[stack.length - 1]!;
    if (top === 'objectKey') {
      if (c === 0x3a) {
        stack[stack.length - 1] = 'objectValue';
        step = beginValue;
        return;
      }
      scanError(c, 'after object key');
    }
    if (top === 'objectValue') {
      if (c === 0x2c) {
        stack[stack.length - 1] = 'objectKey';
        step = beginString;
        return;
      }
      if (c === 0x7d) return pop();
      scanError(c, 'after object key:value pair');
    }
    if (c === 0x2c) {
      step = beginValue;
      return;
    }
    if (c === 0x5d) return pop();
    scanError(c, 'after array element');
  };

  const exp0: Step = (c) => {
    if (!isDigit(c)) endValue(c);
  };
  const expSign: Step = (c) => {
    if (isDigit(c)) step = exp0;
    else scanError(c, 'in exponent of numeric literal');
  };
  const exp: Step = (c) => {
    if (c === 0x2b || c === 0x2d) step = expSign;
    else expSign(c);
  };
  const dot0: Step = (c) => {
    if (isDigit(c)) return;
    if (c === 0x65 || c === 0x45) step = exp;
    else endValue(c);
  };
  const dot: Step = (c) => {
    if (isDigit(c)) step = dot0;
    else scanError(c, 'after decimal point in numeric literal');
  };
  const zero: Step = (c) => {
    if (c === 0x2e) step = dot;
    else if (c === 0x65 || c === 0x45) step = exp;
    else endValue(c);
  };
  const digits: Step = (c) => {
    if (!isDigit(c)) zero(c);
  };
  const neg: Step = (c) => {
    if (c === 0x30) step = zero;
    else if (c >= 0x31 && c <= 0x39) step = digits;
    else scanError(c, 'in numeric literal');
  };

  const hexEsc = (left: number): Step => (c) => {
    if (!isHex(c)) scanError(c, 'in \\u hexadecimal character escape');
    step = left > 1 ? hexEsc(left - 1) : inString;
  };
  const inStringEsc: Step = (c) => {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) step = inString;
    else if (c === 0x75) step = hexEsc(4);
    else scanError(c, 'in string escape code');
  };
  const inString: Step = (c) => {
    if (c === 0x22) step = endValue;
    else if (c === 0x5c) step = inStringEsc;
    else if (c < 0x20) scanError(c, 'in string literal');
  };

  const beginValue: Step = (c) => {
    if (isSpace(c)) return;
    switch (c) {
      case 0x7b: stack.push('objectKey'); step = beginStringOrEmpty; return;
      case 0x5b: stack.push('arrayValue'); step = beginValueOrEmpty; return;
      case 0x22: step = inString; return;
      case 0x2d: step = neg; return;
      case 0x30: step = zero; return;
      case 0x74: step = literal('rue', 'true', endValue); return;
      case 0x66: step = literal('alse', 'false', endValue); return;
      case 0x6e: step = literal('ull', 'null', endValue); return;
    }
    if (c >= 0x31 && c <= 0x39) {
      step = digits;
      return;
    }
    scanError(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x5d) return endValue(c);
    beginValue(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x22) step = inString;
    else scanError(c, 'looking for beginning of object key string');
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x7d) {
      stack[stack.length - 1] = 'objectValue';
      return endValue(c);
    }
    beginString(c);
  };

  let step: Step = beginValue;
  try {
    for (const c of data) {
      step(c);
      if (pendingTopError) return pendingTopError;
    }
    if (endTop) return null;
    // At end of input Go feeds one more space: states that need a specific byte complain about it.
    step(0x20);
    if (endTop) return pendingTopError;
    return 'unexpected end of JSON input';
  } catch (e) {
    if (e instanceof SyntaxErr) return e.message;
    throw e;
  }
}

/** Full json.Unmarshal(data, &map[string]interface{}{}) error text, or null on success. */
export function goUnmarshalMapError(data: Uint8Array): string | null {
  const syntax = goJsonSyntaxError(data);
  if (syntax) return syntax;
  let i = 0;
  while (i < data.length && isSpace(data[i]!)) i++;
  const first = data[i];
  let kind: string | null = null;
  if (first === 0x5b) kind = 'array';
  else if (first === 0x22) kind = 'string';
  else if (first === 0x74 || first === 0x66) kind = 'bool';
  else if (first === 0x2d || (first !== undefined && isDigit(first))) kind = 'number';
  // objects decode into the map; null leaves it untouched
  return kind ? `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` : null;
}
