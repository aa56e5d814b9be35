// Where a .proto file shipped in src/ is at run time: tsc does not copy .proto files to dist/, so
// they are always read from <repo>/src/, whether the server runs from source (tsx) or from dist/.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** <repo>: this module is <repo>/src/api/proto/files.ts or <repo>/dist/api/proto/files.js. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The path of <repo>/src/`srcDir`/`name`. */
export function protoFile(srcDir: string, name: string): string {
  const f = join(REPO, 'src', srcDir, name);
  if (!existsSync(f)) throw new Error(`cannot find ${f}`);
  return f;
}
