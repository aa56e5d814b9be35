// The atomic writer's layout and rules, read back from the real filesystem: timestamped directory,
// ..data symlink, one symlink per top-level name, dotfiles hidden, exact modes, stale names removed,
// unchanged payloads not rewritten, and paths that would escape the volume refused.

import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AtomicWriter } from '../../src/agent/atomic-writer.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'opaque-aw-'));
  dirs.push(d);
  return join(d, 'vol');
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const f = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

describe('atomic writer', () => {
  it('writes the kubelet layout', () => {
    const dir = fresh();
    assert.equal(new AtomicWriter(dir).write(new Map([['user', f('u')], ['.hidden', f('h', 0o400)], ['nested/deep/key', f('n', 0o600)]])), true);
    const entries = readdirSync(dir).sort();
    const ts = entries.find((e) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./.test(e));
    assert.ok(ts, entries.join(','));
    assert.deepEqual(entries, ['..data', ts, '.hidden', 'nested', 'user'].sort());
    assert.equal(readlinkSync(join(dir, '..data')), ts);
    assert.equal(readlinkSync(join(dir, 'user')), '..data/user');
    assert.equal(readlinkSync(join(dir, 'nested')), '..data/nested');
    assert.equal(readFileSync(join(dir, 'nested/deep/key'), 'utf8'), 'n');
    assert.equal(statSync(join(dir, '.hidden')).mode & 0o777, 0o400);
    assert.equal(statSync(join(dir, 'nested/deep/key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, ts)).mode & 0o777, 0o755);
  });

  it('swaps to a new directory, removes vanished names, and the old directory after a grace second', async () => {
    const dir = fresh();
    const w = new AtomicWriter(dir);
    w.write(new Map([['a', f('1')], ['b', f('1')]]));
    const first = readlinkSync(join(dir, '..data'));
    w.write(new Map([['a', f('2')], ['c', f('2')]]));
    const second = readlinkSync(join(dir, '..data'));
    assert.notEqual(first, second);
    assert.deepEqual(readdirSync(dir).sort(), ['..data', first, second, 'a', 'c'].sort());
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(readdirSync(dir).sort(), ['..data', second, 'a', 'c'].sort());
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '2');
    assert.throws(() => lstatSync(join(dir, 'b')));
  });

  it('leaves an unchanged payload alone, but a mode change is a change', () => {
    const dir = fresh();
    const w = new AtomicWriter(dir);
    w.write(new Map([['a', f('1')]]));
    const ts = readlinkSync(join(dir, '..data'));
    assert.equal(w.write(new Map([['a', f('1')]])), false);
    assert.equal(readlinkSync(join(dir, '..data')), ts);
    assert.equal(w.write(new Map([['a', f('1', 0o400)]])), true);
  });

  it('a failed write (conflicting paths) keeps the current version and leaves no half directory', () => {
    const dir = fresh();
    const w = new AtomicWriter(dir);
    w.write(new Map([['a', f('1')]]));
    const before = readdirSync(dir).sort();
    assert.throws(() => w.write(new Map([['x', f('1')], ['x/y', f('2')]])), /ENOTDIR|EEXIST/);
    assert.deepEqual(readdirSync(dir).sort(), before);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1');
  });

  it('refuses paths that would leave the volume or touch its own names', () => {
    const w = new AtomicWriter(fresh());
    for (const [p, msg] of [['/etc/passwd', 'must be a relative path'], ['../x', "must not contain '..'"], ['a/../../x', "must not contain '..'"], ['..data/x', "must not start with '..'"], ['', 'must not be empty']]) {
      assert.throws(() => w.write(new Map([[p!, f('x')]])), new RegExp(`invalid path: ${msg}`), p);
    }
  });
});
