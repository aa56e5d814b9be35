// What env and volume resolution see of a Secret: its decoded data, or why it is unavailable
// (not found — which `optional` forgives — or any other failure, which it does not).

export type SecretView =
  | { found: true; data: Map<string, Buffer>; resourceVersion: string }
  | { found: false; notFound: boolean; message: string };

export interface SecretLookup {
  get(name: string): SecretView;
}
