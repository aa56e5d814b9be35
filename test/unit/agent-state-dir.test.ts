// The agent's directories are its own or refused: a state dir, pods/ dir, pod dir or root that
// another user owns, that others may write, or that is a symlink is refused with the path and the
// reason, and nothing is changed through it; what lies above must be root's or the agent's (a
// world-writable one only if sticky, as /tmp). The atomic writer and the status file never write
// through a symlink either. Ownership cases need root (to give a directory to nobody).

import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AtomicWriter } from '../../src/agent/atomic-writer.js';
import { StateDirError } from '../../src/agent/errors.js';
import { prepareAgentDirs } from '../../src/agent/state-dir.js';
import { writeStatus } from '../../src/agent/status.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'opaque-sd-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const mode = (p: string) => lstatSync(p).mode & 0o7777;

/** Asserts prepareAgentDirs refuses, naming `path` and matching `why`. */
function refuses(fn: () => unknown, path: string, why: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StateDirError, String(e));
    assert.equal(e.path, path);
    assert.match(e.message, why);
    assert.ok(e.message.includes(path), e.message);
    return true;
  });
}

describe('agent state dir', () => {
  it('makes state dir, pods/, the pod dir and root private to the agent', () => {
    const state = join(fresh(), 'missing', 'state');
    const d = prepareAgentDirs(state, 'default_p', 0o700);
    assert.equal(d.podDir, join(state, 'pods', 'default_p'));
    assert.equal(d.root, join(d.podDir, 'root'));
    for (const p of [join(state, '..'), state, join(state, 'pods'), d.podDir, d.root]) assert.equal(mode(p), 0o700, p);
    // Again over what it made: accepted, unchanged.
    assert.deepEqual(prepareAgentDirs(state, 'default_p', 0o700), d);
  });

  it('for a container running as another user: traversable, never listable or writable by others', () => {
    const state = join(fresh(), 'state');
    const d = prepareAgentDirs(state, 'default_p', 0o711);
    for (const p of [state, join(state, 'pods'), d.podDir, d.root]) assert.equal(mode(p), 0o711, p);
  });

  it('refuses a root that is a symlink, and changes nothing where it points', () => {
    const base = fresh();
    const victim = join(base, 'victim');
    mkdirSync(victim, { mode: 0o755 });
    chmodSync(victim, 0o755);
    const state = join(base, 'state');
    mkdirSync(join(state, 'pods', 'default_p'), { recursive: true, mode: 0o700 });
    const root = join(state, 'pods', 'default_p', 'root');
    symlinkSync(victim, root);
    refuses(() => prepareAgentDirs(state, 'default_p', 0o700), root, /symbolic link/);
    assert.equal(mode(victim), 0o755);
    assert.deepEqual(readdirSync(victim), []);
  });

  it('refuses a symlinked state dir or pods/ dir', () => {
    const base = fresh();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'state'));
    refuses(() => prepareAgentDirs(join(base, 'state'), 'default_p', 0o700), join(base, 'state'), /symbolic link/);
    mkdirSync(join(base, 'state2'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'state2', 'pods'));
    refuses(() => prepareAgentDirs(join(base, 'state2'), 'default_p', 0o700), join(base, 'state2', 'pods'), /symbolic link/);
    assert.deepEqual(readdirSync(join(base, 'real')), []);
  });

  it('refuses a directory others or its group may write', () => {
    const state = join(fresh(), 'state');
    mkdirSync(join(state, 'pods'), { recursive: true, mode: 0o700 });
    chmodSync(join(state, 'pods'), 0o777);
    refuses(() => prepareAgentDirs(state, 'default_p', 0o700), join(state, 'pods'), /others may write to it \(mode 0777\)/);
    chmodSync(join(state, 'pods'), 0o770);
    refuses(() => prepareAgentDirs(state, 'default_p', 0o700), join(state, 'pods'), /its group may write to it \(mode 0770\)/);
    assert.deepEqual(readdirSync(join(state, 'pods')), []);
  });

  it('refuses to build under a world-writable directory that is not sticky; a sticky one (as /tmp) is fine', () => {
    const shared = join(fresh(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    refuses(() => prepareAgentDirs(join(shared, 'state'), 'default_p', 0o700), shared, /others may write to it and it is not sticky \(mode 0777\)/);
    chmodSync(shared, 0o1777);
    const d = prepareAgentDirs(join(shared, 'state'), 'default_p', 0o700);
    assert.equal(mode(d.root), 0o700);
  });

  it('refuses a --root owned by another user or that is a symlink', { skip: !isRoot && 'needs root to chown' }, () => {
    const base = fresh();
    const root = join(base, 'root');
    mkdirSync(root, { mode: 0o700 });
    chownSync(root, NOBODY, NOBODY);
    refuses(() => prepareAgentDirs(join(base, 'state'), 'default_p', 0o700, root), root, /owned by uid 65534, not by the agent's user \(uid 0\) or root/);
    assert.equal(statSync(root).uid, NOBODY);
  });

  it('refuses a pod root, or a directory above the state dir, that another user owns', { skip: !isRoot && 'needs root to chown' }, () => {
    const base = fresh();
    const state = join(base, 'state');
    const root = join(state, 'pods', 'default_p', 'root');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    chownSync(root, NOBODY, NOBODY);
    refuses(() => prepareAgentDirs(state, 'default_p', 0o700), root, /owned by uid 65534/);
    assert.equal(mode(root), 0o700);
    assert.deepEqual(readdirSync(root), []);

    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    refuses(() => prepareAgentDirs(join(theirs, 'state'), 'default_p', 0o700), theirs, /owned by uid 65534/);
    assert.deepEqual(readdirSync(theirs), []);
  });

  it('refuses a path through a symlink another user planted above the state dir', { skip: !isRoot && 'needs root to chown' }, () => {
    const base = fresh();
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o755 });
    const link = join(base, 'link');
    symlinkSync(elsewhere, link);
    lchownSync(link, NOBODY, NOBODY);
    refuses(() => prepareAgentDirs(join(link, 'state'), 'default_p', 0o700), link, /symbolic link owned by uid 65534/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });
});

describe('writers', () => {
  it('the atomic writer refuses a volume directory that is a symlink and writes nothing through it', () => {
    const base = fresh();
    const victim = join(base, 'victim');
    mkdirSync(victim, { mode: 0o755 });
    chmodSync(victim, 0o755);
    symlinkSync(victim, join(base, 'vol'));
    assert.throws(() => new AtomicWriter(join(base, 'vol'), 4242).write(new Map([['k', { data: Buffer.from('s3cret'), mode: 0o400 }]])), /symbolic link/);
    assert.deepEqual(readdirSync(victim), []);
    assert.equal(mode(victim), 0o755);
  });

  it('the status file replaces what is there without writing through a symlink in its place', () => {
    const base = fresh();
    const victim = join(base, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const file = join(base, 'status.json');
    symlinkSync(victim, `${file}.tmp-${process.pid}`);
    writeStatus(file, { namespace: 'default', name: 'p', agentPid: process.pid, root: base, updatedAt: '', containers: [] });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!lstatSync(file).isSymbolicLink());
    assert.equal(readdirSync(base).sort().join(','), ['status.json', 'victim.txt'].join(','));
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
  });
});
