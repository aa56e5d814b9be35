// The two errors of the protobuf codec. They live in their own module so that wire.ts, to-json.ts
// and from-json.ts can throw them without importing index.ts (which imports them); index.ts
// re-exports both.

/** A body is not a valid Kubernetes protobuf object (bad magic, malformed bytes, unknown kind). */
export class ProtobufDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtobufDecodeError';
  }
}

/** An object cannot be encoded (unknown kind, or a field of the wrong JSON type). */
export class ProtobufEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtobufEncodeError';
  }
}
