// `opaque run` delivers Secrets the way the kubelet does, seen from inside real child processes:
// env (value, secretKeyRef, optional), envFrom (prefix, optional, env wins), $(VAR) expansion in
// values, command and args; workingDir; secret volumes (all keys, items with per-item mode and
// nested paths, defaultMode 0644 by default, dotfiles hidden, optional, subPath); output prefixed
// per container; the exit code passed on; and a Deployment's pod template.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, removeDir, startOpaque, tempDir, type Opaque } from '../helpers/opaque.js';
import { putSecret, startAgent, stopAgents } from './agent-support.js';

let o: Opaque;
let work: string;

before(async () => {
  o = await startOpaque();
  work = tempDir('agent-wd');
  mkdirSync(join(work, 'wd'));
  await putSecret(o, 'db', { user: 'admin', password: 's3cret', '.hidden': 'dotfile', 'nested-key': 'n' });
  await putSecret(o, 'extra', { DB_USER: 'from-envfrom', EXTRA: 'x1', OTHER: 'o1' });
});
after(async () => {
  await stopAgents();
  await cleanup(o);
  removeDir(work);
});

/** Lines "[c] KEY=VALUE" printed by a container, as a map. */
function printed(out: string, c: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const x = new RegExp(`^\\[${c}\\] ([^=]+)=(.*)$`).exec(line);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

const SHOW = [
  'env | grep -E "^(DB_|GREETING|ESCAPED|EXTRA|P_|OPT|OPAQUE_ROOT|HOSTNAME|EMPTY)" | sort',
  'echo PWD=$(pwd)',
  'echo ARG=$1',
  'D=$OPAQUE_ROOT/etc/db; echo LS_DB="$(ls $D | tr "\\n" " ")"; echo LSA_DB="$(ls -A $D | tr "\\n" " ")"',
  'echo MODE_USER=$(stat -L -c %a $D/user) HIDDEN=$(cat $D/.hidden) DATA_LINK=$(readlink $D/..data | cut -c1-2)',
  'I=$OPAQUE_ROOT/etc/items; echo ITEMS="$(cd $I && find -L . -type f -not -path "./..*" | sort | tr "\\n" " ")"',
  'echo MODE_ITEM_PW=$(stat -L -c %a $I/creds/pw) MODE_ITEM_U=$(stat -L -c %a $I/u) ITEM_PW=$(cat $I/creds/pw)',
  'echo OPTDIR="$(ls -A $OPAQUE_ROOT/etc/optional | grep -v "^\\.\\." | tr "\\n" " ")"',
  'echo SUB=$(cat $OPAQUE_ROOT/etc/just-user) SUB_IS_LINK=$(test -L $OPAQUE_ROOT/etc/just-user && echo yes || echo no)',
  'exit 3',
].join('\n');

const manifest = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'delivery' },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'app',
        command: ['sh', '-c', SHOW, 'sh'],
        args: ['$(DB_USER)-$$(DB_USER)'],
        workingDir: join(work, 'wd'),
        envFrom: [{ secretRef: { name: 'extra' } }, { prefix: 'P_', secretRef: { name: 'extra' } }, { secretRef: { name: 'absent', optional: true } }],
        env: [
          { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'GREETING', value: 'hello $(DB_USER) of $(EXTRA) at $(OPAQUE_ROOT) $(LATER) $(UNKNOWN)' },
          { name: 'ESCAPED', value: '$$(DB_USER)' },
          { name: 'LATER', value: 'later' },
          { name: 'OPT_KEY', valueFrom: { secretKeyRef: { name: 'db', key: 'nope', optional: true } } },
          { name: 'OPT_SECRET', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } },
          { name: 'EMPTY', value: '' },
        ],
        volumeMounts: [
          { name: 'db', mountPath: '/etc/db', readOnly: true },
          { name: 'items', mountPath: '/etc/items' },
          { name: 'optional', mountPath: '/etc/optional' },
          { name: 'db', mountPath: '/etc/just-user', subPath: 'user' },
        ],
      },
      { name: 'side', command: ['sh', '-c', 'echo SIDE_USER=$U'], env: [{ name: 'U', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } }] },
    ],
    volumes: [
      { name: 'db', secret: { secretName: 'db' } },
      { name: 'items', secret: { secretName: 'db', defaultMode: 0o440, items: [{ key: 'password', path: 'creds/pw', mode: 0o400 }, { key: 'user', path: 'u' }] } },
      { name: 'optional', secret: { secretName: 'absent', optional: true } },
    ],
  },
});

