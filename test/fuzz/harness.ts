// Shared machinery of the fuzz tests (test/unit/fuzz-*.test.ts, test/e2e/api-fuzz.test.ts):
//  - seeds: fixed per file in seeds.json so a CI run is reproducible; FUZZ_SEED=<n> overrides them
//    all, FUZZ_SEED=random draws one (printed, and fast-check prints seed + path on a failure);
//  - budget: each property's numRuns is tuned for the bounded CI run; FUZZ_RUNS replaces it and
//    FUZZ_SECONDS time-boxes every property (npm run fuzz sets both for a longer campaign);
//  - corpus: corpus/<target>.json holds inputs worth replaying first (every input that ever found a
//    bug among them); each run feeds them through the property before any generated input;
//  - the outcome rule every parser must keep: return, or throw the project's typed error (a
//    StatusError with a 4xx code, or the module's own error class) — never a TypeError, RangeError
//    or other crash — and never take long on one input.

import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { StatusError } from '../../src/api/errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const seeds = JSON.parse(readFileSync(join(HERE, 'seeds.json'), 'utf8')) as Record<string, number>;
let randomSeed: number | undefined;

/** The seed of one test file: FUZZ_SEED wins, else seeds.json. */
export function seedFor(file: string): number {
  const env = process.env['FUZZ_SEED'];
  if (env === 'random') {
    if (randomSeed === undefined) {
      randomSeed = Math.floor(Math.random() * 2 ** 31);
      process.stderr.write(`fuzz: FUZZ_SEED=${randomSeed} reproduces this run\n`);
    }
    return randomSeed;
  }
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${JSON.stringify(env)}`);
    return n;
  }
  const s = seeds[file];
  if (typeof s !== 'number') throw new Error(`test/fuzz/seeds.json has no seed for ${file}`);
  return s;
}

/** fast-check parameters for one property: the CI budget unless FUZZ_RUNS / FUZZ_SECONDS say otherwise. */
export function params(file: string, ciRuns: number): fc.Parameters<unknown> {
  const seconds = Number(process.env['FUZZ_SECONDS'] ?? 0);
  const runs = Number(process.env['FUZZ_RUNS'] ?? 0);
  // With both set, whichever ends first; FUZZ_SECONDS alone runs until the time is up.
  const numRuns = runs > 0 ? runs : seconds > 0 ? Number.MAX_SAFE_INTEGER : ciRuns;
  const p: fc.Parameters<unknown> = { seed: seedFor(file), numRuns, endOnFailure: false, includeErrorInReport: true };
  if (seconds > 0) {
    p.interruptAfterTimeLimit = seconds * 1000;
    p.markInterruptAsFailure = false;
  }
  return p;
}

export interface CorpusEntry {
  input: unknown;
  /** Why it is here: the bug it found, or the corner it reaches. */
  note?: string;
}

/** Entries of corpus/<target>.json, revived (see revive). */
export function corpus(target: string): unknown[] {
  const file = join(HERE, 'corpus', `${target}.json`);
  if (!existsSync(file)) return [];
  const entries = JSON.parse(readFileSync(file, 'utf8')) as CorpusEntry[];
  return entries.map((e) => revive(e.input));
}

/** `{"$bytes": "<hex>"}` and `{"$text": "<utf-8>"}` stand for a Buffer; objects are revived member-wise. */
function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    const o = v as { $bytes?: unknown; $text?: unknown };
    if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'hex');
    if (typeof o.$text === 'string') return Buffer.from(o.$text, 'utf8');
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: revive(x), writable: true, enumerable: true, configurable: true });
    return out;
  }
  return v;
}

/** One call should never come near this; a parser that does is hanging or super-linear. */
export const SLOW_CALL_MS = 2000;

export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs fn and checks the outcome rule. Returns the value, or undefined when fn threw an allowed
 * error. Anything else fails with the input described, so the report names what to fix.
 */
export function outcome<T>(what: string, fn: () => T, allowed: readonly ErrorClass[] = []): T | undefined {
  const start = performance.now();
  try {
    return fn();
  } catch (err) {
    if (err instanceof StatusError) {
      if (err.code >= 400 && err.code < 500) return undefined;
      throw new Error(`${what}: answered ${err.code} ${err.reason}: ${err.message}${err.detail ? ` (${err.detail})` : ''}`, { cause: err });
    }
    if (allowed.some((c) => err instanceof c)) return undefined;
    const e = err as Error;
    throw new Error(`${what}: crashed with ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`, { cause: err });
  } finally {
    const ms = performance.now() - start;
    if (ms > SLOW_CALL_MS) assert.fail(`${what}: one call took ${Math.round(ms)} ms`);
  }
}

/**
 * Asserts a property over one generated argument, corpus entries first. `target` names the corpus
 * file; `file` the seeds.json entry; `fromCorpus` turns a stored (JSON) entry into the argument.
 */
export function check<T>(file: string, target: string, arb: fc.Arbitrary<T>, prop: (v: T) => void, ciRuns: number,
  fromCorpus: (entry: unknown) => T = (entry) => entry as T): void {
  const examples = corpus(target).map((v) => [fromCorpus(v)] as [T]);
  fc.assert(fc.property(arb, prop), { ...params(file, ciRuns), examples } as fc.Parameters<[T]>);
}

/** Bytes of a value mutated the way a fuzzer mutates: flips, inserted tokens, cuts, duplications. */
export function mutatedBytes(base: fc.Arbitrary<Buffer>, tokens: readonly string[]): fc.Arbitrary<Buffer> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 24 }) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  return fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => {
    let buf = Buffer.from(b);
    for (const m of ms) {
      const at = buf.length ? m.at % (buf.length + 1) : 0;
      switch (m.kind) {
        case 'flip': if (buf.length) buf[at % buf.length] = m.byte; break;
        case 'insert': buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.token, 'latin1'), buf.subarray(at)]); break;
        case 'cut': buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]); break;
        case 'dup': { const part = buf.subarray(at, at + m.len); buf = Buffer.concat([buf.subarray(0, at), part, part, buf.subarray(at)]); break; }
        case 'truncate': buf = buf.subarray(0, at); break;
      }
    }
    return buf;
  });
}

/** A JSON value mutated structurally: leaves replaced by odd values, keys dropped or added. */
export function mutatedValue<T>(base: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const odd = fc.oneof(
    fc.constantFrom<unknown>(null, 0, -1, 1.5, 1e308, -0, 2 ** 53, '', '\u0000', 'YQ==', '-_-_', [], {}, true, false, 'ä', '*', '..', '/', { toString: 1 }, { valueOf: {} }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  // Keys every JS object already has: a parser that indexes plain objects with them goes astray.
  const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'apiVersion', 'kind', '$patch'));
  const edit = fc.record({ pick: fc.nat(), kind: fc.constantFrom('set', 'delete', 'add', 'wrap'), key, value: odd });
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([v, edits]) => {
    const copy = structuredClone(v) as unknown;
    const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (node: unknown, depth: number) => {
      if (!node || typeof node !== 'object' || depth > 20) return;
      for (const k of Object.keys(node)) {
        const key = Array.isArray(node) ? Number(k) : k;
        slots.push([node as Record<string, unknown>, key]);
        walk((node as Record<string, unknown>)[k], depth + 1);
      }
    };
    walk(copy, 0);
    for (const e of edits) {
      if (!slots.length) break;
      const [parent, key] = slots[e.pick % slots.length]!;
      const p = parent as Record<string | number, unknown>;
      switch (e.kind) {
        case 'set': Object.defineProperty(p, key, { value: e.value, writable: true, enumerable: true, configurable: true }); break;
        case 'delete': if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete p[key]; break;
        case 'add': if (Array.isArray(parent)) parent.push(e.value); else Object.defineProperty(p, e.key, { value: e.value, writable: true, enumerable: true, configurable: true }); break;
        case 'wrap': p[key] = Array.isArray(p[key]) ? { x: p[key] } : [p[key]]; break;
      }
    }
    return copy;
  });
}

/** Tokens that trip JSON, YAML and protobuf decoders. */
export const TOKENS = [
  '{', '}', '[', ']', '"', ',', ':', 'null', 'true', '-1', '1e999', '-0', '\\u0000', '\\ud800', '\\', '\u00e9', '\0', '\xff',
  '//', '#', '&a ', '*a', '!!binary ', '!!map', '---\n', '...\n', '\n  ', '\n- ', '\t', '<<: *a', '%YAML 1.2\n', '? ', '|\n', '>-\n',
  '\x08', '\x80', '\x0a\x00', '\x12\xff\xff\xff\xff\x0f', '\x1a\x80\x80\x80\x80\x10',
];

/**
 * Counts how many generated inputs a parser accepted. A fuzz run that only ever hits the first
 * rejection proves little: each property asserts that a share of its inputs went all the way.
 */
export class Reach {
  private accepted = 0;
  private total = 0;
  note(accepted: boolean): void {
    this.total++;
    if (accepted) this.accepted++;
  }
  assertAtLeast(what: string, fraction: number): void {
    assert.ok(this.total > 0 && this.accepted / this.total >= fraction,
      `${what}: only ${this.accepted} of ${this.total} inputs were accepted (want at least ${fraction * 100}%): the generators no longer reach past the first check`);
  }
}
