// KMS v2 building blocks against fixed facts: RFC 5869's HKDF-Expand vector, kube's EncryptedObject
// limits and messages, the seed cipher's layout, kube's endpoint rules.

import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { grpcTarget } from '../../src/encryption/kms/client.js';
import { dekCipher, hkdfExpandSha256, seedCipher } from '../../src/encryption/kms/dek.js';
import {
  AES_GCM_KEY, HKDF_SHA256_XNONCE_AES_GCM_SEED, decodeEncryptedObject, encodeEncryptedObject,
} from '../../src/encryption/kms/encrypted-object.js';

test('HKDF-Expand without extract: RFC 5869 test case 1, first 32 bytes of OKM from the PRK', () => {
  const prk = Buffer.from('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', 'hex');
  const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
  assert.equal(hkdfExpandSha256(prk, info).toString('hex'), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf');
});

test('seed cipher: info(32) || nonce(12) || ct || tag(16), DEK = HMAC(seed, info||1), storage key as AAD', async () => {
  const seed = randomBytes(32);
  const c = seedCipher(seed);
  const out = Buffer.from(await c.seal(Buffer.from('hello'), Buffer.from('/registry/secrets/a/b')));
  assert.equal(out.length, 32 + 12 + 5 + 16);
  assert.equal(Buffer.from(await c.open(out, Buffer.from('/registry/secrets/a/b'))).toString(), 'hello');
  await assert.rejects(async () => c.open(out, Buffer.from('/registry/secrets/a/c')), /message authentication failed/);
  // Written by hand the way Go's kube would: the cipher opens it.
  const info = randomBytes(32);
  const nonce = randomBytes(12);
  const dek = createHmac('sha256', seed).update(Buffer.concat([info, Buffer.of(1)])).digest();
  const g = createCipheriv('aes-256-gcm', dek, nonce);
  g.setAAD(Buffer.from('k'));
  const ct = Buffer.concat([g.update('go'), g.final()]);
  assert.equal(Buffer.from(await c.open(Buffer.concat([info, nonce, ct, g.getAuthTag()]), Buffer.from('k'))).toString(), 'go');
  assert.throws(() => seedCipher(randomBytes(16)), /invalid seed length 16/);
});

test('AES_GCM_KEY values (older writers) open with the DEK itself', async () => {
  const dek = randomBytes(32);
  const nonce = randomBytes(12);
  const g = createCipheriv('aes-256-gcm', dek, nonce);
  g.setAAD(Buffer.from('k'));
  const ct = Buffer.concat([g.update('legacy'), g.final()]);
  assert.equal(Buffer.from(await dekCipher(dek).open(Buffer.concat([nonce, ct, g.getAuthTag()]), Buffer.from('k'))).toString(), 'legacy');
});

test('EncryptedObject: round trip, proto3 zero values left off, kube\'s limits both ways', () => {
  const base = { encryptedData: Buffer.from('d'), keyID: 'k1', encryptedDEKSource: Buffer.from('src'), annotations: {}, encryptedDEKSourceType: HKDF_SHA256_XNONCE_AES_GCM_SEED } as const;
  const wire = Buffer.from(encodeEncryptedObject(base));
  // 0a 01 'd' | 12 02 'k1' | 1a 03 'src' | 28 01
  assert.equal(wire.toString('hex'), '0a016412026b311a037372632801');
  assert.deepEqual({ ...decodeEncryptedObject(wire), encryptedData: 'd' }, { ...base, encryptedData: 'd', encryptedDEKSource: Buffer.from('src') });
  const legacy = Buffer.from(encodeEncryptedObject({ ...base, encryptedDEKSourceType: AES_GCM_KEY }));
  assert.equal(legacy.toString('hex'), '0a016412026b311a03737263');
  assert.throws(() => encodeEncryptedObject({ ...base, keyID: '' }), { message: 'failed to validate key id: keyID is empty' });
  assert.throws(() => encodeEncryptedObject({ ...base, keyID: 'x'.repeat(1025) }), { message: 'failed to validate key id: keyID is 1025 bytes, which exceeds the max size of 1024' });
  assert.throws(() => encodeEncryptedObject({ ...base, encryptedDEKSource: Buffer.alloc(1025) }), /encrypted DEK source is 1025 bytes, which exceeds the max size of 1024/);
  assert.throws(() => encodeEncryptedObject({ ...base, encryptedData: Buffer.alloc(0) }), { message: 'encrypted data is empty' });
  assert.throws(() => encodeEncryptedObject({ ...base, annotations: { nodots: Buffer.from('x') } }), /annotations: Invalid value: "nodots": should be a domain with at least two segments/);
  assert.throws(() => encodeEncryptedObject({ ...base, annotations: { 'a.example.com': Buffer.alloc(33 * 1024) } }), /total size of annotations is \d+, which exceeds the max size of 32768/);
  assert.doesNotThrow(() => encodeEncryptedObject({ ...base, annotations: { 'key-version.example.com': Buffer.from('1') } }));
  assert.throws(() => decodeEncryptedObject(Buffer.from('0a0164', 'hex')), /keyID is empty|encrypted DEK source is empty/);
  assert.throws(() => decodeEncryptedObject(Buffer.from('0a016412026b311a0373726328 07'.replace(/ /g, ''), 'hex')), { message: 'unknown encryptedDEKSourceType: 7' });
});

test('endpoints: unix:// only, /@ is an abstract socket', () => {
  assert.equal(grpcTarget('unix:///var/run/kms.sock'), 'unix:/var/run/kms.sock');
  assert.equal(grpcTarget('unix:///@kms-plugin'), 'unix-abstract:kms-plugin');
  assert.throws(() => grpcTarget('tcp://127.0.0.1:9000'), /unsupported scheme "tcp" for remote KMS provider/);
});