describe('opaque run delivers secrets', () => {
  let out = '';
  let code: number | null = null;
  before(async () => {
    const a = startAgent(o, manifest());
    code = await a.exited;
    out = a.out();
    assert.match(a.err(), /container "app" exited with code 3/);
    removeDir(a.dir);
  });

  it('passes the exit code on (first failing container)', () => assert.equal(code, 3, out));

  it('resolves env, envFrom with prefix, optional refs and env over envFrom', () => {
    const e = printed(out, 'app');
    assert.equal(e.get('DB_USER'), 'admin'); // env beats envFrom's DB_USER
    assert.equal(e.get('DB_PASSWORD'), 's3cret');
    assert.equal(e.get('EXTRA'), 'x1');
    assert.equal(e.get('P_DB_USER'), 'from-envfrom');
    assert.equal(e.get('P_OTHER'), 'o1');
    assert.ok(!e.has('OPT_KEY') && !e.has('OPT_SECRET'), 'optional missing refs are left out');
    assert.equal(e.get('EMPTY'), '');
    assert.equal(e.get('HOSTNAME'), 'delivery');
  });

  it('expands $(VAR) with Kubernetes rules in values, command and args', () => {
    const e = printed(out, 'app');
    const root = e.get('OPAQUE_ROOT')!;
    assert.equal(e.get('GREETING'), `hello admin of x1 at ${root} $(LATER) $(UNKNOWN)`);
    assert.equal(e.get('ESCAPED'), '$(DB_USER)');
    assert.equal(e.get('ARG'), 'admin-$(DB_USER)');
  });

  it('runs in workingDir and prefixes output per container', () => {
    assert.equal(printed(out, 'app').get('PWD'), join(work, 'wd'));
    assert.equal(printed(out, 'side').get('SIDE_USER'), 'admin');
  });

  it('projects a volume with the writer layout, 0644 by default, dotfiles hidden', () => {
    const e = printed(out, 'app');
    assert.equal(e.get('LS_DB')!.trim().split(' ').sort().join(' '), 'nested-key password user');
    assert.match(e.get('LSA_DB')!, /\.\.data .*\.hidden/);
    assert.equal(e.get('MODE_USER')!.split(' ')[0], '644');
    assert.match(e.get('MODE_USER')!, /HIDDEN=dotfile DATA_LINK=\.\./);
  });

  it('projects items at their paths with per-item mode over defaultMode', () => {
    const e = printed(out, 'app');
    assert.equal(e.get('ITEMS')!.trim(), './creds/pw ./u');
    assert.match(e.get('MODE_ITEM_PW')!, /^400 MODE_ITEM_U=440 ITEM_PW=s3cret$/);
  });

  it('mounts an optional missing secret as an empty volume, and subPath as a copy', () => {
    const e = printed(out, 'app');
    assert.equal(e.get('OPTDIR')!.trim(), '');
    assert.equal(e.get('SUB'), 'admin SUB_IS_LINK=no');
  });
});

describe('workload templates', () => {
  it('runs the pod template of a Deployment', async () => {
    const a = startAgent(o, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dep' },
      spec: { selector: {}, template: { metadata: { labels: {} }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', command: ['sh', '-c', 'echo PW=$PW'], env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }] } } },
    });
    assert.equal(await a.exited, 0, a.err());
    assert.match(a.out(), /^\[c\] PW=s3cret$/m);
    removeDir(a.dir);
  });
});
