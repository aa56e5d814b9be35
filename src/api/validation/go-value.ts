// A few upstream errors carry values that field.Error prints with Go's %#v or a generated String()
// (a []string, an OwnerReference, a metav1.Time), which neither quoting nor JSON reproduces.
// Such values are wrapped: `toJSON` keeps a sensible JSON rendering for today's renderValue, and the
// GO_REPR symbol holds the exact Go text for a renderValue that checks for it.

export const GO_REPR: unique symbol = Symbol.for('opaque.goRepr');

export interface GoValue {
  readonly [GO_REPR]: string;
  toJSON(): unknown;
}

export function goValue(goText: string, json: unknown): GoValue {
  return { [GO_REPR]: goText, toJSON: () => json };
}

export function isGoValue(v: unknown): v is GoValue {
  return typeof v === 'object' && v !== null && GO_REPR in v;
}

/** Go's %q / %#v for a string (same for the characters names and finalizers can contain). */
const q = (s: string) => JSON.stringify(s);

/** %#v of a []string. */
export function goStringSlice(xs: string[]): GoValue {
  return goValue(`[]string{${xs.map(q).join(', ')}}`, xs);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * metav1.Time's String(): Go's time.Time default layout in UTC; the zero time when unset.
 * Unparseable input is shown verbatim rather than guessed at.
 */
export function goTime(rfc3339: string | null | undefined): GoValue {
  if (!rfc3339) return goValue('0001-01-01 00:00:00 +0000 UTC', null);
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return goValue(rfc3339, rfc3339);
  const text =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 UTC`;
  return goValue(text, rfc3339);
}

/** A *metav1.Time: nil renders as null, as field.Error does for nil pointers. */
export function goTimePtr(rfc3339: string | null | undefined): GoValue | null {
  return rfc3339 ? goTime(rfc3339) : null;
}

export interface OwnerRefLike {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

const boolPtr = (b: boolean | undefined) => (b === undefined ? 'nil' : `*${b}`);

/** The gogo-generated (*OwnerReference).String(), fields in proto tag order. */
export function goOwnerRefString(r: OwnerRefLike): string {
  return (
    `&OwnerReference{Kind:${r.kind ?? ''},Name:${r.name ?? ''},UID:${r.uid ?? ''},APIVersion:${r.apiVersion ?? ''},` +
    `Controller:${boolPtr(r.controller)},BlockOwnerDeletion:${boolPtr(r.blockOwnerDeletion)},}`
  );
}

/**
 * %#v of a []metav1.OwnerReference. Upstream prints raw pointer addresses for the *bool fields; a
 * fixed placeholder is used instead since real addresses are meaningless to clients.
 */
export function goOwnerRefSlice(refs: OwnerRefLike[]): GoValue {
  const ptr = (b: boolean | undefined) => (b === undefined ? '(*bool)(nil)' : '(*bool)(0xc000000000)');
  const one = (r: OwnerRefLike) =>
    `v1.OwnerReference{APIVersion:${q(r.apiVersion ?? '')}, Kind:${q(r.kind ?? '')}, Name:${q(r.name ?? '')}, ` +
    `UID:${q(r.uid ?? '')}, Controller:${ptr(r.controller)}, BlockOwnerDeletion:${ptr(r.blockOwnerDeletion)}}`;
  return goValue(`[]v1.OwnerReference{${refs.map(one).join(', ')}}`, refs);
}
