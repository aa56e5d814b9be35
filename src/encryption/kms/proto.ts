// Loads the KMS v2 .proto files: the plugin service for gRPC (proto-loader, keepCase so the field
// names are the wire names: key_id, not keyId) and EncryptedObject for the stored bytes (protobufjs).

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { protoFile as sourceProto } from '../../api/proto/files.js';

const protoFile = (name: string) => sourceProto('encryption/kms/proto', name);

export interface StatusResponse {
  version: string;
  healthz: string;
  key_id: string;
}
export interface EncryptRequest {
  plaintext: Uint8Array;
  uid: string;
}
export interface EncryptResponse {
  ciphertext: Uint8Array;
  key_id: string;
  annotations: Record<string, Uint8Array>;
}
export interface DecryptRequest {
  ciphertext: Uint8Array;
  uid: string;
  key_id: string;
  annotations: Record<string, Uint8Array>;
}
export interface DecryptResponse {
  plaintext: Uint8Array;
}

let service: grpc.ServiceDefinition | undefined;
let clientCtor: grpc.ServiceClientConstructor | undefined;

function load(): { service: grpc.ServiceDefinition; client: grpc.ServiceClientConstructor } {
  if (!service || !clientCtor) {
    const def = protoLoader.loadSync(protoFile('kms_v2.proto'), { keepCase: true, longs: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { v2: { KeyManagementService: grpc.ServiceClientConstructor } };
    clientCtor = pkg.v2.KeyManagementService;
    service = clientCtor.service;
  }
  return { service, client: clientCtor };
}

/** The v2.KeyManagementService definition, for a plugin server. */
export function kmsServiceDefinition(): grpc.ServiceDefinition {
  return load().service;
}

/** The generated client constructor of v2.KeyManagementService. */
export function kmsClientConstructor(): grpc.ServiceClientConstructor {
  return load().client;
}

let encryptedObject: protobuf.Type | undefined;

/** v2.EncryptedObject, the message stored after the kms v2 prefix. */
export function encryptedObjectType(): protobuf.Type {
  encryptedObject ??= protobuf.parse(readFileSync(protoFile('encrypted_object.proto'), 'utf8'), { keepCase: true }).root.lookupType('v2.EncryptedObject');
  return encryptedObject;
}
