// Validation entry points: pure functions from objects to apimachinery-style field errors.

export * from './names.js';
export * from './objectmeta.js';
export * from './secret.js';
export * from './namespace.js';
export { x509KeyPairError } from './tls-keypair.js';
export { goUnmarshalMapError, goJsonSyntaxError } from '../go-json.js';
export { GO_REPR, type GoValue, goValue, isGoValue } from './go-value.js';
