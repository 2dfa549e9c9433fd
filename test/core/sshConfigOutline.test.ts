/**
 * Positions of ssh_config directives (for the language server) from the engine's own parse, and
 * the engine refusing an Include loop as OpenSSH does.
 */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IncludeLoopError, SshConfigFile } from '../../src/core/inventory/sshConfig';
import { appliesToAllHosts, concreteAliases, outlineSshConfig, topLevelDirectives } from '../../src/core/inventory/sshConfigOutline';
import { tmpDir } from './helpers/engine';

describe('ssh_config outline (positions from the engine parse)', () => {
  it('lines and columns through blank lines, comments, CRLF, `=` separators and quoted words', () => {
    const text = '\n# top\nUser root\r\n\nHost a "b c"  # two\n\tHostName=10.0.0.1 # addr\n   \n  ProxyCommand ssh -W "%h:%p" j\nMatch all\n  Port 2\n';
    const o = outlineSshConfig(text);
    assert.strictEqual(o.error, undefined);
    assert.deepStrictEqual(
      o.directives.map((d) => [d.keyword, d.line, d.keywordStart, d.valueStart, d.valueEnd, d.value]),
      [
        ['User', 2, 0, 5, 9, 'root'],
        ['Host', 4, 0, 5, 12, 'a b c'],
        ['HostName', 5, 1, 10, 18, '10.0.0.1'],
        ['ProxyCommand', 7, 2, 15, 31, 'ssh -W "%h:%p" j'],
        ['Match', 8, 0, 6, 9, 'all'],
        ['Port', 9, 2, 7, 8, '2'],
      ],
    );
    assert.deepStrictEqual(o.directives[1].words, [
      { text: 'a', start: 5, end: 6 },
      { text: 'b c', start: 7, end: 12 },
    ]);
    assert.deepStrictEqual(o.sections.map((s) => [s.kind, s.header.line, s.endLine, s.body.map((d) => d.keyword)]), [
      ['Host', 4, 7, ['HostName', 'ProxyCommand']],
      ['Match', 8, 10, ['Port']],
    ]);
    assert.deepStrictEqual(topLevelDirectives(o).map((d) => d.keyword), ['User']);
    assert.deepStrictEqual(concreteAliases(o.sections[0]).map((w) => w.text), ['a', 'b c']);
    assert.ok(appliesToAllHosts(o.sections[1]));
  });

  it('a keyword without a value swallows the next line (as the parser reads it), and says so', () => {
    const o = outlineSshConfig('Host a\n  Port\n  User x\n');
    assert.deepStrictEqual(o.directives.map((d) => [d.keyword, d.line, !!d.swallowsNextLine]), [
      ['Host', 0, false],
      ['Port', 1, true],
    ]);
  });

  it('a line the parser refuses is named', () => {
    const o = outlineSshConfig('Host a\n  User x\n  IdentityFile "unterminated\n');
    assert.strictEqual(o.error?.line, 2);
    assert.deepStrictEqual(o.directives, []);
  });

  it('an Include loop is one clear error, not 2^16 copies (OpenSSH: "Too many recursive configuration includes")', () => {
    const dir = tmpDir('inc-loop');
    try {
      const a = path.join(dir, 'a.conf');
      fs.writeFileSync(a, `Include ${a}\nInclude ${a}\nHost x\n  Port 1\n`);
      const started = Date.now();
      assert.throws(() => SshConfigFile.load(a), (err: Error) => err instanceof IncludeLoopError && err.message === `Include loop: ${a} includes ${a}`);
      assert.ok(Date.now() - started < 1000);
      const b = path.join(dir, 'b.conf');
      fs.writeFileSync(b, `Include ${path.join(dir, 'c.conf')}\n`);
      fs.writeFileSync(path.join(dir, 'c.conf'), `Host y\n  Include ${b}\n`);
      assert.throws(() => SshConfigFile.fromText(fs.readFileSync(b, 'utf8'), undefined, b), IncludeLoopError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
