import * as assert from 'assert';
import * as fs from 'fs';
import { SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, show } from './helpers/engine';

/** `via` reaches host2 only through host1 (ProxyJump); host1 of the second bed refuses forwarding. */
function jumpConfig(bed: TestBed): SshConfigFile {
  const host2 = bed.hosts[1];
  const base = fs.readFileSync(bed.sshConfigPath, 'utf8');
  const block = [
    'Host via',
    `  HostName ${host2.address}`,
    `  Port ${host2.port}`,
    '  ProxyJump host1',
    `  User ${bed.user}`,
    `  IdentityFile ${bed.clientKeyPath}`,
    `  UserKnownHostsFile ${bed.knownHostsPath}`,
    '  StrictHostKeyChecking yes',
    '',
  ].join('\n');
  return SshConfigFile.fromText(`${block}\n${base}`);
}

describe('ProxyJump (real sshd)', () => {
  let open: TestBed;
  let closed: TestBed;
  before(async () => {
    open = await startTestBed({ count: 2 });
    closed = await startTestBed({ count: 2, extraSshdConfig: 'AllowTcpForwarding no' });
  });
  after(async () => {
    await open?.stop();
    await closed?.stop();
  });

  it('reaches a host through its jump host', async () => {
    const c = await collect({ sshConfig: jumpConfig(open), script: { text: 'echo through' }, targets: ['via'] });
    assert.strictEqual(c.result('via').status, 'Completed', show(c));
    assert.deepStrictEqual(c.lines('via'), ['through']);
  });

  it('goes through the jump host, not around it: a jump host that refuses forwarding makes the target Unreachable', async () => {
    const c = await collect({ sshConfig: jumpConfig(closed), script: { text: 'echo through' }, targets: ['via', 'host2'] });
    assert.strictEqual(c.result('via').status, 'Unreachable', show(c));
    assert.match(c.result('via').error ?? '', /jump host/);
    assert.strictEqual(c.result('host2').status, 'Completed', 'the same host reached directly works');
  });
});
