// POST /opaque/v1/encryption/rotate?step=prepare|promote|reencrypt|cleanup — the guided rotation of
// the key that encrypts Secrets, applied to the configuration file in force and reloaded at once.
// Steps run one at a time; each is safe to repeat and refuses to run out of order (409).

import { readFileSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { StatusError, errors } from '../../api/errors.js';
import type { LiveEncryption } from '../../encryption/live.js';
import {
  RotationError, addReaderKey, checkOrder, dropOtherKeys, promoteKey, readState, writeState, type RotationStep,
} from '../../encryption/rotation.js';
import type { Registry } from '../../registry/index.js';
import { encryptionStatus, reencrypt } from './encryption.js';
import { replacePrivate } from '../../pki/files.js';

const STEPS: RotationStep[] = ['prepare', 'promote', 'reencrypt', 'cleanup'];
let running = false;

async function apply(live: LiveEncryption, text: string): Promise<void> {
  replacePrivate(live.file, text);
  await live.reloadIfChanged();
  if (live.state.lastError) throw errors.internal(`the edited configuration did not load: ${live.state.lastError}`);
}

function conflict(message: string): StatusError {
  return new StatusError(409, 'Conflict', message);
}

export async function rotate(registry: Registry, live: LiveEncryption, reply: FastifyReply, step: string, signal: AbortSignal): Promise<unknown> {
  if (!STEPS.includes(step as RotationStep)) throw errors.badRequest(`step must be one of ${STEPS.join(', ')}`);
  if (running) throw conflict('another rotation step is running');
  running = true;
  try {
    const state = readState(live.file);
    try {
      checkOrder(step as RotationStep, state);
    } catch (err) {
      throw conflict((err as Error).message);
    }
    const text = readFileSync(live.file, 'utf8');
    const done = (message: string) => reply.code(200).type('application/json').send(JSON.stringify({ step, stage: readState(live.file).stage, message }));
    if (step === 'prepare') {
      if (state.stage === 'prepared') return done(`already prepared: key "${state.newKey}" can read; next: promote`);
      const r = addReaderKey(text);
      await apply(live, r.text);
      writeState(live.file, { stage: 'prepared', newKey: r.newKey, oldKeys: r.oldKeys });
      return done(`key "${r.newKey}" added as a reader; next: promote`);
    }
    if (step === 'promote') {
      if (state.stage !== 'promoted') await apply(live, promoteKey(text, state.newKey!));
      writeState(live.file, { ...state, stage: 'promoted' });
      return done(`key "${state.newKey}" now encrypts every write; next: reencrypt`);
    }
    if (step === 'reencrypt') {
      const res = await reencrypt(registry, live, reply, signal);
      if (res.completed && res.failed === 0) writeState(live.file, { ...state, stage: 'reencrypted' });
      return reply;
    }
    // cleanup: only when nothing is stored under the keys being dropped.
    const status = await encryptionStatus(registry, live);
    const left = (status.resources as { resource: string; stale: number }[]).reduce((n, r) => n + r.stale, 0);
    if (left > 0) throw conflict(`${left} stored objects are still not under key "${state.newKey}": run reencrypt again`);
    await apply(live, dropOtherKeys(text, state.newKey!));
    writeState(live.file, { stage: 'none' });
    return done(`keys ${state.oldKeys?.map((k) => `"${k}"`).join(', ')} removed; the rotation is complete`);
  } catch (err) {
    if (err instanceof RotationError) throw conflict(err.message);
    throw err;
  } finally {
    running = false;
  }
}
