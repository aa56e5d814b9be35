// Registry matching as the kubelet's keyring (pkg/credentialprovider keyring_test.go cases): glob
// host labels, ports, path prefixes, most specific key first, /v1/ and scheme normalisation, the
// Docker Hub fallback, and the auth field winning over username/password.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keyring, keyOf, targetOfServerURL, urlsMatch } from '../../src/agent/keyring.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('keyring', () => {
  it('matches globs per label, ports exactly, paths as prefixes', () => {
    const yes: [string, string][] = [
      ['*.kubernetes.io', 'prefix.kubernetes.io'], ['prefix.*.io', 'prefix.kubernetes.io'], ['prefix.kubernetes.*', 'prefix.kubernetes.io'],
      ['*-good.kubernetes.io', 'prefix-good.kubernetes.io'], ['*.kubernetes.io/blah', 'prefix.kubernetes.io/blah/another'],
      ['prefix.kubernetes.io:8080', 'prefix.kubernetes.io:8080'], ['gcr.io', 'gcr.io/project/image'],
    ];
    const no: [string, string][] = [
      ['*.kubernetes.io', 'kubernetes.io'], ['*.kubernetes.io', 'a.b.kubernetes.io'], ['prefix.kubernetes.io:8080', 'prefix.kubernetes.io'],
      ['prefix.kubernetes.io', 'prefix.kubernetes.io:8080'], ['*.kubernetes.io/foo', 'prefix.kubernetes.io/bar'], ['*-good.kubernetes.io', 'prefix-bad.kubernetes.io'],
    ];
    for (const [g, t] of yes) assert.ok(urlsMatch(g, t), `${g} ~ ${t}`);
    for (const [g, t] of no) assert.ok(!urlsMatch(g, t), `${g} !~ ${t}`);
  });

  it('normalises config keys: scheme dropped, /v1/ and /v2/ ignored, paths kept', () => {
    assert.equal(keyOf('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(keyOf('http://reg.example.com:5000/v2/team'), 'reg.example.com:5000/team');
    assert.equal(keyOf('reg.example.com/team/app'), 'reg.example.com/team/app');
    assert.equal(targetOfServerURL('https://index.docker.io/v1/'), 'index.docker.io');
  });

  it('returns the most specific credentials first, and Docker Hub falls back to index.docker.io', () => {
    const k = new Keyring();
    k.add({
      'reg.example.com': { username: 'host', password: 'p1' },
      'reg.example.com/team': { username: 'team', password: 'p2' },
      '*.example.com': { username: 'glob', password: 'p3' },
      'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
    });
    assert.deepEqual(k.lookup('reg.example.com/team/app').map((a) => a.username), ['team', 'host', 'glob']);
    assert.deepEqual(k.lookup('reg.example.com/other').map((a) => a.username), ['host', 'glob']);
    assert.deepEqual(k.lookup('other.example.com/x').map((a) => a.username), ['glob']);
    assert.deepEqual(k.lookup('ubuntu').map((a) => a.username), ['hub']);
    assert.deepEqual(k.lookup('library/ubuntu').map((a) => a.password), ['hubpw']);
    assert.deepEqual(k.lookup('docker.io/library/ubuntu').map((a) => a.username), ['hub']);
    assert.deepEqual(k.lookup('quay.io/x/y'), []);
    assert.deepEqual(k.lookup('quay.io', 'server'), [], 'a bare server is not a Docker Hub image');
    assert.deepEqual(k.lookup('docker.io', 'server').map((a) => a.username), ['hub']);
  });

  it('takes auth over username/password, padded or not; a malformed auth is an error', () => {
    const k = new Keyring();
    k.add({ a: { username: 'ignored', password: 'ignored', auth: b64('u:p:with:colons') }, b: { auth: b64('xy:z').replace(/=+$/, '') } });
    assert.deepEqual(k.lookup('a')[0], { username: 'u', password: 'p:with:colons' });
    assert.deepEqual(k.lookup('b')[0], { username: 'xy', password: 'z' });
    assert.throws(() => new Keyring().add({ c: { auth: b64('nocolon') } }), /expect username:password/);
  });
});
