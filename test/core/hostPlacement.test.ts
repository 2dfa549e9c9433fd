/**
 * Add Host's placement (before `Host *`, so its values win: ssh takes the first it finds) and the
 * ssh_config values that cannot work, checked before any run — both against real ssh_config
 * parsing (ssh-config, the engine's resolver).
 */
import * as assert from 'assert';
import { hostConfigProblems, SshConfigFile } from '../../src/core';
import { insertHostBlock } from '../../src/extension/sshConfigEditor';

describe('Add Host placement and unusable ssh_config values', () => {
  const block = 'Host web3\n  HostName 10.0.0.3\n  User deploy\n';

  it('goes before Host * and the comment above it; the new host gets its own User, not the catch-all one', () => {
    const text = 'Host web1\n  HostName 10.0.0.1\n\n# every host\nHost *\n  User root\n  Port 2222\n';
    const placed = insertHostBlock(text, block);
    assert.strictEqual(placed.text, 'Host web1\n  HostName 10.0.0.1\n\nHost web3\n  HostName 10.0.0.3\n  User deploy\n\n# every host\nHost *\n  User root\n  Port 2222\n');
    assert.strictEqual(placed.line, 3);
    assert.strictEqual(placed.beforeCatchAll, 'Host *');
    const web3 = SshConfigFile.fromText(placed.text).resolve('web3');
    assert.deepStrictEqual([web3.user, web3.port], ['deploy', 2222]);
    // appended after Host *, the catch-all's User would have won
    assert.strictEqual(SshConfigFile.fromText(text + '\n' + block).resolve('web3').user, 'root');
  });

  it('goes before Match all too; keeps CRLF; appends when there is no catch-all', () => {
    const crlf = 'Host a\r\n  HostName 1.2.3.4\r\nMatch all\r\n  User x\r\n';
    const placed = insertHostBlock(crlf, block);
    assert.strictEqual(placed.text, 'Host a\r\n  HostName 1.2.3.4\r\n\r\nHost web3\r\n  HostName 10.0.0.3\r\n  User deploy\r\n\r\nMatch all\r\n  User x\r\n');
    const plain = insertHostBlock('Host a\n  HostName 1.2.3.4\n', block);
    assert.strictEqual(plain.text, 'Host a\n  HostName 1.2.3.4\n\n' + block);
    assert.strictEqual(plain.line, 3);
    assert.strictEqual(plain.beforeCatchAll, undefined);
    // Host *.example.com is not a catch-all
    assert.strictEqual(insertHostBlock('Host *.example.com\n  User y\n', block).beforeCatchAll, undefined);
  });

  it('Port abc, Port 70000, ConnectTimeout soon: each a problem with its reason; a good host has none', () => {
    const cfg = SshConfigFile.fromText('Host web26\n  Port abc\nHost big\n  Port 70000\nHost slow\n  ConnectTimeout soon\nHost fine\n  Port 2200\n');
    assert.deepStrictEqual(hostConfigProblems(cfg.resolve('web26')), ['Port is not a number from 1 to 65535']);
    assert.deepStrictEqual(hostConfigProblems(cfg.resolve('big')), ['Port is not a number from 1 to 65535 (70000)']);
    assert.deepStrictEqual(hostConfigProblems(cfg.resolve('slow')), ['ConnectTimeout is not a number of seconds']);
    assert.deepStrictEqual(hostConfigProblems(cfg.resolve('fine')), []);
  });
});
