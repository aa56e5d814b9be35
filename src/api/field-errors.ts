// Field-level validation errors, rendered exactly as apimachinery's field.Error so that kubectl shows
// the same text a kube-apiserver would (`data[a*b]: Invalid value: "a*b": ...`).

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Path in apimachinery syntax: `metadata.labels`, `data[.dockercfg]`, `metadata.finalizers[0]`. */
  field: string;
  /** Offending value, rendered per Go rules in the message; omitted for Required/Forbidden. */
  value?: unknown;
  detail?: string;
}

/** Builds field paths the way apimachinery's field.Path does. */
export class FieldPath {
  private constructor(private readonly text: string) {}
  static root(name: string): FieldPath {
    return new FieldPath(name);
  }
  child(name: string): FieldPath {
    return new FieldPath(this.text ? `${this.text}.${name}` : name);
  }
  key(key: string): FieldPath {
    return new FieldPath(`${this.text}[${key}]`);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  toString(): string {
    return this.text;
  }
}

type P = FieldPath | string;
const s = (p: P) => p.toString();

export const required = (p: P, detail?: string): FieldError => ({ type: 'FieldValueRequired', field: s(p), detail });
export const invalid = (p: P, value: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field: s(p), value, detail });
export const forbidden = (p: P, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: s(p), detail });
export const tooLong = (p: P, value: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong', field: s(p), value, detail: `may not be more than ${max} bytes`,
});
export const notSupported = (p: P, value: unknown, supported: string[]): FieldError => ({
  type: 'FieldValueNotSupported', field: s(p), value,
  detail: supported.length ? `supported values: ${supported.map(goQuote).join(', ')}` : undefined,
});
export const duplicate = (p: P, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: s(p), value });
export const notFound = (p: P, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: s(p), value });
export const internalError = (p: P, detail: string): FieldError => ({ type: 'InternalError', field: s(p), detail });

/** Marks a value whose Go rendering (struct/list %#v) cannot be derived from JSON. */
export const GO_REPR = Symbol.for('opaque.goRepr');

/** Go's %q for strings: JSON quoting is the same for the characters that occur in practice. */
export function goQuote(v: string): string {
  return JSON.stringify(v);
}

/** Renders a value the way field.Error does: strings quoted, numbers and bools bare, others as JSON. */
export function renderValue(v: unknown): string {
  // Values that Go prints with %#v or a generated String() carry their exact Go text.
  if (typeof v === 'object' && v !== null && GO_REPR in v) return (v as Record<symbol, string>)[GO_REPR]!;
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

/** The error body without the field path (what goes into StatusCause.message). */
export function errorBody(e: FieldError): string {
  const d = e.detail;
  switch (e.type) {
    case 'FieldValueRequired':
      return d ? `Required value: ${d}` : 'Required value';
    case 'FieldValueForbidden':
      return d ? `Forbidden: ${d}` : 'Forbidden';
    case 'FieldValueTooLong':
      return `Too long: ${d ?? ''}`;
    case 'FieldValueTooMany':
      return `Too many: ${renderValue(e.value)}: ${d ?? ''}`;
    case 'FieldValueNotSupported':
      return d ? `Unsupported value: ${renderValue(e.value)}: ${d}` : `Unsupported value: ${renderValue(e.value)}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${renderValue(e.value)}`;
    case 'FieldValueNotFound':
      return `Not found: ${renderValue(e.value)}`;
    case 'InternalError':
      return `Internal error: ${d ?? ''}`;
    case 'FieldValueInvalid':
    default:
      return d ? `Invalid value: ${renderValue(e.value)}: ${d}` : `Invalid value: ${renderValue(e.value)}`;
  }
}

export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${errorBody(e)}` : errorBody(e);
}
