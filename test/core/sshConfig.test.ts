/**
 * ssh_config resolution and `[user@]host[:port]` parsing (unit). Files are written to a temp
 * dir; where OpenSSH's own answer is cheap to get (`ssh -G`), the engine is compared with it.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseHostTarget, SshConfigFile } from '../../src/core';
import { tmpDir } from './helpers/engine';

describe('ssh_config resolution (unit)', () => {
  let dir: string;
  const home = os.homedir();
  const me = os.userInfo().username;

  before(() => {
    dir = tmpDir('sshcfg');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  }

  /** What OpenSSH itself resolves, for the keys both sides know. */
  function sshG(configPath: string, target: string): Record<string, string> {
    const out = execFileSync('ssh', ['-G', '-F', configPath, target], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const map: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const i = line.indexOf(' ');
      if (i > 0 && !(line.slice(0, i) in map)) map[line.slice(0, i)] = line.slice(i + 1);
    }
    return map;
  }

  describe('parseHostTarget: [user@]host[:port]', () => {
    const cases: [string, { host: string; user?: string; port?: number }][] = [
      ['web1', { host: 'web1' }],
      ['alice@web1', { host: 'web1', user: 'alice' }],
      ['web1:2200', { host: 'web1', port: 2200 }],
      ['alice@web1:2200', { host: 'web1', user: 'alice', port: 2200 }],
      ['127.0.0.5:2222', { host: '127.0.0.5', port: 2222 }],
      ['[::1]:2200', { host: '::1', port: 2200 }],
      ['[::1]', { host: '::1' }],
      ['bob@[fe80::1]:22', { host: 'fe80::1', user: 'bob', port: 22 }],
      ['::1', { host: '::1' }],
      ['a@b@host', { host: 'host', user: 'a@b' }],
      ['  web1  ', { host: 'web1' }],
    ];
    for (const [spec, want] of cases) {
      it(JSON.stringify(spec), () => {
        assert.deepStrictEqual(parseHostTarget(spec), { user: undefined, port: undefined, ...want });
      });
    }
  });

  describe('a config with host blocks, Host * defaults and tokens', () => {
    let cfgPath: string;
    let cfg: SshConfigFile;
    before(() => {
      cfgPath = write(
        'basic/config',
        [
          '# comment',
          'Host web1 web1-alias',
          '  HostName 10.0.0.1',
          '  Port 2201',
          '  User webuser',
          '  IdentityFile ~/.ssh/web_%h_%r',
          '  IdentityFile /keys/second',
          '  UserKnownHostsFile /tmp/kh1 /tmp/kh2',
          '  StrictHostKeyChecking accept-new',
          '  HashKnownHosts yes',
          '  IdentitiesOnly yes',
          '  ConnectTimeout 7',
          '',
          'Host db?',
          '  HostName %h.internal',
          '  StrictHostKeyChecking no',
          '  HostKeyAlias dbkey',
          '',
          'Host strict-yes',
          '  StrictHostKeyChecking yes',
          'Host strict-ask',
          '  StrictHostKeyChecking ask',
          'Host strict-off',
          '  StrictHostKeyChecking off',
          '',
          'Host *.lan !printer.lan',
          '  User lanuser',
          '',
          'Host *',
          '  User defuser',
          '  Port 2299',
          '  IdentityFile /keys/default',
          '  UserKnownHostsFile /tmp/star_kh',
          '  StrictHostKeyChecking yes',
          '',
        ].join('\n'),
      );
      cfg = SshConfigFile.load(cfgPath);
    });

    it('HostName, Port, User from the host block win over Host *', () => {
      const r = cfg.resolve('web1');
      assert.strictEqual(r.name, 'web1');
      assert.strictEqual(r.hostName, '10.0.0.1');
      assert.strictEqual(r.port, 2201);
      assert.strictEqual(r.user, 'webuser');
      assert.strictEqual(cfg.resolve('web1-alias').hostName, '10.0.0.1');
    });

    it('IdentityFile accumulates in order, with ~ and %h/%r expanded; Host * adds its own', () => {
      assert.deepStrictEqual(cfg.resolve('web1').identityFiles, [
        path.join(home, '.ssh', 'web_10.0.0.1_webuser'),
        '/keys/second',
        '/keys/default',
      ]);
    });

    it('UserKnownHostsFile takes several files, and the first block that sets it wins', () => {
      assert.deepStrictEqual(cfg.resolve('web1').userKnownHostsFiles, ['/tmp/kh1', '/tmp/kh2']);
      assert.deepStrictEqual(cfg.resolve('db1').userKnownHostsFiles, ['/tmp/star_kh']);
    });

    it('StrictHostKeyChecking: each value, and Host * as the fallback', () => {
      assert.strictEqual(cfg.resolve('web1').strictHostKeyChecking, 'accept-new');
      assert.strictEqual(cfg.resolve('db1').strictHostKeyChecking, 'no');
      assert.strictEqual(cfg.resolve('strict-yes').strictHostKeyChecking, 'yes');
      assert.strictEqual(cfg.resolve('strict-ask').strictHostKeyChecking, 'ask');
      assert.strictEqual(cfg.resolve('strict-off').strictHostKeyChecking, 'no');
      assert.strictEqual(cfg.resolve('unlisted').strictHostKeyChecking, 'yes');
    });

    it('Host * supplies defaults for any name, including one not in the file', () => {
      const r = cfg.resolve('unlisted.example');
      assert.strictEqual(r.hostName, 'unlisted.example');
      assert.strictEqual(r.port, 2299);
      assert.strictEqual(r.user, 'defuser');
      assert.deepStrictEqual(r.identityFiles, ['/keys/default']);
    });

    it('wildcard and negated Host patterns, %h in HostName', () => {
      assert.strictEqual(cfg.resolve('db1').hostName, 'db1.internal');
      assert.strictEqual(cfg.resolve('db12').hostName, 'db12', 'db? matches one character');
      assert.strictEqual(cfg.resolve('db1').hostKeyAlias, 'dbkey');
      assert.strictEqual(cfg.resolve('nas.lan').user, 'lanuser');
      assert.strictEqual(cfg.resolve('printer.lan').user, 'defuser', '!printer.lan excludes it');
    });

    it('other settings: HashKnownHosts, IdentitiesOnly, ConnectTimeout', () => {
      const r = cfg.resolve('web1');
      assert.strictEqual(r.hashKnownHosts, true);
      assert.strictEqual(r.identitiesOnly, true);
      assert.strictEqual(r.connectTimeoutMs, 7000);
      assert.strictEqual(cfg.resolve('db1').hashKnownHosts, false);
    });

    it('user@alias:port overrides the config User and Port but keeps its HostName', () => {
      const r = cfg.resolve('root@web1:2022');
      assert.strictEqual(r.name, 'root@web1:2022');
      assert.strictEqual(r.hostName, '10.0.0.1');
      assert.strictEqual(r.user, 'root');
      assert.strictEqual(r.port, 2022);
      assert.strictEqual(r.identityFiles[0], path.join(home, '.ssh', 'web_10.0.0.1_root'), '%r is the effective user');
    });

    it('hostAliases lists concrete names only', () => {
      assert.deepStrictEqual(cfg.hostAliases(), ['web1', 'web1-alias', 'strict-yes', 'strict-ask', 'strict-off']);
    });

    it('agrees with `ssh -G` on HostName, Port, User and StrictHostKeyChecking', () => {
      const sk: Record<string, string> = { true: 'yes', false: 'no', 'accept-new': 'accept-new', ask: 'ask' };
      for (const target of ['web1', 'web1-alias', 'db1', 'db12', 'nas.lan', 'printer.lan', 'unlisted', 'strict-off', 'strict-ask']) {
        const g = sshG(cfgPath, target);
        const r = cfg.resolve(target);
        assert.deepStrictEqual(
          [r.hostName, String(r.port), r.user, r.strictHostKeyChecking],
          [g.hostname, g.port, g.user, sk[g.stricthostkeychecking]],
          target,
        );
      }
    });
  });

  it('without any config: the name itself, port 22, the current user, ~/.ssh defaults, policy ask', () => {
    const r = SshConfigFile.fromText('').resolve('plain.example');
    assert.strictEqual(r.hostName, 'plain.example');
    assert.strictEqual(r.port, 22);
    assert.strictEqual(r.user, me);
    assert.strictEqual(r.strictHostKeyChecking, 'ask');
    assert.deepStrictEqual(r.userKnownHostsFiles, [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')]);
    assert.ok(r.identityFiles.includes(path.join(home, '.ssh', 'id_ed25519')));
  });

  it('Host * first: its values win over a later host block (OpenSSH first-match semantics)', () => {
    const cfg = SshConfigFile.fromText('Host *\n  User first\nHost a\n  User second\n  HostName a.example\n');
    assert.strictEqual(cfg.resolve('a').user, 'first');
    assert.strictEqual(cfg.resolve('a').hostName, 'a.example');
  });

  it('keywords are case-insensitive and "=" separators work; Host patterns match case as OpenSSH does', () => {
    const p = write('case/config', 'host MixedCase\n  hostname=10.1.1.1\n  PORT 2345\n');
    const cfg = SshConfigFile.load(p);
    const r = cfg.resolve('MixedCase');
    assert.strictEqual(r.hostName, '10.1.1.1');
    assert.strictEqual(r.port, 2345);
    for (const t of ['MixedCase', 'mixedcase']) {
      const g = sshG(p, t);
      assert.deepStrictEqual([cfg.resolve(t).hostName, String(cfg.resolve(t).port)], [g.hostname, g.port], t);
    }
  });

  describe('Include', () => {
    let main: string;
    before(() => {
      const d = path.join(dir, 'inc');
      write('inc/conf.d/10-first.conf', 'Host inc1\n  HostName 10.9.9.1\n  User incuser\n  Port 2001\n');
      write('inc/conf.d/20-second.conf', 'Host inc2\n  HostName 10.9.9.2\nHost inc1\n  Port 9999\n');
      write('inc/conf.d/ignored.txt', 'Host ignored\n  HostName 10.9.9.99\n');
      write('inc/nested/level2.conf', 'Host deep\n  HostName 10.9.9.3\n');
      write('inc/conf.d/30-nest.conf', `Include ${d}/nested/level?.conf\n`);
      write('inc/single.conf', 'Host single\n  HostName 10.9.9.4\n');
      main = write(
        'inc/config',
        [`Include ${d}/conf.d/*.conf ${d}/single.conf`, `Include ${d}/does-not-exist/*.conf`, 'Host *', '  User staruser', ''].join('\n'),
      );
    });

    it('follows globbed includes in sorted order; earlier files win', () => {
      const cfg = SshConfigFile.load(main);
      const r1 = cfg.resolve('inc1');
      assert.deepStrictEqual([r1.hostName, r1.user, r1.port], ['10.9.9.1', 'incuser', 2001]);
      const r2 = cfg.resolve('inc2');
      assert.deepStrictEqual([r2.hostName, r2.user], ['10.9.9.2', 'staruser']);
    });

    it('follows nested includes and several files on one Include line; ignores non-matching files', () => {
      const cfg = SshConfigFile.load(main);
      assert.strictEqual(cfg.resolve('deep').hostName, '10.9.9.3');
      assert.strictEqual(cfg.resolve('single').hostName, '10.9.9.4');
      assert.strictEqual(cfg.resolve('ignored').hostName, 'ignored');
    });

    it('agrees with `ssh -G` on included hosts', () => {
      const cfg = SshConfigFile.load(main);
      for (const t of ['inc1', 'inc2', 'deep', 'single', 'ignored']) {
        const g = sshG(main, t);
        const r = cfg.resolve(t);
        assert.deepStrictEqual([r.hostName, String(r.port), r.user], [g.hostname, g.port, g.user], t);
      }
    });
  });

  it('an explicitly named config file that does not exist is an error', () => {
    assert.throws(() => SshConfigFile.load(path.join(dir, 'nope')), /ENOENT/);
  });
});
