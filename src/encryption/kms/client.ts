// The gRPC client of one KMS v2 plugin (kube's kmsv2 gRPCService): insecure credentials over the
// plugin's unix socket, every call bounded by the configured timeout and waiting for the connection
// up to that deadline (a plugin may start after the server, or restart). Errors name the provider and
// read like Go's gRPC errors; they never carry plaintext or key material.

import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  type DecryptRequest, type EncryptResponse, type StatusResponse, kmsClientConstructor,
} from './proto.js';

/** A call to the plugin failed; `code` is the gRPC status code when the plugin (or channel) gave one. */
export class KmsCallError extends Error {
  override name = 'KmsCallError';
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

/**
 * kube's parseEndpoint: only `unix://` URLs; a path starting `/@` names a Linux abstract socket.
 * Returns the grpc-js target.
 */
export function grpcTarget(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new Error(`invalid endpoint "${endpoint}" for remote KMS provider, error: not a URL`);
  }
  if (u.protocol !== 'unix:') throw new Error(`unsupported scheme "${u.protocol.replace(/:$/, '')}" for remote KMS provider`);
  const path = decodeURIComponent(`${u.host}${u.pathname}`);
  if (!path) throw new Error(`invalid endpoint "${endpoint}" for remote KMS provider, error: empty path`);
  if (path.startsWith('/@')) return `unix-abstract:${path.slice(2)}`;
  return `unix:${path.startsWith('/') ? path : `/${path}`}`;
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(grpc.status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k
    .toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())]),
);

function callError(method: string, err: grpc.ServiceError): KmsCallError {
  const code = CODE_NAMES[err.code] ?? String(err.code);
  return new KmsCallError(`${method}: rpc error: code = ${code} desc = ${err.details || err.message}`, err.code);
}

type Unary<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;

export class KmsV2Client {
  private readonly client: grpc.Client & Record<string, unknown>;

  constructor(
    readonly endpoint: string,
    readonly timeoutMs: number,
  ) {
    const Ctor = kmsClientConstructor();
    this.client = new Ctor(grpcTarget(endpoint), grpc.credentials.createInsecure(), {
      // Reconnect soon after a plugin restart rather than after grpc's default 2-minute backoff cap.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    }) as grpc.Client & Record<string, unknown>;
  }

  private call<Req, Res>(method: string, req: Req): Promise<Res> {
    const fn = (this.client[method] as Unary<Req, Res>).bind(this.client);
    return new Promise((resolve, reject) => {
      // waitForReady: queue the call until the socket connects, up to the deadline (kube's WaitForReady).
      fn(req, new grpc.Metadata({ waitForReady: true }), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(callError(method, err));
        else resolve(res);
      });
    });
  }

  status(): Promise<StatusResponse> {
    return this.call('Status', {});
  }

  encrypt(plaintext: Uint8Array, uid: string = randomUUID()): Promise<EncryptResponse> {
    return this.call('Encrypt', { plaintext, uid });
  }

  async decrypt(req: Omit<DecryptRequest, 'uid'>, uid: string = randomUUID()): Promise<Uint8Array> {
    const res = await this.call<DecryptRequest, { plaintext: Uint8Array }>('Decrypt', { ...req, uid });
    return res.plaintext;
  }

  close(): void {
    this.client.close();
  }
}
