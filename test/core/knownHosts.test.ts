/**
 * known_hosts parsing and matching (unit): plain and hashed names, [host]:port, several key
 * types, wildcard and negated patterns, @revoked, and what accept-new writes back. Keys and
 * hashed entries are made by the real ssh-keygen, so the format is OpenSSH's, not our idea of it.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fingerprintSha256, KnownHosts, knownHostsName } from '../../src/core';
import { keyTypeOf, parseKnownHosts, preferredHostKeyAlgorithms } from '../../src/core/ssh/knownHosts';
import { decideHostKey } from '../../src/core/ssh/connect';
import { newKey, sshKeygen, tmpDir } from './helpers/engine';

describe('known_hosts (unit)', () => {
  let dir: string;
  let ed: ReturnType<typeof newKey>;
  let ed2: ReturnType<typeof newKey>;
  let ecdsa: ReturnType<typeof newKey>;
  let rsa: ReturnType<typeof newKey>;

  before(() => {
    dir = tmpDir('kh');
    ed = newKey(dir, 'ed');
    ed2 = newKey(dir, 'ed2');
    ecdsa = newKey(dir, 'ecdsa', 'ecdsa');
    rsa = newKey(dir, 'rsa', 'rsa');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  }
  const load = (text: string, name = `kh-${Math.random().toString(36).slice(2)}`) => KnownHosts.load([file(name, text)]);

  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise', () => {
    assert.strictEqual(knownHostsName('example.com', 22), 'example.com');
    assert.strictEqual(knownHostsName('127.0.0.5', 2222), '[127.0.0.5]:2222');
  });

  it('computes the SHA256 fingerprint ssh-keygen prints, for each key type', () => {
    for (const k of [ed, ecdsa, rsa]) {
      const out = sshKeygen(['-l', '-E', 'sha256', '-f', k.path + '.pub']);
      assert.ok(out.includes(fingerprintSha256(k.blob)), `${out} vs ${fingerprintSha256(k.blob)}`);
    }
    assert.strictEqual(keyTypeOf(ed.blob), 'ssh-ed25519');
    assert.strictEqual(keyTypeOf(ecdsa.blob), 'ecdsa-sha2-nistp256');
    assert.strictEqual(keyTypeOf(rsa.blob), 'ssh-rsa');
  });

  it('parses comments, blank lines, CRLF, markers and skips malformed lines', () => {
    const text = [
      '# comment',
      '',
      `host1 ${ed.pub} comment words`,
      `   host2,host3 ${ecdsa.pub}\r`,
      'garbage-line-without-key',
      `@revoked * ${rsa.pub}`,
      `@cert-authority *.example.com ${ed2.pub}`,
    ].join('\n');
    const entries = parseKnownHosts(text, 'f');
    assert.deepStrictEqual(
      entries.map((e) => [e.line, e.marker, e.keyType]),
      [
        [3, '', 'ssh-ed25519'],
        [4, '', 'ecdsa-sha2-nistp256'],
        [6, '@revoked', 'ssh-rsa'],
        [7, '@cert-authority', 'ssh-ed25519'],
      ],
    );
    assert.ok(entries[1].matches('host3'));
    assert.strictEqual(entries[1].keyBase64, ecdsa.pub.split(' ')[1]);
  });

  it('matches a plain name and refuses a different key for it as changed', () => {
    const kh = load(`host1 ${ed.pub}\n`);
    assert.strictEqual(kh.check('host1', ed.blob).kind, 'match');
    const changed = kh.check('host1', ed2.blob);
    assert.strictEqual(changed.kind, 'changed');
    assert.strictEqual(kh.check('host2', ed.blob).kind, 'unknown');
  });

  it('host names match case-insensitively', () => {
    const kh = load(`Web1.Example.COM ${ed.pub}\n`);
    assert.strictEqual(kh.check('web1.example.com', ed.blob).kind, 'match');
  });

  it('[host]:port entries match only that port; a bare entry means port 22', () => {
    const kh = load(`[127.0.0.9]:2222 ${ed.pub}\n127.0.0.8 ${ed2.pub}\n`);
    assert.strictEqual(kh.check('[127.0.0.9]:2222', ed.blob).kind, 'match');
    assert.strictEqual(kh.check('[127.0.0.9]:2223', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('127.0.0.9', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('127.0.0.8', ed2.blob).kind, 'match');
    assert.strictEqual(kh.check('[127.0.0.8]:2222', ed2.blob).kind, 'unknown');
  });

  it('hashed |1| entries written by ssh-keygen -H match the name and port they hash', () => {
    const p = file('hashed', `[127.0.0.9]:2222 ${ed.pub}\nplainhost ${ecdsa.pub}\n`);
    sshKeygen(['-H', '-f', p]);
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(!text.includes('plainhost') && !text.includes('127.0.0.9'), text);
    assert.strictEqual((text.match(/^\|1\|/gm) ?? []).length, 2, text);
    const kh = KnownHosts.load([p]);
    assert.strictEqual(kh.check('[127.0.0.9]:2222', ed.blob).kind, 'match');
    assert.strictEqual(kh.check('plainhost', ecdsa.blob).kind, 'match');
    assert.strictEqual(kh.check('[127.0.0.9]:2223', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('127.0.0.9', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('[127.0.0.9]:2222', ed2.blob).kind, 'changed');
  });

  it('several key types for one host: any recorded key matches, the recorded types are preferred', () => {
    const kh = load(`multi ${ed.pub}\nmulti ${ecdsa.pub}\nmulti ${rsa.pub}\n`);
    for (const k of [ed, ecdsa, rsa]) assert.strictEqual(kh.check('multi', k.blob).kind, 'match');
    assert.strictEqual(kh.check('multi', ed2.blob).kind, 'changed');
    assert.deepStrictEqual(kh.knownKeyTypes('multi').sort(), ['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
    const onlyRsa = preferredHostKeyAlgorithms(['ssh-rsa']);
    assert.deepStrictEqual(onlyRsa.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.strictEqual(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256');
    assert.strictEqual(new Set(onlyRsa).size, onlyRsa.length);
  });

  it('wildcard and negated patterns: *, ?, comma lists, !negation wins', () => {
    const kh = load(`*.example.com,!bad.example.com,db? ${ed.pub}\n[10.0.0.*]:2222 ${ecdsa.pub}\n`);
    assert.strictEqual(kh.check('web.example.com', ed.blob).kind, 'match');
    assert.strictEqual(kh.check('a.b.example.com', ed.blob).kind, 'match');
    assert.strictEqual(kh.check('db1', ed.blob).kind, 'match');
    assert.strictEqual(kh.check('db12', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('example.com', ed.blob).kind, 'unknown');
    assert.strictEqual(kh.check('bad.example.com', ed.blob).kind, 'unknown', 'a negated pattern must exclude the host');
    assert.strictEqual(kh.check('[10.0.0.7]:2222', ecdsa.blob).kind, 'match');
    assert.strictEqual(kh.check('[10.0.0.7]:2223', ecdsa.blob).kind, 'unknown');
    // regex metacharacters in a pattern are literal
    const dots = load(`a.c ${ed.pub}\n`);
    assert.strictEqual(dots.check('abc', ed.blob).kind, 'unknown');
  });

  it('@revoked refuses the key, even when a plain line for the same host also lists it', () => {
    const kh = load(`host1 ${ed.pub}\n@revoked host1 ${ed.pub}\n`);
    assert.strictEqual(kh.check('host1', ed.blob).kind, 'revoked');
    const star = load(`@revoked * ${ecdsa.pub}\n`);
    assert.strictEqual(star.check('anything', ecdsa.blob).kind, 'revoked');
    assert.strictEqual(star.check('anything', ed.blob).kind, 'unknown');
  });

  it('reads several files; a match in the second file counts', () => {
    const a = file('a', `other ${ed2.pub}\n`);
    const b = file('b', `host9 ${ed.pub}\n`);
    const kh = KnownHosts.load([a, path.join(dir, 'missing'), b]);
    assert.strictEqual(kh.check('host9', ed.blob).kind, 'match');
  });

  it('record() appends plain or hashed lines that OpenSSH itself finds (ssh-keygen -F)', () => {
    const p = path.join(dir, 'sub', 'recorded');
    fs.mkdirSync(path.dirname(p));
    fs.writeFileSync(p, `existing ${ed2.pub}`); // no final newline
    const kh = KnownHosts.load([p]);
    kh.record('[127.0.0.9]:2222', ed.blob, false);
    kh.record('hashedname', ecdsa.blob, true);
    const text = fs.readFileSync(p, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.strictEqual(lines.length, 3, text);
    assert.strictEqual(lines[1], `[127.0.0.9]:2222 ${ed.pub}`);
    assert.match(lines[2], /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ecdsa-sha2-nistp256 /);
    assert.ok(sshKeygen(['-F', '[127.0.0.9]:2222', '-f', p]).includes(ed.pub.split(' ')[1]));
    assert.ok(sshKeygen(['-F', 'hashedname', '-f', p]).includes(ecdsa.pub.split(' ')[1]));
    // the same object and a fresh load both see the recorded keys
    assert.strictEqual(kh.check('hashedname', ecdsa.blob).kind, 'match');
    assert.strictEqual(KnownHosts.load([p]).check('[127.0.0.9]:2222', ed.blob).kind, 'match');
  });

  it('record() creates a missing file (and directory) private to the user', () => {
    const p = path.join(dir, 'newdir', 'known_hosts');
    KnownHosts.load([p]).record('h', ed.blob, false);
    assert.strictEqual(fs.readFileSync(p, 'utf8'), `h ${ed.pub}\n`);
    assert.strictEqual(fs.statSync(p).mode & 0o077, 0);
  });

  describe('policy decision (decideHostKey)', () => {
    const kh = () => load(`known ${ed.pub}\n@revoked * ${rsa.pub}\n`);
    const decide = (name: string, blob: Buffer, policy: 'yes' | 'no' | 'accept-new' | 'ask') =>
      decideHostKey(kh().check(name, blob), policy, name, blob);

    it('a changed key is refused under every policy, naming both SHA256 fingerprints', () => {
      for (const policy of ['yes', 'no', 'accept-new', 'ask'] as const) {
        const d = decide('known', ed2.blob, policy);
        assert.strictEqual(d.accept, false, policy);
        const error = (d as { error: string }).error;
        assert.ok(error.includes(fingerprintSha256(ed.blob)), error);
        assert.ok(error.includes(fingerprintSha256(ed2.blob)), error);
      }
    });

    it('a revoked key is refused under every policy', () => {
      for (const policy of ['yes', 'no', 'accept-new', 'ask'] as const) {
        const d = decide('whatever', rsa.blob, policy);
        assert.strictEqual(d.accept, false, policy);
        assert.match((d as { error: string }).error, /revoked/);
      }
    });

    it('an unknown key: yes refuses, accept-new records, no accepts without recording, ask asks', () => {
      assert.strictEqual(decide('new', ed2.blob, 'yes').accept, false);
      assert.deepStrictEqual(decide('new', ed2.blob, 'accept-new'), { accept: true, record: true });
      assert.deepStrictEqual(decide('new', ed2.blob, 'no'), { accept: true, record: false });
      assert.deepStrictEqual(decide('new', ed2.blob, 'ask'), { accept: 'ask' });
      assert.deepStrictEqual(decide('known', ed.blob, 'yes'), { accept: true, record: false });
    });
  });
});
