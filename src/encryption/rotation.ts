// The guided key rotation (k3s' secrets-encrypt flow, on kube's EncryptionConfiguration): edits of the
// configuration file, one per step, keeping the operator's comments and layout.
//   prepare  add a new key to the write provider as a reader only (every server can read it first)
//   promote  make the new key the writer
//   (reencrypt rewrites everything under it; the server runs that step)
//   cleanup  drop the previous keys once nothing is stored under them
// Which step comes next is recorded in a small state file beside the configuration, so each step is
// safe to repeat and refuses to run out of order.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseEncryptionConfiguration, resourceRuleFor } from './config.js';
import { generateKeySecret, newKeyName } from './transformer.js';
import { replacePrivate } from '../pki/files.js';

export type RotationStage = 'none' | 'prepared' | 'promoted' | 'reencrypted';
export type RotationStep = 'prepare' | 'promote' | 'reencrypt' | 'cleanup';

export interface RotationState {
  stage: RotationStage;
  /** The key being introduced, and the keys it replaces. */
  newKey?: string;
  oldKeys?: string[];
  updated?: string;
}

const KEYED = ['aescbc', 'aesgcm', 'secretbox'] as const;

/** The step each stage allows next; a step already done is a no-op when repeated. */
const NEEDS: Record<RotationStep, RotationStage[]> = {
  prepare: ['none', 'prepared'],
  promote: ['prepared', 'promoted'],
  reencrypt: ['promoted', 'reencrypted'],
  cleanup: ['reencrypted'],
};

export class RotationError extends Error {}

export function statePath(configFile: string): string {
  return `${configFile}.rotation.json`;
}

export function readState(configFile: string): RotationState {
  const p = statePath(configFile);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as RotationState) : { stage: 'none' };
}

export function writeState(configFile: string, state: RotationState): void {
  const p = statePath(configFile);
  if (state.stage === 'none') {
    rmSync(p, { force: true });
    return;
  }
  replacePrivate(p, JSON.stringify({ ...state, updated: new Date().toISOString() }, null, 2) + '\n');
}

/** Refuses a step out of order, with what to run instead. */
export function checkOrder(step: RotationStep, state: RotationState): void {
  if (NEEDS[step].includes(state.stage)) return;
  const next: Record<RotationStage, string> = { none: 'prepare', prepared: 'promote', promoted: 'reencrypt', reencrypted: 'cleanup' };
  throw new RotationError(`cannot ${step}: the rotation is at stage "${state.stage}"; the next step is ${next[state.stage]}`);
}

/** The keys list of the provider that writes Secrets, as a YAML node of the document. */
function writeKeys(text: string): { doc: ReturnType<typeof parseDocument>; keys: YAMLSeq; names: string[] } {
  const config = parseEncryptionConfiguration(text);
  const rule = resourceRuleFor(config, '', 'secrets');
  const first = rule?.providers[0];
  const type = first && KEYED.find((t) => first.provider[t]);
  if (!first || !type) {
    throw new RotationError('the provider that writes secrets has no keys to rotate (identity or kms): rotate the KMS key in the plugin, or edit the configuration by hand');
  }
  const doc = parseDocument(text);
  const node = doc.getIn(['resources', first.resourceIndex, 'providers', first.providerIndex, type, 'keys'], true);
  if (!isSeq(node)) throw new RotationError('the keys of the write provider are not a list');
  const names = node.items.map((k) => String((isMap(k) ? (k as YAMLMap).get('name') : '') ?? ''));
  return { doc, keys: node as YAMLSeq, names };
}

/** prepare: append a fresh key (a reader until promote). Returns the new text and key name. */
export function addReaderKey(text: string): { text: string; newKey: string; oldKeys: string[] } {
  const { doc, keys, names } = writeKeys(text);
  const newKey = newKeyName(names);
  keys.add(doc.createNode({ name: newKey, secret: generateKeySecret() }));
  return { text: doc.toString(), newKey, oldKeys: names };
}

/** promote: move the named key to the front of the write provider's keys. */
export function promoteKey(text: string, key: string): string {
  const { doc, keys, names } = writeKeys(text);
  const i = names.indexOf(key);
  if (i < 0) throw new RotationError(`key "${key}" is not in the configuration any more`);
  if (i === 0) return text;
  const [item] = keys.items.splice(i, 1);
  keys.items.unshift(item!);
  return doc.toString();
}

/** cleanup: keep only the named key in the write provider. */
export function dropOtherKeys(text: string, key: string): string {
  const { doc, keys, names } = writeKeys(text);
  if (names[0] !== key) throw new RotationError(`key "${key}" is not the writer: promote it first`);
  keys.items.splice(1);
  return doc.toString();
}

